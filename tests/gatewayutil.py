"""Test helpers for the gateway: CARs from the npm importer, servers on 127.0.0.1."""

from __future__ import annotations

import http.client
import io
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from ipwhl_checks.gateway import BlockStore, GatewayServer

from .conftest import running

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".ci"
NPM_CAR = Path(__file__).with_name("npm_car.mjs")

needs_npm = pytest.mark.skipif(
    shutil.which("node") is None or not (CI / "node_modules" / "ipfs-unixfs-importer").is_dir(),
    reason="needs node and the npm IPFS packages in .ci/node_modules (.ci/setup)")


def npm_car(directory: Path, out: Path, profile: str, chunk: int | None = None,
            links: int | None = None, shard_threshold: int | None = None) -> str:
    """Import *directory* with the npm UnixFS importer, write its CAR; return the root CID."""
    args = [str(directory.resolve()), str(out.resolve()), profile]
    for value in (chunk, links, shard_threshold):
        args.append(str(value) if value is not None else "")
    while args and not args[-1]:
        args.pop()
    # ESM resolves bare imports from the working directory for code read from stdin.
    with NPM_CAR.open("rb") as script:
        done = subprocess.run(["node", "--input-type=module", "-", *args], cwd=CI,
                              stdin=script, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout.strip()


@contextmanager
def gateway(*cars: Path) -> Iterator[tuple[str, io.StringIO]]:
    """A GatewayServer in a thread: yields ("127.0.0.1:PORT", its log)."""
    log = io.StringIO()
    store = BlockStore(list(cars))
    try:
        with running(GatewayServer(("127.0.0.1", 0), store, log=log)) as port:
            yield f"127.0.0.1:{port}", log
    finally:
        store.close()


def get(host: str, path: str, method: str = "GET",
        headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(host, timeout=30)
    try:
        conn.request(method, path, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@contextmanager
def serve_process(*cars: Path, env: Mapping[str, str] | None = None
                  ) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """The real ``ipwhl serve CARS --port 0``: yields (process, "127.0.0.1:PORT", log lines).

    The log list fills as the gateway writes standard error."""
    # (faulthandler: stop_process() can have a stuck server print its threads' stacks)
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "ipwhl_checks", "serve",
                             *map(str, cars), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    if not first.startswith("serving http://"):
        proc.kill()
        raise RuntimeError(f"ipwhl serve did not start: {first!r} {proc.stderr.read()}")
    host = first.split("/")[2]
    log: list[str] = []

    def read_log() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            log.append(line)

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        yield proc, host, log
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=30)
        reader.join(timeout=5)


def stop_process(proc: subprocess.Popen[str], log: list[str], how: int,
                 timeout: float = 30.0) -> int:
    """Send *how* (SIGINT, SIGTERM) to a served gateway and wait for its exit code; if it
    does not stop in *timeout* seconds, fail with its threads' stacks (faulthandler prints
    them on SIGABRT) and the end of its log."""
    import signal
    import time

    proc.send_signal(how)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        proc.wait(timeout=30)
        time.sleep(0.5)  # the log reader drains standard error
        pytest.fail(f"ipwhl serve did not stop in {timeout:.0f} s after signal {how}; its "
                    f"stacks and log:\n{''.join(log)[-6000:]}")


def wait_for_log(log: list[str], text: str, start: int = 0, timeout: float = 10.0) -> str:
    """The log from line *start* on, once it contains *text* (a request's line is written
    after its response, so it may trail the client by a moment)."""
    import time

    deadline = time.monotonic() + timeout
    while text not in "".join(log[start:]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return "".join(log[start:])


# ---- a published repository of real wheels -------------------------------------------

# (name, version, dependencies, requires-python): `app` installs app 1.0, lib 2.0, tiny
# and helper; lib 3.0 needs a Python 4 (a lower bound: uv ignores upper bounds of
# Requires-Python, by design), app 0.9, lib 1.0 and unused are never chosen; later, which
# needs a Python 4 too, has no wheel for any CPython 3 environment.
WHEELS: list[tuple[str, str, tuple[str, ...], str | None]] = [
    ("app", "1.0", ("lib>=1.5", "helper; python_version >= '3'"), None),
    ("app", "0.9", ("lib<1.5",), None),
    ("lib", "1.0", (), None),
    ("lib", "2.0", ("tiny",), ">=3.8"),
    ("lib", "3.0", (), ">=4"),
    ("helper", "1.0", (), None),
    ("tiny", "1.0", (), None),
    ("unused", "1.0", (), None),
    ("later", "1.0", (), ">=4"),
]
INSTALLED = {"app": "1.0", "lib": "2.0", "helper": "1.0", "tiny": "1.0"}


def build_repo(base: Path) -> tuple[Path, dict[str, Path]]:
    """Build the WHEELS under *base*/wheels and declare them (file:// sources) in
    *base*/data; returns (the data tree, {wheel file name: wheel path})."""
    from dataclasses import replace

    from ipwhl_checks.unixfs import file_cid

    from .declmaker import declaration, write_tree
    from .wheelmaker import make_wheel

    wheels = {}
    declarations = []
    for name, version, deps, requires_python in WHEELS:
        path = make_wheel(base / "wheels", name, version, dependencies=deps,
                          requires_python=requires_python)
        wheels[path.name] = path
        decl = declaration(path.name, requires_python=requires_python, dependencies=deps)
        declarations.append(replace(decl, source=path.resolve().as_uri(),
                                    content_id=file_cid(path, "unixfs-v1-2025")[0]))
    data = write_tree(base / "data", declarations, pythons=("3.11", "3.12"),
                      platforms=("manylinux_2_28_x86_64", "win_amd64"))
    return data, wheels


def publish(data: Path, car: Path) -> str:
    """``ipwhl publish --root DATA --car CAR --allow-file``; returns the root CID."""
    done = subprocess.run([sys.executable, "-m", "ipwhl_checks", "publish", "--root", str(data),
                           "--car", str(car), "--allow-file"], capture_output=True, text=True,
                          timeout=120)
    if done.returncode:
        raise RuntimeError(f"ipwhl publish failed: {done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def publish_repo(base: Path) -> tuple[Path, str, dict[str, Path]]:
    """Build, declare and publish the WHEELS: (the CAR, the root CID, {file name: path})."""
    data, wheels = build_repo(base)
    car = base / "repo.car"
    return car, publish(data, car), wheels


def run_main(*args: str, env: Mapping[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    """``ipwhl ARGS`` in this process (``cli.main``), output captured like subprocess.run."""
    import contextlib
    from unittest import mock

    from ipwhl_checks.cli import main

    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, dict(env or {})), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@contextmanager
def faulty_gateway(car: Path, held: Callable[[str], bool], trickle: float | None = None
                   ) -> Iterator[tuple[str, list[str]]]:
    """A gateway serving *car* whose answers to the paths *held* picks are held back: the
    first half of the body then nothing until the server stops, or with *trickle*, a byte
    every *trickle* seconds.  Yields ("http://127.0.0.1:PORT", the paths held so far)."""
    import http.server

    held_paths: list[str] = []
    stopping = threading.Event()

    with gateway(car) as (real, _log):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = get(real, self.path, headers={
                    k: v for k, v in self.headers.items() if k.lower() == "accept"})
                self.send_response(status)
                self.send_header("Content-Type", headers.get("content-type", ""))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not held(self.path):
                    self.wfile.write(body)
                    return
                held_paths.append(self.path)
                if trickle is None:
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    stopping.wait(60)
                    return
                for i in range(len(body)):
                    if stopping.wait(trickle):
                        return
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        with running(server) as port:
            try:
                yield f"http://127.0.0.1:{port}", held_paths
            finally:
                stopping.set()

"""A command stopped by a signal stops promptly and leaves nothing half-written: ``ipwhl
publish`` killed while a wheel downloads, its CAR and ``--out`` tree already staged, and
``ipwhl check --online`` killed with downloads queued, each against a real HTTP server on
127.0.0.1 that holds the downloads open."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import ipwhl_argv, running
from .test_publish import Repo, repo  # noqa: F401 (the fixture)


@contextmanager
def stalling_server(directory: Path) -> Iterator[tuple[str, list[str], threading.Event]]:
    """Serve *directory*, each file's first half only, then hold the connection open until
    *release* is set; *stalled* lists the paths of the downloads held so far."""
    stalled: list[str] = []
    release = threading.Event()

    class Stall(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = (directory / self.path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            stalled.append(self.path)
            release.wait(60)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stall)
    server.daemon_threads = True
    with running(server) as port:
        try:
            yield f"http://127.0.0.1:{port}", stalled, release
        finally:
            release.set()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def serve_from(repo: Repo, base: str) -> None:  # noqa: F811
    """Point every declaration of *repo* at the server *base*."""
    for declaration in repo.data.rglob("*.toml"):
        text = declaration.read_text()
        declaration.write_text(text.replace(repo.base, base))


@pytest.mark.parametrize(("how", "code", "said"), [
    (signal.SIGINT, 130, "ipwhl publish: interrupted"),  # Ctrl-C
    (signal.SIGTERM, 143, "ipwhl publish: stopped by SIGTERM"),  # a cancelled CI job
    (signal.SIGHUP, 129, "ipwhl publish: stopped by SIGHUP"),  # a closed terminal
], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_publish_stopped_by_a_signal_leaves_nothing_behind(
        repo: Repo, how: int, code: int, said: str) -> None:  # noqa: F811
    cache = Path(os.environ["XDG_CACHE_HOME"])
    with stalling_server(repo.wheels) as (base, stalled, _release):
        serve_from(repo, base)
        process = subprocess.Popen(
            ipwhl_argv("publish", "--root", "data", "--out", "site", "--car", "out/x.car",
                       default_sigint=True),  # (a test runner's worker may ignore SIGINT)
            cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: bool(stalled), "the publish never asked for a wheel")
            # mid-write: the outputs are staged and half a wheel is in the cache
            staged = sorted(p.name for p in repo.root.rglob(".*") if p.parent.name != "data")
            assert [name.split(".")[1] for name in staged] == ["site", "x"], staged
            assert list((cache / "ipwhl" / "tmp").iterdir())
            process.send_signal(how)
            _out, err = process.communicate(timeout=60)
        finally:
            process.kill()
    assert (process.returncode, err) == (code, said + "\n")
    assert sorted(p.name for p in repo.root.iterdir()) == ["data", "out"]
    assert list((repo.root / "out").iterdir()) == []
    assert list((cache / "ipwhl" / "tmp").iterdir()) == []


def test_an_online_check_stopped_by_a_signal_starts_no_more_downloads(
        repo: Repo) -> None:  # noqa: F811
    for i in range(16):
        repo.add(f"extra{i:02}", "1.0")
    with stalling_server(repo.wheels) as (base, stalled, _release):
        serve_from(repo, base)
        # the 4 running downloads end by the read timeout, 5 s after the signal, once the
        # queued ones are cancelled (Executor.map does it as SIGTERM unwinds the caller)
        process = subprocess.Popen(
            [sys.executable, "-m", "ipwhl_checks", "check", "--online", "--root", "data"],
            cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "IPWHL_RETRIES": "0", "IPWHL_TIMEOUT": "5"})
        try:
            wait_for(lambda: len(stalled) == 4, "the check never had 4 downloads running")
            process.send_signal(signal.SIGTERM)
            _out, err = process.communicate(timeout=60)
        finally:
            process.kill()
        # the 4 running downloads ended; none of the 17 queued ones started
        assert (process.returncode, err, len(stalled)) == (
            143, "ipwhl check: stopped by SIGTERM\n", 4)

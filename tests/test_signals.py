"""A command stopped by a signal leaves nothing half-written: ``ipwhl publish`` killed while
a wheel downloads, its CAR and ``--out`` tree already staged, with a real HTTP server on
127.0.0.1 holding the download open."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import running
from .test_publish import Repo, repo  # noqa: F401 (the fixture)


@contextmanager
def stalling_server(directory: Path) -> Iterator[tuple[str, threading.Event, threading.Event]]:
    """Serve *directory*, each file's first half only, then hold the connection open until
    *release* is set; *arrived* is set once a download has stalled."""
    arrived, release = threading.Event(), threading.Event()

    class Stall(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = (directory / self.path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            arrived.set()
            release.wait(60)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stall)
    server.daemon_threads = True
    with running(server) as port:
        try:
            yield f"http://127.0.0.1:{port}", arrived, release
        finally:
            release.set()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a test runner's worker may ignore it


@pytest.mark.parametrize(("how", "code", "said"), [
    (signal.SIGINT, 130, "ipwhl publish: interrupted"),  # Ctrl-C
    (signal.SIGTERM, 143, "ipwhl publish: stopped by SIGTERM"),  # a cancelled CI job
    (signal.SIGHUP, 129, "ipwhl publish: stopped by SIGHUP"),  # a closed terminal
], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_publish_stopped_by_a_signal_leaves_nothing_behind(
        repo: Repo, how: int, code: int, said: str) -> None:  # noqa: F811
    cache = Path(os.environ["XDG_CACHE_HOME"])
    with stalling_server(repo.wheels) as (base, arrived, _release):
        for declaration in repo.data.rglob("*.toml"):
            text = declaration.read_text()
            declaration.write_text(text.replace(repo.base, base))
        process = subprocess.Popen(
            [sys.executable, "-m", "ipwhl_checks", "publish", "--root", "data", "--out", "site",
             "--car", "out/x.car"], cwd=repo.root, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
        try:
            assert arrived.wait(60), "the publish never asked for a wheel"
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

"""The gateway client under gateways that misbehave (hostile inputs, item 17 and the
transfer deadline): ``ipwhl lock`` names the URL, never its temporary file, gives up on a
trickle within its deadline, and stops at once on Ctrl-C or SIGTERM, leaving nothing.

The gateways are small socket servers on 127.0.0.1 scripted per test.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ipwhl_checks.errors import DownloadError
from ipwhl_checks.gateway.client import fetch_verified
from ipwhl_checks.ipld.car import write_car
from ipwhl_checks.ipld.cid import cid_text
from ipwhl_checks.sources.http import Client, FetchOptions
from ipwhl_checks.unixfs import DagBuilder

from .conftest import ipwhl_argv
from .gatewayutil import gateway, run_main

CID = "bafybeihchr7vmgjaasntayyatmp5sv6xza57iy2h4xj7g46bpjij6yhrmy"
CAR_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.car; version=1\r\n"


@contextlib.contextmanager
def scripted(answer: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A server whose every connection gets *answer(sock, stop)*; yields its URL."""
    stop = threading.Event()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.settimeout(30)
            with contextlib.suppress(OSError):
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                answer(self.request, stop)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def fixed(data: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def answer(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(data)
    return answer


def trickle(head: bytes, byte: bytes = b"\0", every: float = 0.1
            ) -> Callable[[socket.socket, threading.Event], None]:
    """Send *head* one byte at a time, then *byte* forever, every *every* seconds."""
    def answer(sock: socket.socket, stop: threading.Event) -> None:
        for i in range(len(head)):
            sock.sendall(head[i:i + 1])
            if stop.wait(every):
                return
        while not stop.wait(every):
            sock.sendall(byte)
    return answer


def lock(url: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_main("lock", "--cid", CID, "--gateway", url, "--env", "current", "app",
                    env=env)


def one_line(done: subprocess.CompletedProcess[str], url: str, message: str) -> None:
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"ipwhl lock: {url}/ipfs/{CID}/manifest.json: {message}\n"
    assert "ipwhl-car-" not in done.stderr and "Traceback" not in done.stderr


BAD_ANSWERS = [  # (answer, message)
    (CAR_HEADERS + b"Content-Length: 0\r\n\r\n",
     "the gateway answered 200 with an empty body, not a CAR"),
    (CAR_HEADERS + b"Connection: close\r\n\r\n",  # (no length: the body ends at the close)
     "the gateway answered 200 with an empty body, not a CAR"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>",
     "the gateway answered 'text/html', not a CAR v1 (application/vnd.ipld.car; version=1)"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ipld.car; version=2\r\n"
     b"Content-Length: 4\r\n\r\nCAR2", "the gateway answered 'application/vnd.ipld.car; "
     "version=2', not a CAR v1 (application/vnd.ipld.car; version=1)"),
    (CAR_HEADERS + b"Content-Length: 11\r\n\r\nnot a CAR!!",
     "not a CAR, or a truncated one (header of 110 bytes, 10 present) (the gateway's "
     "answer is not a valid CAR)"),
    (CAR_HEADERS + b"Content-Length: 100\r\n\r\nshort",
     "cannot fetch (the connection closed before the end of the file)"),
    (CAR_HEADERS + b"Transfer-Encoding: chunked\r\n\r\n5\r\nshort\r\n",
     "cannot fetch (Response ended prematurely)"),
]


@pytest.mark.parametrize(("answer", "message"), BAD_ANSWERS)
def test_a_bad_answer_is_one_line_naming_the_url(answer, message) -> None:  # type: ignore[no-untyped-def]
    with scripted(fixed(answer)) as url:
        one_line(lock(url), url, message)


@pytest.mark.parametrize("head", [
    CAR_HEADERS + b"Content-Length: 1000000\r\n\r\n",  # the body trickles
    CAR_HEADERS + b"X-Padding: " + b"x" * 200 + b"\r\n\r\n",  # the headers trickle
])
def test_a_trickling_gateway_fails_within_the_deadline(head) -> None:  # type: ignore[no-untyped-def]
    # IPWHL_TIMEOUT bounds each wait (0.25 s: every byte comes sooner); the transfer must
    # average IPWHL's minimum rate after a grace of two timeouts (no retry here).
    answer = trickle(head if b"X-Padding" in head else b"", every=0.05)
    if b"X-Padding" not in head:
        answer = _then(fixed(head), trickle(b"", every=0.05))
    with scripted(answer) as url:
        began = time.monotonic()
        done = lock(url, {"IPWHL_TIMEOUT": "0.25", "IPWHL_RETRIES": "0"})
        took = time.monotonic() - began
    # (the seconds are measured: 0.5 s, or a little more on a busy machine)
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    assert re.fullmatch(re.escape(f"ipwhl lock: {url}/ipfs/{CID}/manifest.json: cannot fetch "
                                  "(too slow: ") + r"\d+ bytes in \d+\.\d s" + re.escape(
        " (a transfer must average 16.0 kB/s after its first 0.5 s))\n"), done.stderr)
    assert 0.45 < took < 6  # (a 200-byte head trickled whole would take 10 s)


def _fetch(gateway: str, root: str) -> bytes:
    with Client(FetchOptions(read_timeout=5)) as client:
        return fetch_verified(gateway, root, "manifest.json", client=client)


def _then(first: Callable[[socket.socket, threading.Event], None],
          second: Callable[[socket.socket, threading.Event], None]
          ) -> Callable[[socket.socket, threading.Event], None]:
    def answer(sock: socket.socket, stop: threading.Event) -> None:
        first(sock, stop)
        second(sock, stop)
    return answer


def test_a_silent_gateway_fails_after_one_timeout() -> None:
    with scripted(lambda sock, stop: stop.wait(10)) as url:
        began = time.monotonic()
        done = lock(url, {"IPWHL_TIMEOUT": "0.5", "IPWHL_RETRIES": "0"})
        assert time.monotonic() - began < 2
    one_line(done, url, "cannot fetch (no answer within 0.5 s)")


@pytest.mark.parametrize(("how", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_download_at_once_and_leaves_nothing(tmp_path: Path, how: int,
                                                                  code: int) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with scripted(_then(fixed(CAR_HEADERS + b"Content-Length: 1000000\r\n\r\n"),
                        trickle(b"", every=0.05))) as url:
        proc = subprocess.Popen(
            ipwhl_argv("lock", "--cid", CID, "--gateway", url, "--env", "current", "app",
                       default_sigint=True),
            env={**os.environ, "TMPDIR": str(tmp)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not any(tmp.glob("ipwhl-car-*/path.car")) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert any(tmp.glob("ipwhl-car-*/path.car")), "the download never started"
            time.sleep(0.3)
            assert proc.stderr is not None
            said: list[tuple[float, str]] = []
            reader = threading.Thread(target=lambda: said.append(
                (time.monotonic(), proc.stderr.readline())), daemon=True)  # type: ignore[union-attr]
            reader.start()
            proc.send_signal(how)
            began = time.monotonic()
            proc.wait(timeout=30)
            reader.join(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    # stopped, cleaned up and said so within a second (then the interpreter exits)
    [(when, line)] = said
    assert proc.returncode == code and when - began < 1, (proc.returncode, when - began)
    assert line in ("ipwhl lock: interrupted\n", "ipwhl lock: stopped by SIGTERM\n")
    assert proc.stderr.read() == ""  # type: ignore[union-attr]
    assert list(tmp.iterdir()) == []  # the temporary CAR and its directory are gone


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    car = tmp_path_factory.mktemp("client") / "tree.car"
    with car.open("wb") as f:
        writer = write_car(f, [b"\x01\x70\x12\x20" + bytes(32)])
        builder = DagBuilder("unixfs-v1-2025", raw_sink=writer.add)
        root = builder.add_directory({"manifest.json": builder.add_bytes(b"{}" * 3000)})
        writer.replace_roots([root.raw])
    with gateway(car) as (host, _log):
        yield f"http://{host}", cid_text(root.raw), car


def test_redirects_are_followed(served) -> None:  # type: ignore[no-untyped-def]
    url, root, _car = served

    def redirect(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {url}/ipfs/{root}/"
                     "manifest.json?format=car\r\nContent-Length: 0\r\n\r\n".encode())

    with scripted(redirect) as there:
        assert _fetch(there, root) == b"{}" * 3000


def test_a_body_that_ends_at_the_close_is_read(served) -> None:  # type: ignore[no-untyped-def]
    _url, root, car = served
    answer = fixed(CAR_HEADERS + b"Connection: close\r\n\r\n" + car.read_bytes())
    with scripted(answer) as there:
        assert _fetch(there, root) == b"{}" * 3000


def test_an_altered_block_is_named(served) -> None:  # type: ignore[no-untyped-def]
    _url, root, car = served
    data = bytearray(car.read_bytes())
    data[data.find(b"{}{}") + 1] ^= 1
    answer = fixed(CAR_HEADERS + f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    with scripted(answer) as there, pytest.raises(DownloadError) as caught:
        _fetch(there, root)
    assert str(caught.value).startswith(f"{there}/ipfs/{root}/manifest.json: block ")
    assert str(caught.value).endswith(" does not match its CID (the gateway's answer was "
                                      "altered)")

"""``ipwhl serve`` under idle, slow and greedy clients (hostile inputs, items 8 and 15).

Real sockets on 127.0.0.1: the bad clients hold their connections while a normal client
asks for a file, which must come back within a couple of seconds.  Another client
address is 127.0.0.2 (all of 127/8 is this machine on Linux): limits per client address
are checked with it.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import random
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwhl_checks.gateway import BlockStore, GatewayServer, Limits
from ipwhl_checks.ipld.car import write_car
from ipwhl_checks.ipld.cid import cid_text
from ipwhl_checks.unixfs import DagBuilder

from .conftest import running
from .gatewayutil import run_main, serve_process

BIG = random.Random(8).randbytes(24 << 20)  # more than the socket buffers hold


@pytest.fixture(scope="module")
def car(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("limits") / "repo.car"
    with path.open("wb") as f:
        writer = write_car(f, [b"\x01\x55\x12\x20" + bytes(32)])  # (replaced below)
        builder = DagBuilder("unixfs-v1-2025", raw_sink=writer.add)
        root = builder.add_directory({"small.txt": builder.add_bytes(b"small\n"),
                                      "big.bin": builder.add_bytes(BIG)})
        writer.replace_roots([root.raw])
    return path, cid_text(root.raw)


@contextlib.contextmanager
def server(car_path: Path, **limits: float) -> Iterator[tuple[str, int, io.StringIO]]:
    log = io.StringIO()
    store = BlockStore([car_path])
    try:
        with running(GatewayServer(("127.0.0.1", 0), store, log=log,
                                   limits=Limits(**limits))) as port:  # type: ignore[arg-type]
            yield "127.0.0.1", port, log
    finally:
        store.close()


def served_within(host: str, port: int, path: str, seconds: float = 2.0) -> bytes:
    """The body of GET *path*, which must come whole within *seconds*."""
    began = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=seconds)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    took = time.monotonic() - began
    assert response.status == 200 and took < seconds, (response.status, took)
    return body


def connect(port: int, source: str = "127.0.0.1", rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket()
    if rcvbuf:  # a client that reads nothing: make the server's writes block soon
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((source, 0))
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    return sock


def test_200_idle_connections_do_not_stop_the_command(car) -> None:  # type: ignore[no-untyped-def]
    path, root = car
    with serve_process(path) as (_proc, where, _log):
        host, port = where.split(":")
        idle = [connect(int(port)) for _ in range(200)]
        try:
            keep_alive = http.client.HTTPConnection(host, int(port), timeout=5)
            keep_alive.request("GET", f"/ipfs/{root}/small.txt")  # then idle, kept open
            assert keep_alive.getresponse().read() == b"small\n"
            assert served_within(host, int(port), f"/ipfs/{root}/small.txt") == b"small\n"
        finally:
            for sock in idle:
                sock.close()


def test_130_slow_header_clients_do_not_stop_the_command(car) -> None:  # type: ignore[no-untyped-def]
    path, root = car
    with serve_process(path) as (_proc, where, _log):
        host, port = where.split(":")
        slow = [connect(int(port)) for _ in range(130)]
        stop = threading.Event()

        def trickle() -> None:  # one header byte every 5 seconds from each
            request = b"GET /ipfs/x HTTP/1.1\r\nHost: x\r\n"
            for i in range(len(request)):
                for sock in slow:
                    with contextlib.suppress(OSError):
                        sock.send(request[i:i + 1])
                if stop.wait(5):
                    return

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            time.sleep(0.5)
            for _ in range(3):
                assert served_within(host, int(port), f"/ipfs/{root}/small.txt") == b"small\n"
        finally:
            stop.set()
            for sock in slow:
                sock.close()


def test_a_slow_head_gets_408_after_the_header_deadline(car) -> None:  # type: ignore[no-untyped-def]
    path, _root = car
    with server(path, header_timeout=0.5) as (_h, port, log):
        sock = connect(port)
        sock.sendall(b"GET /ipfs/")
        began = time.monotonic()
        answer = sock.recv(1000)
        assert answer.startswith(b"HTTP/1.1 408 ") and time.monotonic() - began < 3
        assert sock.recv(1000) == b""  # then closed
        sock.close()
        deadline = time.monotonic() + 5
        while "408" not in log.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert '"GET /ipfs/" 408 0' in log.getvalue()


def test_an_idle_connection_is_closed_after_the_idle_deadline(car) -> None:  # type: ignore[no-untyped-def]
    path, _root = car
    with server(path, idle_timeout=0.5) as (_h, port, _log):
        sock = connect(port)
        began = time.monotonic()
        assert sock.recv(100) == b""  # closed without a word: it asked nothing
        assert 0.4 < time.monotonic() - began < 3
        sock.close()


def test_a_head_too_large_is_431(car) -> None:  # type: ignore[no-untyped-def]
    path, _root = car
    with server(path, max_head=4096) as (_h, port, _log):
        sock = connect(port)
        with contextlib.suppress(OSError):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8000)
        assert sock.recv(1000).startswith(b"HTTP/1.1 431 ")
        sock.close()


def test_the_longest_idle_connections_make_room(car) -> None:  # type: ignore[no-untyped-def]
    path, root = car
    with server(path, connections=20, per_client_connections=20) as (host, port, _log):
        idle = [connect(port) for _ in range(40)]
        try:
            time.sleep(0.3)
            assert served_within(host, port, f"/ipfs/{root}/small.txt") == b"small\n"
            for sock in idle:
                sock.settimeout(0.01)
            closed = 0
            for sock in idle[:25]:
                try:
                    closed += sock.recv(1) == b""
                except (TimeoutError, ConnectionResetError):
                    closed += isinstance(sys.exc_info()[1], ConnectionResetError)
            assert closed >= 20  # the first ones were closed to make room
        finally:
            for sock in idle:
                sock.close()


def _stalled_readers(port: int, root: str, source: str, count: int) -> list[socket.socket]:
    """Clients that ask for the big file and never read: each holds a worker."""
    readers = []
    for _ in range(count):
        sock = connect(port, source, rcvbuf=4096)
        sock.sendall(f"GET /ipfs/{root}/big.bin HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        readers.append(sock)
    return readers


def test_one_client_cannot_take_every_worker(car) -> None:  # type: ignore[no-untyped-def]
    path, root = car
    with server(path, workers=4, per_client=2, send_timeout=30) as (host, port, _log):
        readers = _stalled_readers(port, root, "127.0.0.2", 6)
        try:
            time.sleep(0.5)  # they now hold two workers and wait for more
            for _ in range(3):
                assert served_within(host, port, f"/ipfs/{root}/small.txt") == b"small\n"
        finally:
            for sock in readers:
                sock.close()


def test_a_stalled_reader_frees_its_worker(car) -> None:  # type: ignore[no-untyped-def]
    path, root = car
    with server(path, workers=1, send_timeout=1) as (host, port, log):
        readers = _stalled_readers(port, root, "127.0.0.2", 1)
        try:
            time.sleep(0.2)
            assert served_within(host, port, f"/ipfs/{root}/small.txt", 4) == b"small\n"
        finally:
            readers[0].close()
        deadline = time.monotonic() + 5
        while "too slow" not in log.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "client too slow: write timed out" in log.getvalue()


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(car, port) -> None:  # type: ignore[no-untyped-def]
    done = run_main("serve", str(car[0]), "--port", port)  # (was: OverflowError, traceback)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        f"ipwhl serve: error: argument --port: {port} is not a port number (expected 0 to "
        "65535)" if port != "http" else
        "ipwhl serve: error: argument --port: 'http' is not a port number")


def _keep_alive_session(host: str, port: int, root: str) -> list[tuple[int, bytes]]:
    """A keep-alive client's requests, one after another, then two pipelined."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    got = []
    for path, headers in [("small.txt", {}), ("big.bin", {"Range": "bytes=5-9"}),
                          ("nothing", {}), ("small.txt", {"If-None-Match": "*"}),
                          ("big.bin", {"Range": "bytes=0-1,-2"})]:
        conn.request("GET", f"/ipfs/{root}/{path}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        boundary = response.getheader("Content-Type", "").partition("boundary=")[2]
        got.append((response.status, body.replace(boundary.encode(), b"B") if boundary
                    else body))  # (the boundary is random)
    conn.close()
    sock = connect(port)
    request = f"GET /ipfs/{root}/small.txt HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    sock.sendall(request + request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    class KeepOpen(io.BufferedReader):
        def close(self) -> None:  # (http.client closes its reader after each answer)
            pass

    reader = KeepOpen(socket.SocketIO(sock, "rb"))  # one buffer for both answers

    class Shared:
        def makefile(self, mode: str) -> io.BufferedReader:
            return reader

    for _ in range(2):
        response = http.client.HTTPResponse(Shared())  # type: ignore[arg-type]
        response.begin()
        got.append((response.status, response.read()))
    sock.close()
    return got


def test_lingering_workers_answer_as_the_selector_thread_does(car) -> None:  # type: ignore[no-untyped-def]
    """The fast path (a worker waits for a keep-alive's next request) against the plain one
    (every request comes through the selector thread)."""
    path, root = car
    with server(path, linger=0) as (host, port, _log):
        plain = _keep_alive_session(host, port, root)
    with server(path, linger=0.5) as (host, port, _log):
        fast = _keep_alive_session(host, port, root)
    assert fast == plain
    assert [status for status, _ in plain] == [200, 206, 404, 304, 206, 200, 200]
    assert plain[1][1] == BIG[5:10] and plain[0][1] == b"small\n"

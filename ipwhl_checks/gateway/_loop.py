"""Connections: one selector thread reads request heads, a pool of workers answers them.

A connection costs a thread only while a request is being answered.  Between requests
(an idle keep-alive connection) and while a head arrives, it waits in the selector, so
idle or slow clients cannot take the workers from everyone else.  The limits
(:class:`Limits`):

* a head must be complete ``header_timeout`` seconds after its first byte (408), an idle
  connection is closed after ``idle_timeout``, a head larger than ``max_head`` is 431;
* at most ``connections`` open connections (``per_client_connections`` from one
  address): a new one closes the longest-idle one instead of being refused, so a flood
  of idle connections cannot lock anybody out;
* at most ``workers`` requests answered at once, ``per_client`` of them from one
  address; the others wait in arrival order;
* each write of a response must finish within ``send_timeout`` (socket timeout), so a
  client that stops reading frees its worker;
* after a response, a worker waits ``linger`` seconds (10 ms) for the connection's next
  request, when no request is waiting for a worker: a busy keep-alive client then costs
  no trip through the selector thread, an idle one a worker for 10 ms.

The selector thread alone changes the bookkeeping; workers hand a finished connection
back through a queue and a wake-up byte.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import select
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ._request import head_end

__all__ = ["Conn", "ConnectionLoop", "Limits", "open_files_limit"]


@dataclass(frozen=True)
class Limits:
    """How much the server gives each client (see the module docstring)."""

    workers: int = 128
    per_client: int = 64
    connections: int = 1024
    per_client_connections: int = 512
    idle_timeout: float = 60.0
    header_timeout: float = 10.0
    send_timeout: float = 30.0
    max_head: int = 32 << 10
    linger: float = 0.01  # a worker waits this long for a keep-alive's next request


class Conn:
    """One client connection and the bytes read from it that no request consumed yet."""

    __slots__ = ("address", "buffer", "busy", "deadline", "head_started", "scanned", "sock")

    def __init__(self, sock: socket.socket, address: str, now: float, idle: float) -> None:
        self.sock = sock
        self.address = address
        self.buffer = bytearray()
        self.scanned = 0  # how far the buffer was searched for the end of a head
        self.head_started = False
        self.busy = False
        self.deadline = now + idle


Handler = Callable[[Conn, bytes], bool]  # (connection, head) -> keep the connection?
Reject = Callable[[Conn, int, str], None]  # (connection, status, message): a last word


class ConnectionLoop:
    """Accepts on *listener*, gathers heads, runs *handle* in worker threads."""

    def __init__(self, listener: socket.socket, handle: Handler, reject: Reject,
                 limits: Limits) -> None:
        self.limits = limits
        self._listener = listener
        self._handle, self._reject = handle, reject
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._waiting: collections.OrderedDict[int, Conn] = collections.OrderedDict()
        self._open: dict[str, int] = collections.Counter()  # address -> open connections
        self._running: dict[str, int] = collections.Counter()  # address -> requests
        self._queued: dict[str, collections.deque[Conn]] = {}
        self._done: queue.SimpleQueue[tuple[Conn, bool]] = queue.SimpleQueue()
        self._work: queue.SimpleQueue[Conn | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle_workers = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._closed = False
        self._stopped = threading.Event()
        self._stopped.set()

    # -- the selector thread ------------------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._stopped.clear()
        try:
            next_sweep = 0.0
            while not self._stop.is_set():
                now = time.monotonic()
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + 0.25
                for key, _ in self._selector.select(min(poll_interval, 0.25)):
                    if key.fileobj is self._listener:
                        self._accept()
                    elif key.fileobj is self._wake_r:
                        self._drain()
                    else:
                        self._read(key.data)
        finally:
            self._stop.clear()
            self._stopped.set()

    def shutdown(self) -> None:
        self._stop.set()
        self._wake()
        self._stopped.wait()

    def close(self) -> None:
        self._closed = True
        for conn in list(self._waiting.values()):
            self._close(conn)
        for _ in self._threads:
            self._work.put(None)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _accept(self) -> None:
        for _ in range(64):
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of file descriptors, say: make room, try later
                if not self._evict(None):
                    time.sleep(0.05)  # (nothing to close: do not spin on the listener)
                return
            sock.setblocking(False)
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                # Headers and body go out in separate writes; without this, Nagle's
                # algorithm and delayed ACKs add 40 ms to every small response.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Conn(sock, str(address[0]) if isinstance(address, tuple) else "local",
                        time.monotonic(), self.limits.idle_timeout)
            self._open[conn.address] += 1
            if self._open[conn.address] > self.limits.per_client_connections:
                self._evict(conn.address)
            if sum(self._open.values()) > self.limits.connections:
                self._evict(None)
            self._listen(conn)

    def _listen(self, conn: Conn) -> None:
        self._waiting[conn.sock.fileno()] = conn
        self._selector.register(conn.sock, selectors.EVENT_READ, conn)

    def _evict(self, address: str | None) -> bool:
        """Close the connection that waited longest for a request (of *address*): an idle
        one first, else one still sending its head.  False if there is none."""
        for started in (False, True):
            for conn in self._waiting.values():
                if conn.head_started == started and address in (None, conn.address):
                    self._close(conn)
                    return True
        return False

    def _read(self, conn: Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)
            return
        conn.buffer += data
        self._gathered(conn)

    def _gathered(self, conn: Conn) -> None:
        """Dispatch *conn* if its buffer holds a whole head; note when one began."""
        if not conn.head_started:
            # RFC 9112 2.2: empty lines before a request line are ignored
            while conn.buffer and conn.buffer[0] in (0x0D, 0x0A):
                del conn.buffer[:1]
            if conn.buffer:
                conn.head_started = True
                conn.deadline = time.monotonic() + self.limits.header_timeout
        end = head_end(conn.buffer, conn.scanned)
        if end < 0:
            conn.scanned = len(conn.buffer)
            if len(conn.buffer) > self.limits.max_head:
                self._last_word(conn, 431, f"request head over {self.limits.max_head} bytes")
            return
        self._unlisten(conn)
        conn.busy = True
        running = self._running[conn.address]
        if running >= self.limits.per_client:
            self._queued.setdefault(conn.address, collections.deque()).append(conn)
        else:
            self._start(conn)

    def _start(self, conn: Conn) -> None:
        self._running[conn.address] += 1
        with self._lock:
            spawn = self._idle_workers <= 0 and len(self._threads) < self.limits.workers
            if not spawn:
                self._idle_workers -= 1
        if spawn:
            thread = threading.Thread(target=self._worker, daemon=True,
                                      name=f"gateway-worker-{len(self._threads)}")
            self._threads.append(thread)
            thread.start()
        self._work.put(conn)

    def _drain(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while True:
            try:
                conn, keep = self._done.get_nowait()
            except queue.Empty:
                return
            conn.busy = False
            self._running[conn.address] -= 1
            if not self._running[conn.address]:
                del self._running[conn.address]
            waiting = self._queued.get(conn.address)
            if waiting:
                self._start(waiting.popleft())
                if not waiting:
                    del self._queued[conn.address]
            if not keep or self._stop.is_set():
                self._close(conn)
                continue
            conn.scanned, conn.head_started = 0, False
            conn.deadline = time.monotonic() + self.limits.idle_timeout
            self._listen(conn)
            if conn.buffer:  # (a pipelined request came with the last one)
                self._gathered(conn)

    def _sweep(self, now: float) -> None:
        for conn in [c for c in self._waiting.values() if c.deadline <= now]:
            if conn.head_started:
                self._last_word(conn, 408, f"no complete request head within "
                                f"{self.limits.header_timeout:g} s")
            else:
                self._close(conn)

    def _last_word(self, conn: Conn, status: int, message: str) -> None:
        try:
            self._reject(conn, status, message)
        finally:
            self._close(conn)

    def _unlisten(self, conn: Conn) -> None:
        if self._waiting.pop(conn.sock.fileno(), None) is not None:
            self._selector.unregister(conn.sock)

    def _close(self, conn: Conn) -> None:
        self._unlisten(conn)
        self._open[conn.address] -= 1
        if not self._open[conn.address]:
            del self._open[conn.address]
        with contextlib.suppress(OSError):
            conn.sock.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full: the loop is awake already (or closed)
            self._wake_w.send(b"\0")

    # -- the workers ----------------------------------------------------------------------

    def _worker(self) -> None:
        while True:
            conn = self._work.get()
            if conn is None:
                return
            keep = False
            try:
                conn.sock.settimeout(self.limits.send_timeout)
                while True:
                    end = head_end(conn.buffer)
                    head = bytes(conn.buffer[:end])
                    del conn.buffer[:end]
                    keep = self._handle(conn, head)
                    if not keep or not self._next_head(conn):
                        break
                conn.sock.setblocking(False)
            except Exception:  # (the handler logs its own failures)
                keep = False
            finally:
                with self._lock:
                    self._idle_workers += 1
                if self._closed:  # (nobody will take the connection back)
                    with contextlib.suppress(OSError):
                        conn.sock.close()
                else:
                    self._done.put((conn, keep))
                    self._wake()


    def _next_head(self, conn: Conn) -> bool:
        """Whether the connection's next request head came whole within ``linger`` seconds
        (then this worker answers it, as the selector thread would have, one thread switch
        sooner).  Only while some worker is free: a request waiting for one comes first."""
        deadline = time.monotonic() + self.limits.linger
        while head_end(conn.buffer) < 0:
            left = deadline - time.monotonic()
            if left <= 0 or self._idle_workers < 0 or self._stop.is_set() \
                    or len(conn.buffer) > self.limits.max_head:
                return False
            ready, _, _ = select.select([conn.sock], [], [], left)
            if not ready:
                return False
            data = conn.sock.recv(65536)
            if not data:  # (closed: the selector thread finds out, and closes it too)
                return False
            conn.buffer += data
        return True


def open_files_limit() -> int:
    """The soft limit on open file descriptors (1024 where it cannot be read)."""
    try:
        import resource

        return int(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    except (ImportError, ValueError, OSError):
        return 1024 if os.name != "nt" else 512

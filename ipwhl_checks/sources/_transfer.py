"""Every transfer's total deadline, and stopping transfers at once (a signal).

A read timeout bounds one read, not a transfer: a server that sends a byte a second never
trips it (and ``http.client`` loops over such reads until a whole buffer is filled).  So
each attempt is watched as a whole: its sockets are known (our urllib3 connection classes
register them as they are used), and one watchdog thread shuts them down when the
attempt passes its deadline, ``start + grace + bytes received / min_rate``: after a grace
period (the connect and read timeouts) it must go on at an average of at least
``min_rate`` bytes a second, so an attempt lasts at most ``grace + size / min_rate``.
:meth:`Watch.cancel` shuts every socket down at once (Ctrl-C, SIGTERM): the threads that
read them get an error within milliseconds instead of waiting for their server.

A socket shut down under a reading thread makes its read return the end of the stream (or
an error); the reader then sees :attr:`Transfer.why` and reports that instead.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3 import ProxyManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..util import threads

__all__ = ["Transfer", "Watch", "WatchedAdapter"]

SLOW, CANCELLED = "slow", "cancelled"
_POLL = 0.1  # seconds between two looks of the watchdog
_IDLE = 5.0  # seconds without a transfer after which the watchdog's thread ends
_local = threading.local()  # .transfer: the attempt this thread runs


class Transfer:
    """One attempt at one URL (all its redirect hops): its sockets and its deadline."""

    def __init__(self, grace: float, min_rate: float) -> None:
        self.start = time.monotonic()
        self.grace, self.min_rate = grace, min_rate
        self.received = 0  # bytes of the body so far (the reader counts them)
        self.why: str | None = None  # SLOW or CANCELLED once stopped
        self.sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def deadline(self) -> float:
        return self.start + self.grace + self.received / self.min_rate

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def add_socket(self, sock: socket.socket) -> None:
        with self._lock:
            self.sockets.append(sock)
            stopped = self.why is not None
        if stopped:
            _shutdown(sock)

    def stop(self, why: str) -> None:
        with self._lock:
            if self.why is None:
                self.why = why
            sockets = list(self.sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for an SSLSocket: its override would drop the
    # SSL object under the thread reading it
    with contextlib.suppress(OSError):  # (already closed)
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Watch:
    """The transfers running in a client, their watchdog, and their cancellation."""

    def __init__(self) -> None:
        self._transfers: set[Transfer] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self.cancelled = False

    @contextmanager
    def transfer(self, grace: float, min_rate: float) -> Iterator[Transfer]:
        """Watch one attempt made by this thread."""
        t = Transfer(grace, min_rate)
        with self._cond:
            if self.cancelled:
                t.why = CANCELLED
            self._transfers.add(t)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ipwhl-watchdog",
                                                daemon=True)
                threads.start(self._thread)
            self._cond.notify()
        _local.transfer = t
        try:
            yield t
        finally:
            _local.transfer = None
            with self._cond:
                self._transfers.discard(t)

    def cancel(self) -> None:
        """Stop every transfer now, and any later one as it starts."""
        with self._cond:
            self.cancelled = True
            running = list(self._transfers)
        for t in running:
            t.stop(CANCELLED)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._transfers:
                    if not self._cond.wait(_IDLE) and not self._transfers:  # idle: it ends
                        self._thread = None
                        return
                running = list(self._transfers)
            now = time.monotonic()
            for t in running:
                if t.why is None and now > t.deadline():
                    t.stop(SLOW)
            time.sleep(_POLL)


def _register(sock: socket.socket | None) -> None:
    transfer: Transfer | None = getattr(_local, "transfer", None)
    if transfer is not None and sock is not None:
        transfer.add_socket(sock)


class _Registering:
    """Hands the connection's socket to the thread's transfer when it connects or is
    reused for a request."""

    sock: socket.socket | None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _register(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Registering, HTTPConnection):
    pass


class _HTTPSConnection(_Registering, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter with connections whose sockets the watchdog can shut down."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if type(manager) is ProxyManager:  # (a SOCKS proxy's connections are its own)
            manager.pool_classes_by_scheme = _POOLS
        return manager

"""The HTTP server: a read-only IPFS gateway over a :class:`BlockStore`.

:class:`GatewayServer` listens, lets :mod:`._loop` gather request heads (idle and slow
clients wait there, costing no thread), parses each head (:mod:`._request`), answers it
in a worker thread (:mod:`.handler`) and logs one line per request::

    127.0.0.1 "GET /ipfs/bafy.../x.whl" 200 104857 12ms

(status, body bytes, time; then what went wrong, if anything).  A request line's control
characters are escaped, so a request cannot forge log lines.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from typing import TextIO

from ._http import Abort, Response
from ._loop import Conn, ConnectionLoop, Limits, open_files_limit
from ._request import HeadError, Request, parse_head
from .handler import Exchange
from .store import BlockStore

__all__ = ["GatewayServer", "Limits"]


def _printable(text: str) -> str:
    """*text* with control characters escaped, so a request cannot forge log lines."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


class GatewayServer:
    """Serves *store* on *address* (host, port; port 0: any free port) until
    :meth:`shutdown`; ``serve_forever``, ``shutdown``, ``server_close`` and
    ``server_address`` as in :mod:`socketserver`."""

    def __init__(self, address: tuple[str, int], store: BlockStore,
                 log: TextIO | None = None, limits: Limits | None = None) -> None:
        self.store = store
        self.log = log or sys.stderr
        self._log_lock = threading.Lock()
        host, port = address
        family, bind = socket.AF_INET, ("", port)  # "": every IPv4 address, as socketserver
        if host not in ("", "0.0.0.0"):
            family, _, _, _, where = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
            bind = (str(where[0]), int(where[1]))
        self.socket = socket.create_server(bind, family=family, backlog=1024)
        self.socket.setblocking(False)
        limits = limits or Limits()
        if limits.connections > open_files_limit() - 64:  # room for the CARs and the log
            limits = Limits(**{**limits.__dict__,
                               "connections": max(16, open_files_limit() - 64)})
        self.limits = limits
        self._loop = ConnectionLoop(self.socket, self._handle, self._reject, limits)

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self.socket.getsockname()[:2]
        return str(host), int(port)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._loop.serve_forever(poll_interval)

    def shutdown(self) -> None:
        self._loop.shutdown()

    def server_close(self) -> None:
        self._loop.close()
        self.socket.close()

    def log_line(self, line: str) -> None:
        with self._log_lock:
            self.log.write(line + "\n")
            self.log.flush()

    # -- one request ----------------------------------------------------------------------

    def _handle(self, conn: Conn, head: bytes) -> bool:
        """Answer the request in *head* on *conn*; whether the connection stays open."""
        began = time.monotonic()
        first_line = head.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")[:2000]
        request: Request | None = None
        failure: HeadError | None = None
        try:
            request = parse_head(head)
            first_line = f"{request.method} {request.target}"
        except HeadError as e:
            failure = e
        response = Response(conn.sock, request)
        try:
            if failure is not None:
                response.error(failure.status, str(failure))
            else:
                assert request is not None
                if request.has_body:  # (not read: the connection closes after the answer)
                    response.close = True
                Exchange(self.store, request, response).run()
        except Abort as e:
            response.note, response.close = f"aborted: {e}", True
            response.cut()
        except TimeoutError:
            response.note, response.close = "client too slow: write timed out", True
        except OSError:
            response.note, response.close = "client went away", True
        except Exception as e:  # a bug must cost one request, not the server
            response.close = True
            if response.status:
                response.cut()
            else:
                with contextlib.suppress(OSError):
                    response.error(500, repr(e))
            response.note = f"internal error: {e!r}"
        ms = (time.monotonic() - began) * 1000
        line = (f'{conn.address} "{first_line}" {response.status} {response.sent} '
                f"{ms:.0f}ms")
        self.log_line(_printable(line + (f" {response.note}" if response.note else "")))
        return not response.close

    def _reject(self, conn: Conn, status: int, message: str) -> None:
        """The selector thread's last word to a connection it closes (408, 431)."""
        first_line = bytes(conn.buffer.split(b"\n", 1)[0][:200]).decode("latin-1")
        phrase = {408: "Request Timeout", 431: "Request Header Fields Too Large"}[status]
        text = f"{status} {phrase}: {message}\n"
        data = (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(text)}\r\nConnection: close\r\n\r\n{text}").encode()
        with contextlib.suppress(OSError):
            conn.sock.send(data)  # (non-blocking: whatever fits)
        self.log_line(_printable(f'{conn.address} "{first_line}" {status} 0 0ms {message}'))

"""HTTP plumbing of the gateway: content types, ``Range`` parsing, response writing.

:class:`ResponseWriter` is mixed into the request handler: it sends the status line and
headers, counts the bytes it writes for the log line, and turns a block that fails
verification after the headers went out into :class:`Abort` (the handler then cuts the
connection, so the client sees a short body, never wrong bytes).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler

from ..errors import CarError, UnixFSError

__all__ = ["Abort", "ResponseWriter", "content_type", "parse_range"]

_TYPES = {
    ".whl": "application/zip",  # PEP 427: a wheel is a ZIP archive
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".metadata": "text/plain; charset=utf-8",  # PEP 658: the wheel's METADATA file
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",  # the browse site's (a browser applies no other type)
    ".js": "text/javascript; charset=utf-8",  # (and runs no other: nosniff)
    ".svg": "image/svg+xml",
    ".toml": "application/toml",
    ".txt": "text/plain; charset=utf-8",
    ".car": "application/vnd.ipld.car",
    ".tar.gz": "application/gzip",
    ".zip": "application/zip",
}


def content_type(name: str) -> str:
    for suffix, kind in _TYPES.items():
        if name.endswith(suffix):
            return kind
    return "application/octet-stream"


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """RFC 9110 14.2: one ``bytes=`` range as [start, end), None to send it all, or
    ``"unsatisfiable"``.  Several ranges are answered with the whole file (allowed)."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, _, last = header[6:].strip().partition("-")
    try:
        if not first:
            n = int(last)
            return (max(0, size - n), size) if n > 0 and size else "unsatisfiable"
        start = int(first)
        end = int(last) + 1 if last else size
    except ValueError:
        return None
    if last and end <= start:  # last < first: not a valid range, so the header is ignored
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size)


class Abort(Exception):
    """A block failed after the headers went out: cut the connection."""


class ResponseWriter(BaseHTTPRequestHandler):
    """Writing responses; ``_status``, ``_sent`` and ``_note`` feed the log line."""

    _status = 0
    _sent = 0
    _note = ""

    def _start(self, status: int, kind: str | None, headers: dict[str, str]) -> None:
        self._status = status
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
            self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def _write(self, data: bytes | memoryview) -> None:
        self.wfile.write(data)
        self._sent += len(data)

    def _stream(self, chunks: Iterator[memoryview]) -> None:
        try:
            for chunk in chunks:
                self._write(chunk)
        except (CarError, UnixFSError) as e:
            raise Abort(str(e)) from e

    def _stream_chunked(self, ready: Iterable[bytes], chunks: Iterator[bytes]) -> None:
        def frame(data: bytes) -> None:
            if data:
                self._write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        for data in ready:
            frame(data)
        try:
            for data in chunks:
                frame(data)
        except (CarError, UnixFSError) as e:
            raise Abort(str(e)) from e
        self.wfile.write(b"0\r\n\r\n")

    def _reply(self, status: int, data: bytes, kind: str | None, body: bool,
               headers: dict[str, str] | None = None) -> None:
        headers = dict(headers or {})
        if status != 304:
            headers["Content-Length"] = str(len(data))
        self._start(status, kind, headers)
        if body and data and status != 304:
            self._write(data)

    def _error(self, status: int, message: str, body: bool) -> None:
        self._note = message
        text = f"{status} {self.responses.get(status, ('',))[0]}: {message}\n".encode()
        self._reply(status, text, "text/plain; charset=utf-8", body)

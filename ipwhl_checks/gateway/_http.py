"""HTTP plumbing of the gateway: content types, ``Range``, ``If-None-Match``,
``Content-Disposition``, and :class:`Response`, which writes one response on a socket.

A :class:`Response` sends the status line and headers with the first bytes of the body,
frames the body (chunked when its length is not known up front), counts the body bytes
for the log line, and turns a block that fails verification after the headers went out
into :class:`Abort` (the connection is then cut: the client sees a short body, never
wrong bytes).
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Iterator
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import quote

from ..errors import CarError, UnixFSError
from ._request import Request

__all__ = [
    "CORS",
    "Abort",
    "Response",
    "content_disposition",
    "content_type",
    "etag_match",
    "parse_ranges",
]

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
MAX_RANGES = 16  # more ranges than this in one request: the header is ignored (RFC 9110)

# Path gateway spec, CORS: every response may be read by any origin's scripts.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Range, User-Agent, X-Requested-With",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range, X-Chunked-Output, "
                                     "X-Ipfs-Path, X-Ipfs-Roots, X-Stream-Output",
}


def content_type(name: str) -> str:
    for suffix, kind in _TYPES.items():
        if name.endswith(suffix):
            return kind
    return "application/octet-stream"


_RANGE = re.compile(r"(\d{0,19})-(\d{0,19})")


def parse_ranges(header: str | None, size: int) -> list[tuple[int, int]] | str | None:
    """RFC 9110 14.1.2 and 14.2: the satisfiable ``bytes=`` ranges as [start, end), in the
    order asked; None to send it all (no header, another unit, bad syntax, too many
    ranges); ``"unsatisfiable"`` when no range overlaps the representation."""
    if not header:
        return None
    unit, eq, specs = header.partition("=")
    if not eq or unit.strip().lower() != "bytes":
        return None
    found: list[tuple[int, int]] = []
    items = [s.strip(" \t") for s in specs.split(",")]
    items = [s for s in items if s]
    if not items or len(items) > MAX_RANGES:
        return None
    for spec in items:
        matched = _RANGE.fullmatch(spec)
        if matched is None or not (matched.group(1) or matched.group(2)):
            return None  # not a range-spec: the whole header is ignored
        first, last = matched.groups()
        if not first:
            n = int(last)
            if n > 0 and size:
                found.append((max(0, size - n), size))
            continue
        start = int(first)
        if last and int(last) < start:
            return None  # last < first: an invalid range-spec
        if start < size:
            found.append((start, min(int(last) + 1 if last else size, size)))
    return found or "unsatisfiable"


def etag_match(header: str | None, etags: list[str]) -> str | None:
    """The entity-tag of *etags* that ``If-None-Match`` names (RFC 9110 13.1.2: weak
    comparison, a list, or ``*`` for any), or None."""
    if not header or not etags:
        return None
    if header.strip() == "*":
        return etags[0]
    wanted = {t.strip().removeprefix("W/") for t in re.findall(r'\s*(?:W/)?"[^"]*"', header)}
    for etag in etags:
        if etag.removeprefix("W/") in wanted:
            return etag
    return None


def content_disposition(kind: str, name: str) -> str:
    """``Content-Disposition`` for *name* (RFC 6266 and 8187, as boxo writes it): an ASCII
    ``filename`` (other characters as ``_``) and the UTF-8 ``filename*``, both escaped."""
    ascii_name = "".join(c if ord(c) < 128 else "_" for c in name)
    safe = "$&+,:;=@"  # Go's url.PathEscape leaves these
    return (f'{kind}; filename="{quote(ascii_name, safe=safe)}"; '
            f"filename*=UTF-8''{quote(name, safe=safe)}")


class Abort(Exception):
    """A block failed after the headers went out: cut the connection."""


_DATE: list[object] = [0, ""]


def _date() -> str:
    now = int(time.time())
    if _DATE[0] != now:
        _DATE[:] = [now, formatdate(now, usegmt=True)]
    return str(_DATE[1])


class Response:
    """One response on *sock* to *request* (None: the head could not be read)."""

    def __init__(self, sock: socket.socket, request: Request | None) -> None:
        self._sock = sock
        self.request = request
        self.head_only = request is not None and request.method == "HEAD"
        self.close = request is None or not request.keep_alive or request.has_body
        self.status = 0
        self.sent = 0
        self.note = ""
        self._chunked = False
        self._out = bytearray()

    def start(self, status: int, headers: dict[str, str], length: int | None) -> None:
        """Queue the status line and headers; *length* None: the body is framed as
        chunks (HTTP/1.1) or ends when the connection closes (HTTP/1.0)."""
        self.status = status
        if length is None and status not in (204, 304) and not self.head_only:
            if self.request is not None and self.request.version == "HTTP/1.1":
                self._chunked = True
            else:
                self.close = True
        if length is None and status not in (204, 304):
            if self.request is not None and self.request.version == "HTTP/1.1":
                headers["Transfer-Encoding"] = "chunked"
        elif length is not None and status != 304:
            headers["Content-Length"] = str(length)
        reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        lines = [f"HTTP/1.1 {status} {reason}", "Server: ipwhl-gateway", f"Date: {_date()}"]
        lines += [f"{k}: {v}" for k, v in {**CORS, **headers}.items()]
        if self.close:
            lines.append("Connection: close")
        self._out += ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")

    def write(self, data: bytes | memoryview) -> None:
        n = len(data)
        if self.head_only or not n:
            return
        if self._chunked:
            self._out += b"%x\r\n" % n
        if n < 16384:
            self._out += data
            if self._chunked:
                self._out += b"\r\n"
            if len(self._out) >= 65536:
                self._flush()
        else:
            self._flush()
            self._sock.sendall(data)
            if self._chunked:
                self._out += b"\r\n"
        self.sent += n

    def stream(self, chunks: Iterator[bytes] | Iterator[memoryview]) -> None:
        """Write every chunk; a block that fails on the way is :class:`Abort`."""
        try:
            for chunk in chunks:
                self.write(chunk)
        except (CarError, UnixFSError) as e:
            raise Abort(str(e)) from e

    def finish(self) -> None:
        if self._chunked:
            self._out += b"0\r\n\r\n"
            self._chunked = False
        self._flush()

    def cut(self) -> None:
        """Send what is queued (verified bytes) without ending the body: the connection is
        then closed, and the client sees the body cut short."""
        self._chunked = False
        with contextlib.suppress(OSError):
            self._flush()

    def _flush(self) -> None:
        if self._out:
            self._sock.sendall(self._out)
            self._out.clear()

    def reply(self, status: int, body: bytes, kind: str | None,
              headers: dict[str, str] | None = None) -> None:
        """A whole response whose body is *body* (not sent for HEAD or 304)."""
        headers = dict(headers or {})
        if kind:
            headers = {"Content-Type": kind, **headers}
        self.start(status, headers, len(body))
        if status != 304:
            self.write(body)
        self.finish()

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        """A one-line plain-text error saying what is wrong."""
        self.note = message
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        one_line = " ".join(message.splitlines())
        text = f"{status} {phrase}: {one_line}\n"
        self.reply(status, text.encode("utf-8", "replace"), "text/plain; charset=utf-8",
                   headers)

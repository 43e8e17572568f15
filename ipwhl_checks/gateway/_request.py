"""One HTTP/1.1 request head, parsed strictly (RFC 9112 section 2-3, 5).

The connection loop hands over the bytes up to the blank line; :func:`parse_head` turns
them into a :class:`Request` or raises :class:`HeadError` carrying the status to answer
(400, 431, 505).  Bytes are read as ISO-8859-1, so every byte is a character and nothing
here raises anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_HEADERS", "HeadError", "Request", "head_end", "parse_head"]

MAX_HEADERS = 100
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 5.6.2 tchar
_TARGET = re.compile(r"[\x21-\x7e\x80-\xff]+")  # no spaces, no control characters
_VERSION = re.compile(r"HTTP/(\d)\.(\d)")
_END = re.compile(rb"\r?\n\r?\n")


class HeadError(Exception):
    """A request head the server cannot take: *status* says why (400, 431, 505)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    """A parsed request head: the request line's parts and the header fields in order."""

    method: str
    target: str
    version: str
    fields: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        """The field *name* (any case); several lines are joined with ``", "``."""
        name = name.lower()
        values = [v for k, v in self.fields if k == name]
        return ", ".join(values) if values else None

    def count(self, name: str) -> int:
        name = name.lower()
        return sum(1 for k, _ in self.fields if k == name)

    @property
    def keep_alive(self) -> bool:
        """RFC 9112 9.3: HTTP/1.1 persists unless ``Connection: close``; 1.0 only with
        ``Connection: keep-alive``."""
        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens

    @property
    def has_body(self) -> bool:
        """Whether a body follows (one this read-only server does not read)."""
        return self.header("transfer-encoding") is not None or \
            (self.header("content-length") or "0").strip() not in ("", "0")


def head_end(buffer: bytes | bytearray, start: int = 0) -> int:
    """The index just past the blank line ending a head in *buffer*, or -1."""
    found = _END.search(buffer, max(0, start - 3))
    return -1 if found is None else found.end()


def parse_head(head: bytes) -> Request:
    """The request in *head* (the bytes up to and including the blank line)."""
    text = head.decode("latin-1")
    lines = re.split(r"\r?\n", text.lstrip("\r\n"))
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise HeadError(400, "empty request")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise HeadError(400, f"bad request line {lines[0][:200]!r}")
    method, target, version = parts
    if not _TOKEN.fullmatch(method):
        raise HeadError(400, f"bad method {method[:50]!r}")
    if not _TARGET.fullmatch(target):
        raise HeadError(400, f"bad request target {target[:200]!r}")
    matched = _VERSION.fullmatch(version)
    if not matched:
        raise HeadError(400, f"bad HTTP version {version[:50]!r}")
    if matched.group(1) != "1":
        raise HeadError(505, f"HTTP version {version!r} is not supported (HTTP/1.1 is)")
    fields: list[tuple[str, str]] = []
    for line in lines[1:]:
        if len(fields) >= MAX_HEADERS:
            raise HeadError(431, f"more than {MAX_HEADERS} header fields")
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name):  # (also: obsolete line folding)
            raise HeadError(400, f"bad header line {line[:100]!r}")
        if any(c in value for c in "\0\r\n"):
            raise HeadError(400, f"bad value in header {name!r}")
        fields.append((name.lower(), value.strip(" \t")))
    request = Request(method, target, "HTTP/1.0" if matched.group(2) == "0" else "HTTP/1.1",
                      fields)
    if request.version == "HTTP/1.1" and request.count("host") != 1:
        raise HeadError(400, "an HTTP/1.1 request needs exactly one Host header")
    length = request.header("content-length")
    if length is not None and not re.fullmatch(r"\d{1,18}", length.strip()):
        raise HeadError(400, f"bad Content-Length {length[:50]!r}")
    return request

"""Writing a response's body: a file or block by ranges, or a stream of unknown length.

RFC 9110 14.6: one range is a 206 with ``Content-Range``; several are one 206 of type
``multipart/byteranges``, each part with its own ``Content-Type`` and ``Content-Range``
(its length is known up front, so it is not chunked).  The first chunk of a body is read
before the status line goes out (a missing or bad first block is then still a 502).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence

from ._http import Response

__all__ = ["Reader", "write_ranges", "write_stream"]

Reader = Callable[[int, int], Iterator[memoryview]]  # (start, end) -> the bytes [start, end)


def write_ranges(resp: Response, size: int, kind: str, headers: dict[str, str],
                 ranges: Sequence[tuple[int, int]] | None, read: Reader) -> None:
    """The *size* bytes *read* gives (*ranges* None), or those *ranges* of them."""
    parts = list(ranges) if ranges is not None else [(0, size)]
    chunks = read(*parts[0])
    first = next(chunks, memoryview(b"")) if not resp.head_only else b""
    if len(parts) == 1:
        start, end = parts[0]
        if ranges is not None:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        resp.start(206 if ranges is not None else 200, {"Content-Type": kind, **headers},
                   end - start)
        resp.write(first)
        resp.stream(chunks)
        return resp.finish()
    boundary = secrets.token_hex(12)
    heads = [(f"\r\n--{boundary}\r\nContent-Type: {kind}\r\n"
              f"Content-Range: bytes {s}-{e - 1}/{size}\r\n\r\n").encode() for s, e in parts]
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = sum(len(h) for h in heads) + sum(e - s for s, e in parts) + len(tail)
    resp.start(206, {"Content-Type": f"multipart/byteranges; boundary={boundary}", **headers},
               length)
    for i, ((start, end), head) in enumerate(zip(parts, heads, strict=True)):
        resp.write(head)
        if i == 0:
            resp.write(first)
            resp.stream(chunks)
        else:
            resp.stream(read(start, end))
    resp.write(tail)
    resp.finish()


def write_stream(resp: Response, headers: dict[str, str], chunks: Iterator[bytes],
                 ready: int = 1) -> None:
    """A 200 of unknown length (chunked): *ready* chunks are read before it starts."""
    if resp.head_only:
        resp.start(200, headers, None)
        return resp.finish()
    first = [chunk for _, chunk in zip(range(ready), chunks, strict=False)]
    resp.start(200, headers, None)
    for chunk in first:
        resp.write(chunk)
    resp.stream(chunks)
    resp.finish()

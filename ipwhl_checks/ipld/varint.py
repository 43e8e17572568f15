"""Unsigned varints: multiformats' unsigned-varint, the same as protobuf's base-128 varint.

unsigned-varint spec (multiformats/unsigned-varint): little-endian groups of 7 bits, the
high bit of each byte set when another byte follows; a value has exactly one (minimal)
encoding.  The readers take up to 10 bytes (64 bits, protobuf's limit; the
unsigned-varint spec allows 9).  CIDs, multihashes, CAR
section lengths and protobuf fields are all made of them.
"""

from __future__ import annotations

from typing import BinaryIO

__all__ = ["read_varint", "read_varint_from", "varint", "varint_len"]

def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL = [_varint(n) for n in range(1 << 14)]  # one- and two-byte varints, precomputed


def varint(n: int) -> bytes:
    """The encoding of *n* (>= 0)."""
    if n < 16384:
        return _SMALL[n]
    if n < 1 << 28:  # (a file or directory's cumulative size, mostly: written inline)
        if n < 1 << 21:
            return bytes((n & 0x7F | 0x80, n >> 7 & 0x7F | 0x80, n >> 14))
        return bytes((n & 0x7F | 0x80, n >> 7 & 0x7F | 0x80, n >> 14 & 0x7F | 0x80, n >> 21))
    return _varint(n)


def varint_len(n: int) -> int:
    """Bytes :func:`varint` needs for *n* (at least 1)."""
    return max(1, (n.bit_length() + 6) // 7)


def read_varint(buf: bytes | memoryview, pos: int = 0) -> tuple[int, int]:
    """The varint at *pos* of *buf*: (value, position after it); ValueError if it is cut
    short or longer than 10 bytes."""
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def read_varint_from(stream: BinaryIO) -> tuple[int, int] | None:
    """(value, bytes used) of the varint read from *stream*; None at a clean end of file
    (no byte at all); ValueError if it is cut short or longer than 10 bytes."""
    value = shift = used = 0
    while True:
        b = stream.read(1)
        if not b:
            if used == 0:
                return None
            raise ValueError("truncated varint")
        used += 1
        value |= (b[0] & 0x7F) << shift
        if b[0] < 0x80:
            return value, used
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")

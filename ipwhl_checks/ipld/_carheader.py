"""The CAR v1 header (https://ipld.io/specs/transport/car/carv1/#header), by hand.

The header is the dag-cbor map ``{"roots": [CID, ...], "version": 1}``: keys in dag-cbor's
length-first order, each CID as CBOR tag 42 over the byte string ``0x00 + binary CID``.
Only what a header holds is decoded (maps, arrays, text, bytes, unsigned ints, tag 42).
"""

from __future__ import annotations

from collections.abc import Sequence

from multiformats import CID

from .cid import to_cid

__all__ = ["encode_header", "parse_header"]


def _raw(cid: CID | bytes) -> bytes:
    return cid if isinstance(cid, bytes) else bytes(cid)


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes((major << 5 | n,))
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes((major << 5 | extra,)) + n.to_bytes(size, "big")
    raise ValueError(n)


def encode_header(roots: Sequence[CID | bytes]) -> bytes:
    """The dag-cbor CAR v1 header naming *roots*."""
    out = bytearray(_cbor_head(5, 2))  # map of 2
    out += _cbor_head(3, 5) + b"roots" + _cbor_head(4, len(roots))
    for root in roots:
        raw = b"\x00" + _raw(root)
        out += b"\xd8\x2a" + _cbor_head(2, len(raw)) + raw  # tag 42, byte string
    out += _cbor_head(3, 7) + b"version" + b"\x01"
    return bytes(out)


def parse_header(data: bytes) -> list[CID]:
    """Roots of a dag-cbor CAR v1 header; ValueError when it is not one."""
    pos = 0

    def head() -> tuple[int, int]:
        nonlocal pos
        first = data[pos]
        pos += 1
        major, info = first >> 5, first & 31
        if info < 24:
            return major, info
        size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        value = int.from_bytes(data[pos : pos + size], "big")
        pos += size
        return major, value

    def item() -> object:
        nonlocal pos
        major, value = head()
        if major == 0:
            return value
        if major in (2, 3):
            chunk = data[pos : pos + value]
            pos += value
            return chunk if major == 2 else chunk.decode()
        if major == 4:
            return [item() for _ in range(value)]
        if major == 5:
            return {item(): item() for _ in range(value)}
        if major == 6 and value == 42:
            raw = item()
            if not isinstance(raw, bytes) or raw[:1] != b"\x00":
                raise ValueError("bad CID in header")
            return to_cid(raw[1:])
        raise ValueError(f"unexpected CBOR major type {major}")

    header = item()
    if pos != len(data) or not isinstance(header, dict):
        raise ValueError("header is not one dag-cbor map")
    if header.get("version") != 1:
        raise ValueError(f"version {header.get('version')!r}, expected 1")
    roots = header.get("roots")
    if not isinstance(roots, list) or not all(isinstance(r, CID) for r in roots):
        raise ValueError("'roots' is not a list of CIDs")
    return roots

"""CAR v1 (https://ipld.io/specs/transport/car/carv1/): write, read, index and verify.

Layout: ``varint(len(header)) header`` then sections ``varint(len(cid) + len(data)) cid
data``.  The header is the dag-cbor map ``{"roots": [CID, ...], "version": 1}``: keys in
dag-cbor's length-first order, a CID as CBOR tag 42 over the bytes ``0x00 + binary CID``
(:func:`encode_header`; :func:`parse_header` reads it with :mod:`.dagcbor`).

* :class:`CarWriter` streams blocks out, each CID once;
* :class:`CarReader` reads a CAR in order and verifies every block against its CID;
* :func:`index_car` finds every block's place without reading the blocks (one index,
  keyed by canonical binary CID: :mod:`ipwhl_checks.ipld.cid`), so a store can serve a
  block with one ``pread`` and :func:`verify_block` it;
* :func:`verify_car` checks a whole file.

CIDs are binary here; ``multiformats.CID`` objects appear only at the public edge
(:attr:`CarReader.roots`, iterating a :class:`CarReader`).  Errors are
:class:`~ipwhl_checks.errors.CarError`, one line naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO

from multiformats import CID

from ..errors import CarError
from ..util.regular import open_regular
from .cid import canonical, cid_fields, cid_length, cid_text, to_cid
from .dagcbor import Link, decode_dag_cbor
from .multicodec import hash_digest
from .varint import read_varint, read_varint_from, varint

__all__ = [
    "CarIndex",
    "CarReader",
    "CarWriter",
    "encode_header",
    "index_car",
    "open_car",
    "parse_header",
    "read_car",
    "verify_block",
    "verify_car",
    "write_car",
]

MAX_SECTION = 64 * 1024 * 1024  # larger than any block an IPFS node accepts (2 MiB)
MAX_HEADER = 1 << 20  # a header naming thousands of roots is far smaller
_MAX_DEPTH = 16  # CBOR nesting a header may have (it needs 3: map, array, tag)


def _raw(cid: CID | bytes) -> bytes:
    return cid if isinstance(cid, bytes) else bytes(cid)


# --- the header: a short dag-cbor writer and reader -------------------------------------


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes((major << 5 | n,))
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes((major << 5 | extra,)) + n.to_bytes(size, "big")
    raise ValueError(f"CBOR length {n} does not fit 8 bytes")


def encode_header(roots: Sequence[CID | bytes]) -> bytes:
    """The dag-cbor CAR v1 header naming *roots* (without its length varint)."""
    out = bytearray(_cbor_head(5, 2))  # map of 2
    out += _cbor_head(3, 5) + b"roots" + _cbor_head(4, len(roots))
    for root in roots:
        raw = b"\x00" + _raw(root)
        out += b"\xd8\x2a" + _cbor_head(2, len(raw)) + raw  # tag 42, byte string
    out += _cbor_head(3, 7) + b"version" + b"\x01"
    return bytes(out)


def parse_header(data: bytes) -> list[bytes]:
    """The binary root CIDs of a dag-cbor CAR v1 header; ValueError when it is not one."""
    header = decode_dag_cbor(data, max_depth=_MAX_DEPTH)
    if not isinstance(header, dict):
        raise ValueError("header is not one dag-cbor map")
    if header.get("version") != 1:
        raise ValueError(f"version {header.get('version')!r}, expected 1")
    roots = header.get("roots")
    if not isinstance(roots, list) or not all(isinstance(r, Link) for r in roots):
        raise ValueError("'roots' is not a list of CIDs")
    return [r.cid for r in roots]


# --- writing ----------------------------------------------------------------------------


class CarWriter:
    """Writes a CAR v1 to *out* as blocks arrive; each CID is written once."""

    def __init__(self, out: BinaryIO, roots: Sequence[CID | bytes]) -> None:
        self._out = out
        self._seen: set[bytes] = set()
        self._start = out.tell() if out.seekable() else 0
        header = encode_header(roots)
        self._header = varint(len(header)) + header
        out.write(self._header)
        self.blocks = 0

    def replace_roots(self, roots: Sequence[CID | bytes]) -> None:
        """Rewrite the header with *roots* (a seekable output; same encoded length).

        Lets a writer stream a DAG whose root is known only at the end: start with a
        placeholder root of the same CID version and hash, then replace it.
        """
        header = encode_header(roots)
        header = varint(len(header)) + header
        if len(header) != len(self._header):
            raise CarError("new CAR roots do not encode to the same length as the old ones")
        end = self._out.tell()
        self._out.seek(self._start)
        self._out.write(header)
        self._out.seek(end)
        self._header = header

    def add(self, cid: CID | bytes, data: bytes | memoryview) -> None:
        raw = _raw(cid)
        if raw in self._seen:
            return
        self._seen.add(raw)
        self._out.write(varint(len(raw) + len(data)) + raw)
        self._out.write(data)
        self.blocks += 1

    def __enter__(self) -> CarWriter:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._out.flush()


def write_car(out: BinaryIO, roots: Sequence[CID | bytes]) -> CarWriter:
    """Start a CAR on *out* with *roots* in its header; add blocks with ``.add(cid, data)``."""
    return CarWriter(out, roots)


# --- reading ----------------------------------------------------------------------------


def verify_block(cid: CID | bytes, data: bytes | memoryview) -> None:
    """Raise :class:`CarError` unless *data* hashes to *cid* (a hash function of
    :data:`~ipwhl_checks.ipld.multicodec.HASHES`, or identity)."""
    raw = _raw(cid)
    try:
        _version, _codec, code, digest = cid_fields(raw)
    except ValueError as e:
        raise CarError(f"not a CID ({e})") from None
    got = hash_digest(code, data)
    if got is None:
        raise CarError(f"block {cid_text(raw)} uses hash function 0x{code:x}, which is not "
                       "checked")
    if got != digest:
        raise CarError(f"block {cid_text(raw)} does not match its CID")


def _varint_at(stream: BinaryIO, what: str, offset: int, name: str) -> tuple[int, int] | None:
    """(value, bytes used) of the varint at *offset* of *stream*; None at a clean end."""
    try:
        return read_varint_from(stream)
    except ValueError as e:
        if "truncated" in str(e):
            raise CarError(f"{name}: truncated CAR: {what} length at byte {offset} is cut "
                           "off") from None
        raise CarError(f"{name}: corrupt CAR: {what} length at byte {offset} is not a "
                       "varint") from None


def _read_header(stream: BinaryIO, name: str) -> tuple[list[bytes], int]:
    """(binary roots, offset of the first section) of the CAR open as *stream*."""
    got = _varint_at(stream, "header", 0, name)
    if got is None:
        raise CarError(f"{name}: empty file, not a CAR")
    length, used = got
    if length > MAX_HEADER:
        raise CarError(f"{name}: corrupt CAR header length {length}")
    data = stream.read(length)
    if len(data) != length:
        raise CarError(f"{name}: not a CAR, or a truncated one (header of {length} bytes, "
                       f"{len(data)} present)")
    try:
        roots = parse_header(data)
    except ValueError as e:
        raise CarError(f"{name}: not a CAR v1 header ({e})") from None
    return roots, used + length


class CarReader:
    """The blocks of a CAR in order, each verified against its CID.

    ``root_cids`` are the header's roots (binary), ``roots`` the same as
    ``multiformats.CID`` objects.  :meth:`blocks` yields ``(cid, data, offset)`` with binary
    CIDs; iterating the reader yields the same with ``multiformats.CID`` objects.
    ``offset`` is where the block's data starts in the file.  The first bad or truncated
    block raises :class:`CarError` naming its CID and the byte offset of its section.
    """

    def __init__(self, stream: BinaryIO, name: str = "CAR") -> None:
        self._stream = stream
        self.name = name
        self.root_cids, self.offset = _read_header(stream, name)

    @property
    def roots(self) -> list[CID]:
        return [to_cid(root) for root in self.root_cids]

    def blocks(self) -> Iterator[tuple[bytes, bytes, int]]:
        while (block := self._next()) is not None:
            yield block

    def __iter__(self) -> Iterator[tuple[CID, bytes, int]]:
        for raw, data, offset in self.blocks():
            yield to_cid(raw), data, offset

    def _next(self) -> tuple[bytes, bytes, int] | None:
        start = self.offset
        got = _varint_at(self._stream, "block section", start, self.name)
        if got is None:
            return None
        length, used = got
        if length > MAX_SECTION or length == 0:
            raise CarError(f"{self.name}: corrupt block section length {length} at byte {start}")
        section = self._stream.read(length)
        try:
            cid_len = cid_length(section)
            cid = section[:cid_len]
            cid_fields(cid)
        except ValueError as e:
            if len(section) != length:
                raise CarError(f"{self.name}: truncated block section at byte {start}") from None
            raise CarError(
                f"{self.name}: corrupt CID in block section at byte {start} ({e})"
            ) from None
        if len(section) != length:
            raise CarError(
                f"{self.name}: truncated block {cid_text(cid)} at byte {start} "
                f"({len(section)} of {length} bytes)"
            )
        data = section[cid_len:]
        try:
            verify_block(cid, data)
        except CarError as e:
            raise CarError(f"{self.name}: {e} (section at byte {start})") from None
        self.offset = start + used + length
        return cid, data, start + used + cid_len


def read_car(stream: BinaryIO, name: str = "CAR") -> CarReader:
    """A :class:`CarReader` over *stream* (its roots are read at once)."""
    return CarReader(stream, name)


def open_car(path: str | os.PathLike[str], what: str = "cannot read",
             buffering: int = -1) -> BinaryIO:
    """*path* open for reading, as a CAR file must be: a regular file (a FIFO or a device is
    refused, without waiting for a writer).  :class:`CarError` ``"PATH: <what> (reason)"``
    when it cannot be opened."""
    try:
        return open_regular(path, buffering)
    except OSError as e:
        raise CarError(f"{os.fspath(path)}: {what} ({e.strerror or e})") from e


def verify_car(path: str | os.PathLike[str]) -> tuple[list[bytes], int]:
    """(binary roots, block count) of a CAR whose every block matches its CID and which
    holds its roots."""
    name = os.fspath(path)
    with open_car(path) as f:
        try:
            reader = CarReader(f, name)
            seen = {cid for cid, _, _ in reader.blocks()}
        except OSError as e:
            raise CarError(f"{name}: cannot read ({e.strerror})") from e
    for root in reader.root_cids:
        if root not in seen:
            raise CarError(f"{name}: root {cid_text(root)} has no block in the CAR")
    return reader.root_cids, len(seen)


@dataclass(frozen=True)
class CarIndex:
    """Where each block of a CAR is: ``blocks[canonical CID] = (data offset, data length)``
    (the first section of a CID that occurs twice), and the header's roots."""

    roots: list[bytes]
    blocks: dict[bytes, tuple[int, int]]


def index_car(f: BinaryIO, name: str) -> CarIndex:
    """The :class:`CarIndex` of the CAR open as *f* (named *name* in errors).

    Reads the header and each section's length and CID, seeking past the block data: a
    store then serves a block with one read at its offset, and must check it with
    :func:`verify_block`."""
    roots, pos = _read_header(f, name)
    size = os.fstat(f.fileno()).st_size
    blocks: dict[bytes, tuple[int, int]] = {}
    f.seek(pos)
    while pos < size:
        head = f.read(80)  # a varint and a CID: far less than 80 bytes for any hash in use
        try:
            length, at = read_varint(head, 0)
            cid_len = cid_length(head, at)
            key = canonical(head[at:at + cid_len])
        except (ValueError, IndexError) as e:
            raise CarError(f"{name}: corrupt block section at byte {pos} ({e})") from None
        data_len = length - cid_len
        start = pos + at + cid_len
        if data_len < 0 or start + data_len > size:
            raise CarError(f"{name}: truncated block {cid_text(key)} at byte {pos}")
        blocks.setdefault(key, (start, data_len))
        pos = start + data_len
        f.seek(pos)
    return CarIndex(roots, blocks)

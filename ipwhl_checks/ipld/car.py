"""CAR v1 (https://ipld.io/specs/transport/car/carv1/): a streaming writer, a verifying
reader and an index for serving blocks by CID without loading the file.

Layout: ``varint(len(header)) header`` then sections ``varint(len(cid) + len(data)) cid
data``.  The header is the dag-cbor map ``{"roots": [CID, ...], "version": 1}`` (keys in
dag-cbor's length-first order; a CID is tag 42 over the bytes ``0x00 + binary CID``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import BinaryIO

from multiformats import CID

from ..errors import CarError
from ..util.regular import open_regular
from ._carheader import encode_header, parse_header
from .cid import cid_length, to_cid, varint

__all__ = [
    "CarReader",
    "CarWriter",
    "index_car",
    "open_car",
    "read_car",
    "verify_block",
    "verify_car",
    "write_car",
]

MAX_SECTION = 64 * 1024 * 1024  # larger than any block an IPFS node accepts (2 MiB)
_SHA2_256, _IDENTITY = 0x12, 0x00


def _raw(cid: CID | bytes) -> bytes:
    return cid if isinstance(cid, bytes) else bytes(cid)


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


# --- reading ---------------------------------------------------------------------------


def _varint_from(stream: BinaryIO, what: str, offset: int, name: str) -> tuple[int, int] | None:
    """(value, bytes used) of a varint read from *stream*; None at a clean end of file."""
    value = shift = used = 0
    while True:
        b = stream.read(1)
        if not b:
            if used == 0:
                return None
            raise CarError(f"{name}: truncated CAR: {what} length at byte {offset} is cut off")
        used += 1
        value |= (b[0] & 0x7F) << shift
        if b[0] < 0x80:
            return value, used
        shift += 7
        if shift > 63:
            raise CarError(f"{name}: corrupt CAR: {what} length at byte {offset} is not a varint")


def verify_block(cid: CID, data: bytes | memoryview) -> None:
    """Raise :class:`CarError` unless *data* hashes to *cid* (sha2-256 or identity)."""
    code, digest = cid.hashfun.code, cid.raw_digest
    if code == _SHA2_256:
        ok = hashlib.sha256(data).digest() == digest
    elif code == _IDENTITY:
        ok = bytes(data) == digest
    else:
        raise CarError(f"block {cid} uses hash function {cid.hashfun.name}, which is not checked")
    if not ok:
        raise CarError(f"block {cid} does not match its CID")


class CarReader:
    """Iterates ``(cid, data, offset)`` over a CAR's blocks, verifying each against its CID.

    ``offset`` is where the block's data starts in the file.  The first bad or truncated
    block raises :class:`CarError` naming its CID and the byte offset of its section.
    """

    def __init__(self, stream: BinaryIO, name: str = "CAR") -> None:
        self._stream = stream
        self.name = name
        got = _varint_from(stream, "header", 0, name)
        if got is None:
            raise CarError(f"{name}: empty file, not a CAR")
        length, used = got
        if length > MAX_SECTION:
            raise CarError(f"{name}: corrupt CAR header length {length}")
        data = stream.read(length)
        if len(data) != length:
            raise CarError(
                f"{name}: not a CAR, or a truncated one (header of {length} bytes, "
                f"{len(data)} present)"
            )
        try:
            self.roots: list[CID] = parse_header(data)
        except (ValueError, KeyError, IndexError, UnicodeDecodeError, TypeError) as e:
            raise CarError(f"{name}: not a CAR v1 header ({e})") from None
        self.offset = used + length

    def __iter__(self) -> Iterator[tuple[CID, bytes, int]]:
        return self

    def __next__(self) -> tuple[CID, bytes, int]:
        start = self.offset
        got = _varint_from(self._stream, "block section", start, self.name)
        if got is None:
            raise StopIteration
        length, used = got
        if length > MAX_SECTION or length == 0:
            raise CarError(f"{self.name}: corrupt block section length {length} at byte {start}")
        section = self._stream.read(length)
        try:
            cid_len = cid_length(section)
            cid = to_cid(section[:cid_len])
        except (ValueError, KeyError) as e:
            if len(section) != length:
                raise CarError(f"{self.name}: truncated block section at byte {start}") from None
            raise CarError(
                f"{self.name}: corrupt CID in block section at byte {start} ({e})"
            ) from None
        if len(section) != length:
            raise CarError(
                f"{self.name}: truncated block {cid} at byte {start} "
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
    """A :class:`CarReader` over *stream* (its ``.roots`` are read at once)."""
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


def verify_car(path: str | os.PathLike[str]) -> tuple[list[CID], int]:
    """(roots, block count) of a CAR whose every block matches its CID and holds its roots."""
    with open_car(path) as f:
        try:
            reader = CarReader(f, os.fspath(path))
            seen = {bytes(cid) for cid, _, _ in reader}
        except OSError as e:
            raise CarError(f"{os.fspath(path)}: cannot read ({e.strerror})") from e
    for root in reader.roots:
        if bytes(root) not in seen:
            raise CarError(f"{os.fspath(path)}: root {root} has no block in the CAR")
    return reader.roots, len(seen)


def index_car(path: str | os.PathLike[str]) -> dict[CID, tuple[int, int]]:
    """``{cid: (offset, length)}`` of each block's data in the CAR at *path*.

    Reads only the section headers (seeking past the data), so a gateway can serve blocks
    with ``f.seek(offset); f.read(length)``; it must still check them with
    :func:`verify_block`.
    """
    name = os.fspath(path)
    index: dict[CID, tuple[int, int]] = {}
    with open_car(path) as f:
        reader = CarReader(f, name)
        size = os.fstat(f.fileno()).st_size
        pos = reader.offset
        while True:
            f.seek(pos)
            got = _varint_from(f, "block section", pos, name)
            if got is None:
                return index
            length, used = got
            if length == 0 or pos + used + length > size:
                raise CarError(f"{name}: truncated or corrupt block section at byte {pos}")
            head = f.read(min(length, 128))
            try:
                cid_len = cid_length(head)
                cid = to_cid(head[:cid_len])
            except (ValueError, KeyError) as e:
                raise CarError(
                    f"{name}: corrupt CID in block section at byte {pos} ({e})"
                ) from None
            index.setdefault(cid, (pos + used + cid_len, length - cid_len))
            pos += used + length

"""A read-only block store over CAR files: an in-memory index, verified reads.

CAR v1 spec (ipld/specs, transport/car/carv1): ``<varint header length><dag-cbor header>``
then sections ``<varint length><CID><block bytes>``.  Opening a CAR reads it once to
record each block's (file, offset, length), keeping no block bytes; :meth:`CarStore.get`
reads one block with ``os.pread`` (safe from many threads) and checks it against its CID
before returning it, so no caller ever sees bytes the CID does not name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import CarError
from ._cid import HASHES, IDENTITY, canonical, cid_multihash, cid_str, read_varint

__all__ = ["BlockMissingError", "BlockStore", "CorruptBlockError", "read_car_header"]

_READ = 1 << 20


class CorruptBlockError(CarError):
    """A block's bytes do not hash to its CID: the CAR was altered or damaged."""

    def __init__(self, cid: bytes, path: str) -> None:
        self.cid = cid
        super().__init__(f"block {cid_str(cid)} in {path} does not match its CID")


class BlockMissingError(CarError):
    """No served CAR holds the block a request needs."""

    def __init__(self, cid: bytes) -> None:
        self.cid = cid
        super().__init__(f"block {cid_str(cid)} is not in any served CAR")


# dag-cbor (RFC 8949 subset): just what a CAR v1 header uses.
def _cbor(buf: bytes, pos: int) -> tuple[object, int]:
    head = buf[pos]
    major, info = head >> 5, head & 0x1F
    pos += 1
    if info < 24:
        arg = info
    elif info <= 27:
        n = 1 << (info - 24)
        arg = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    else:
        raise ValueError("indefinite lengths are not dag-cbor")
    if major == 0:
        return arg, pos
    if major in (2, 3):
        data = buf[pos:pos + arg]
        if len(data) != arg:
            raise ValueError("truncated string")
        return (data if major == 2 else data.decode()), pos + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = _cbor(buf, pos)
            items.append(item)
        return items, pos
    if major == 5:
        out: dict[object, object] = {}
        for _ in range(arg):
            key, pos = _cbor(buf, pos)
            out[key], pos = _cbor(buf, pos)
        return out, pos
    if major == 6 and arg == 42:  # dag-cbor: tag 42 = CID, bytes with a 0x00 prefix
        inner, pos = _cbor(buf, pos)
        if not isinstance(inner, bytes) or inner[:1] != b"\x00":
            raise ValueError("bad CID tag")
        return ("cid", inner[1:]), pos
    raise ValueError(f"unexpected CBOR item 0x{head:02x}")


def read_car_header(f: object, path: str) -> tuple[list[bytes], int]:
    """(root CIDs, offset of the first section) of the open CAR file *f*."""
    head = f.read(10)  # type: ignore[attr-defined]
    try:
        length, pos = read_varint(head, 0)
        f.seek(pos)  # type: ignore[attr-defined]
        raw = f.read(length)  # type: ignore[attr-defined]
        header, _ = _cbor(raw, 0)
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        raise CarError(f"{path}: not a CAR file (bad header: {e})") from e
    if not isinstance(header, dict) or header.get("version") != 1:
        raise CarError(f"{path}: not a CAR v1 file (header {header!r:.80})")
    roots = header.get("roots")
    if not isinstance(roots, list) or not all(isinstance(r, tuple) for r in roots):
        raise CarError(f"{path}: CAR header has no list of root CIDs")
    return [r[1] for r in roots], pos + length


@dataclass(frozen=True)
class _Where:
    fd: int
    offset: int
    length: int
    path: str


class BlockStore:
    """Every block of one or more CAR files, found by CID and verified on each read."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.roots: list[bytes] = []
        self._index: dict[bytes, _Where] = {}
        self._fds: list[int] = []
        try:
            for path in paths:
                self._add(Path(path))
        except BaseException:
            self.close()
            raise

    def _add(self, path: Path) -> None:
        try:
            f = path.open("rb", buffering=_READ)
        except OSError as e:
            raise CarError(f"{path}: cannot open CAR ({e.strerror or e})") from e
        with f:
            roots, offset = read_car_header(f, str(path))
            self.roots += [r for r in roots if r not in self.roots]
            fd = os.dup(f.fileno())
            self._fds.append(fd)
            size = os.fstat(fd).st_size
            f.seek(offset)
            while offset < size:
                head = f.read(80)
                try:
                    length, pos = read_varint(head, 0)
                    key, cid_len = _section_cid(head, pos)
                except (ValueError, IndexError) as e:
                    raise CarError(f"{path}: bad section at offset {offset} ({e})") from e
                data_len = length - cid_len
                start = offset + pos + cid_len
                if data_len < 0 or start + data_len > size:
                    raise CarError(f"{path}: truncated block {cid_str(key)} at offset {offset}")
                self._index.setdefault(key, _Where(fd, start, data_len, str(path)))
                offset = start + data_len
                f.seek(offset)

    def __contains__(self, cid: bytes) -> bool:
        return canonical(cid) in self._index or cid_multihash(canonical(cid))[0] == IDENTITY

    def __len__(self) -> int:
        return len(self._index)

    def size(self, cid: bytes) -> int:
        """The length of the block *cid* (from the index, without reading it)."""
        where = self._index.get(canonical(cid))
        if where is None:
            raise BlockMissingError(cid)
        return where.length

    def get(self, cid: bytes) -> bytes:
        """The bytes of block *cid*, verified; CorruptBlockError if they do not match."""
        key = canonical(cid)
        code, digest = cid_multihash(key)
        if code == IDENTITY:
            return digest
        where = self._index.get(key)
        if where is None:
            raise BlockMissingError(cid)
        data = os.pread(where.fd, where.length, where.offset)
        hasher = HASHES.get(code)
        if len(data) != where.length or hasher is None or hasher(data) != digest:
            raise CorruptBlockError(cid, where.path)
        return data

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()


def _section_cid(head: bytes, pos: int) -> tuple[bytes, int]:
    """(canonical CID, its encoded length) of the section CID starting at *pos*."""
    if head[pos] == 0x12 and head[pos + 1] == 0x20:  # CIDv0
        return canonical(head[pos:pos + 34]), 34
    start = pos
    for _ in range(3):  # version, codec, hash code
        _, pos = read_varint(head, pos)
    length, pos = read_varint(head, pos)
    end = pos + length
    if end > len(head):
        raise ValueError("CID longer than expected")
    return canonical(head[start:end]), end - start

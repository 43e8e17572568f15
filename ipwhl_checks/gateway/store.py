"""A read-only block store over CAR files: an in-memory index, verified reads.

CAR v1 spec (ipld/specs, transport/car/carv1): ``<varint header length><dag-cbor header>``
then sections ``<varint length><CID><block bytes>``.  Opening a CAR reads it once to
record each block's (file, offset, length), keeping no block bytes (keyed by CID bytes:
building a CID object per block, as ``unixfs.index_car`` does, costs ~0.3 ms each).
:meth:`BlockStore.get` reads one block with ``os.pread`` (safe from many threads) and
checks it against its CID before returning it, so no caller ever sees bytes the CID does not name.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import CarError
from ..ipld.car import CarReader, open_car
from ..ipld.cid import canonical, cid_length, cid_multihash, cid_text, read_varint

__all__ = ["BlockMissingError", "BlockStore", "CorruptBlockError"]

_READ = 1 << 20

IDENTITY = 0x00  # multihash code of the identity "hash": the digest is the data itself
# multicodec table: the hash functions a block may be verified with.
HASHES: dict[int, Callable[[bytes], bytes]] = {
    0x12: lambda b: hashlib.sha256(b).digest(),
    0x13: lambda b: hashlib.sha512(b).digest(),
    0x16: lambda b: hashlib.sha3_256(b).digest(),
    0xB220: lambda b: hashlib.blake2b(b, digest_size=32).digest(),
}


class CorruptBlockError(CarError):
    """A block's bytes do not hash to its CID: the CAR was altered or damaged."""

    def __init__(self, cid: bytes, path: str) -> None:
        self.cid = cid
        super().__init__(f"block {cid_text(cid)} in {path} does not match its CID")


class BlockMissingError(CarError):
    """No served CAR holds the block a request needs."""

    def __init__(self, cid: bytes) -> None:
        self.cid = cid
        super().__init__(f"block {cid_text(cid)} is not in any served CAR")


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
        with open_car(path, "cannot open CAR", buffering=_READ) as f:
            header = CarReader(f, str(path))  # the CID engine's header parser
            roots, offset = [bytes(r) for r in header.roots], header.offset
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
                    raise CarError(f"{path}: truncated block {cid_text(key)} at offset {offset}")
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
    length = cid_length(head, pos)
    return canonical(head[pos:pos + length]), length

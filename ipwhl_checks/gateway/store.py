"""A read-only block store over CAR files: an in-memory index, verified reads.

Opening a CAR indexes it once (:func:`ipwhl_checks.ipld.car.index_car`: each block's
file, offset and length, keyed by canonical binary CID), keeping no block bytes.
:meth:`BlockStore.get` reads one block with ``os.pread`` (safe from many threads) and
checks it against its CID before returning it, so no caller ever sees bytes the CID does
not name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import CarError
from ..ipld.car import index_car, open_car
from ..ipld.cid import canonical, cid_fields, cid_text
from ..ipld.multicodec import IDENTITY, hash_digest

__all__ = ["BlockMissingError", "BlockStore", "CorruptBlockError"]

_READ = 1 << 20


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


@dataclass(frozen=True, slots=True)
class _Where:
    fd: int
    offset: int
    length: int
    path: str
    slot: int  # 0, 1, 2... in the order blocks were indexed: a dense number per block


class BlockStore:
    """Every block of one or more CAR files, found by CID and verified on each read.

    *label* names the CARs in error messages instead of their paths (a CAR downloaded to
    a temporary file is named by its URL)."""

    def __init__(self, paths: Sequence[Path], *, label: str | None = None) -> None:
        self.label = label
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
        name = self.label or str(path)
        try:
            with open_car(path, "cannot open CAR", buffering=_READ) as f:
                index = index_car(f, name)
                fd = os.dup(f.fileno())
        except CarError as e:
            if self.label is None:
                raise
            raise CarError(str(e).replace(str(path), self.label)) from None
        self._fds.append(fd)
        self.roots += [r for r in index.roots if r not in self.roots]
        for key, (offset, length) in index.blocks.items():
            if key not in self._index:
                self._index[key] = _Where(fd, offset, length, name, len(self._index))

    def __contains__(self, cid: bytes) -> bool:
        key = canonical(cid)
        return key in self._index or cid_fields(key)[2] == IDENTITY

    def __len__(self) -> int:
        return len(self._index)

    def slot(self, cid: bytes) -> int | None:
        """The dense number ``0 <= n < len(self)`` of the block *cid*, None if it has none
        (an identity CID, or a block no CAR holds): lets a response keep a bitmap of the
        blocks it sent instead of a set of CIDs."""
        where = self._index.get(canonical(cid))
        return None if where is None else where.slot

    def size(self, cid: bytes) -> int:
        """The length of the block *cid* (from the index, without reading it)."""
        key = canonical(cid)
        where = self._index.get(key)
        if where is None:
            _version, _codec, code, digest = cid_fields(key)
            if code == IDENTITY:
                return len(digest)
            raise BlockMissingError(cid)
        return where.length

    def get(self, cid: bytes) -> bytes:
        """The bytes of block *cid*, verified; CorruptBlockError if they do not match."""
        key = canonical(cid)
        _version, _codec, code, digest = cid_fields(key)
        if code == IDENTITY:
            return digest
        where = self._index.get(key)
        if where is None:
            raise BlockMissingError(cid)
        data = os.pread(where.fd, where.length, where.offset)
        if len(data) != where.length or hash_digest(code, data) != digest:
            raise CorruptBlockError(cid, where.path)
        return data

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()

"""A node of a UnixFS DAG, and CIDs kept as their binary form on the hot path.

Creating a ``multiformats.CID`` costs about a quarter of a millisecond, so the builders
keep binary CIDs (CIDv0: the 34-byte multihash; CIDv1: ``0x01 codec multihash``) and make
the ``CID`` object only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from multiformats import CID

from ..ipld.cid import to_cid
from ..ipld.multicodec import RAW, SHA2_256

__all__ = ["Node"]

Kind = Literal["file", "directory", "symlink"]
# a CIDv1's bytes before the digest: version 1, codec raw, hash sha2-256 of 32 bytes
_RAW_SHA256 = bytes((1, RAW, SHA2_256, 32))


@dataclass(frozen=True)
class Node:
    """The root of a DAG the builder made (or was told about).

    ``raw`` is the binary CID, ``size`` the cumulative size (the ``Tsize`` a parent's link
    carries: every block's length summed over the DAG), ``kind`` what the UnixFS root is.
    """

    raw: bytes
    size: int
    kind: Kind = "file"

    @cached_property
    def cid(self) -> CID:
        return to_cid(self.raw)

    @property
    def is_directory(self) -> bool:
        return self.kind == "directory"

    @property
    def file_sha256(self) -> bytes | None:
        """The file's sha256 when its DAG is one raw block, else None: a raw leaf holds the
        file's bytes as they are, so its CID's sha2-256 digest is the file's."""
        if self.raw[:4] == _RAW_SHA256 and len(self.raw) == 36:
            return self.raw[4:]
        return None

    def __str__(self) -> str:
        return str(self.cid)

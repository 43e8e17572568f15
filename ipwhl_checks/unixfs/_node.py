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

__all__ = ["Node"]

Kind = Literal["file", "directory", "symlink"]


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

    def __str__(self) -> str:
        return str(self.cid)

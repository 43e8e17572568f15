"""A node of a UnixFS DAG, and CIDs kept as their binary form on the hot path.

Creating a ``multiformats.CID`` costs about a quarter of a millisecond, so the builders
keep binary CIDs (CIDv0: the 34-byte multihash; CIDv1: ``0x01 codec multihash``) and make
the ``CID`` object only when asked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from multiformats import CID

__all__ = ["DAG_PB", "RAW", "Node", "cid_bytes", "to_cid"]

DAG_PB = 0x70  # multicodec dag-pb
RAW = 0x55  # multicodec raw
SHA2_256 = 0x12

Kind = Literal["file", "directory", "symlink"]


def cid_bytes(version: int, codec: int, digest: bytes) -> bytes:
    """Binary CID of a sha2-256 *digest* (32 bytes). CIDv0 is only defined for dag-pb."""
    multihash = b"\x12\x20" + digest
    if version == 0:
        return multihash
    return bytes((1, codec)) + multihash  # both codecs are < 0x80: one varint byte


def block_cid(version: int, codec: int, block: bytes) -> bytes:
    return cid_bytes(version, codec, hashlib.sha256(block).digest())


def to_cid(raw: bytes) -> CID:
    """A ``multiformats.CID`` of a binary CID, in the base kubo prints it in."""
    cid = CID.decode(raw)
    return cid if cid.version == 0 else cid.set(base="base32")


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

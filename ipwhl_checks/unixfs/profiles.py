"""The two IPIP-499 import profiles (https://specs.ipfs.tech/ipips/ipip-0499/).

Values as kubo's ``config/profile.go`` applies them for ``unixfs-v0-2015`` (kubo's default
``ipfs add``) and ``unixfs-v1-2025``; both use sha2-256, the balanced layout, HAMT fanout
256 and boxo's ``HAMTShardingSize`` of 256 KiB with a strict ``>`` comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import UnixFSError

__all__ = ["PROFILES", "Profile", "get_profile"]


@dataclass(frozen=True)
class Profile:
    """How files and directories are turned into blocks."""

    name: str
    cid_version: int  # 0: base58btc ``Qm...``; 1: base32 ``bafy...``/``bafk...``
    raw_leaves: bool  # file chunks as raw blocks (codec 0x55) instead of dag-pb UnixFS File
    chunk_size: int  # fixed-size chunker ("size-N")
    max_links: int  # UnixFSFileMaxLinks: children per internal file node
    hamt_estimate: Literal["links", "block"]  # boxo SizeEstimationLinks / SizeEstimationBlock
    hamt_threshold: int = 256 * 1024  # shard when the estimate is strictly greater
    hamt_fanout: int = 256

    @property
    def base(self) -> str:
        """Multibase of the CID strings kubo prints under this profile."""
        return "base58btc" if self.cid_version == 0 else "base32"


PROFILES: dict[str, Profile] = {
    "unixfs-v0-2015": Profile(
        name="unixfs-v0-2015",
        cid_version=0,
        raw_leaves=False,
        chunk_size=256 * 1024,
        max_links=174,
        hamt_estimate="links",
    ),
    "unixfs-v1-2025": Profile(
        name="unixfs-v1-2025",
        cid_version=1,
        raw_leaves=True,
        chunk_size=1024 * 1024,
        max_links=1024,
        hamt_estimate="block",
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called *name*; :class:`UnixFSError` names the two known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise UnixFSError(
            f"unknown profile {name!r} (expected {' or '.join(PROFILES)})"
        ) from None

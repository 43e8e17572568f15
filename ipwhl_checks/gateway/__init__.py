"""A read-only IPFS path gateway over CAR files that verifies every block it sends.

``BlockStore`` indexes CARs and checks each block against its CID on read;
``paths`` walks UnixFS directories and HAMT shards; ``content`` streams files by range,
single blocks and CARs; ``server`` is the HTTP front (``ipwhl serve``).
"""

from __future__ import annotations

from ._http import content_type, parse_range
from .server import GatewayServer
from .store import BlockMissingError, BlockStore, CorruptBlockError

__all__ = [
    "BlockMissingError",
    "BlockStore",
    "CorruptBlockError",
    "GatewayServer",
    "content_type",
    "parse_range",
]

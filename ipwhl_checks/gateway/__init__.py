"""A read-only IPFS gateway over CAR files that verifies every block it sends.

``BlockStore`` indexes CARs and checks each block against its CID on read; ``paths``
walks UnixFS directories, HAMT shards and DAG-CBOR blocks; ``content`` streams files by
range and listings; ``dagscope`` chooses a CAR's blocks; ``negotiate`` the
representation; ``handler`` answers one request and ``server`` is the HTTP front
(``ipwhl serve``); ``client`` fetches through any gateway and verifies.
"""

from __future__ import annotations

from ._http import content_type, parse_ranges
from ._loop import Limits
from .server import GatewayServer
from .store import BlockMissingError, BlockStore, CorruptBlockError

__all__ = [
    "BlockMissingError",
    "BlockStore",
    "CorruptBlockError",
    "GatewayServer",
    "Limits",
    "content_type",
    "parse_ranges",
]

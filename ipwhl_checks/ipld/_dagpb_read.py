"""Decode dag-pb nodes and their UnixFS data, leniently, as a gateway must.

The encoder and its strict decoders (for tests) are in ``_protobuf``; both read the wire
format with its ``iter_fields``.

dag-pb spec (ipld/specs, codecs/dag-pb)::

    message PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }
    message PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }

UnixFS spec (ipfs/specs, UNIXFS.md), the message in ``PBNode.Data``::

    message Data { required DataType Type = 1; optional bytes Data = 2;
                   optional uint64 filesize = 3; repeated uint64 blocksizes = 4;
                   optional uint64 hashType = 5; optional uint64 fanout = 6; ... }
    enum DataType { Raw = 0; Directory = 1; File = 2; Metadata = 3; Symlink = 4; HAMTShard = 5; }

Unknown fields are skipped as protobuf requires; fields 7 (mode) and 8 (mtime) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnixFSError
from .cid import read_varint
from .dagpb import DIRECTORY, FILE, HAMT_SHARD, METADATA, RAW, SYMLINK, iter_fields

__all__ = [
    "DIRECTORY",
    "FILE",
    "HAMT_SHARD",
    "METADATA",
    "RAW",
    "SYMLINK",
    "Link",
    "Node",
    "decode_node",
]


@dataclass(frozen=True)
class Link:
    cid: bytes
    name: str
    tsize: int


@dataclass(frozen=True)
class Node:
    """One dag-pb node with its UnixFS fields (type -1 when it carries no UnixFS data)."""

    links: tuple[Link, ...]
    type: int
    data: bytes  # UnixFS Data.Data: file bytes inline in this node, or a symlink target
    filesize: int | None
    blocksizes: tuple[int, ...]
    hash_type: int | None
    fanout: int | None


def _link(buf: bytes) -> Link:
    cid, name, tsize = b"", "", 0
    for number, wire, value in iter_fields(buf):
        if number == 1 and isinstance(value, bytes):
            cid = value
        elif number == 2 and isinstance(value, bytes):
            name = value.decode("utf-8")
        elif number == 3 and wire == 0 and isinstance(value, int):
            tsize = value
    if not cid:
        raise ValueError("link without a Hash")
    return Link(cid, name, tsize)


def decode_node(block: bytes) -> Node:
    """The dag-pb node in *block*; UnixFSError if it is not valid dag-pb / UnixFS."""
    try:
        links: list[Link] = []
        data: bytes | None = None
        for number, _wire, value in iter_fields(block):
            if number == 2 and isinstance(value, bytes):
                links.append(_link(value))
            elif number == 1 and isinstance(value, bytes):
                data = value
        if data is None:
            return Node(tuple(links), -1, b"", None, (), None, None)
        kind, inline, filesize, hash_type, fanout = -1, b"", None, None, None
        sizes: list[int] = []
        for number, wire, value in iter_fields(data):
            if number == 1 and isinstance(value, int):
                kind = value
            elif number == 2 and isinstance(value, bytes):
                inline = value
            elif number == 3 and isinstance(value, int):
                filesize = value
            elif number == 4 and wire == 0 and isinstance(value, int):
                sizes.append(value)
            elif number == 4 and isinstance(value, bytes):  # packed encoding, also valid
                pos = 0
                while pos < len(value):
                    size, pos = read_varint(value, pos)
                    sizes.append(size)
            elif number == 5 and isinstance(value, int):
                hash_type = value
            elif number == 6 and isinstance(value, int):
                fanout = value
    except (ValueError, UnicodeDecodeError) as e:
        raise UnixFSError(f"not a valid dag-pb/UnixFS node ({e})") from e
    return Node(tuple(links), kind, inline, filesize, tuple(sizes), hash_type, fanout)

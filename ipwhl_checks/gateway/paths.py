"""Resolve ``<cid>/<path>`` to the CID it names, walking directories and HAMT shards.

UnixFS spec (ipfs/specs, UNIXFS.md), HAMTShard: a big directory is a hash array mapped
trie.  ``hashType`` must be 0x22 (murmur3-x64-64); a node of ``fanout`` buckets consumes
log2(fanout) bits of the name's hash per level, most significant bits first.  Each link
name begins with its bucket index as upper-case hex padded to the width of fanout - 1; a
name of exactly that width is a sub-shard, a longer one is an entry whose name follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import UnixFSError
from ..ipld.cid import canonical, cid_fields, cid_text
from ..ipld.dagpb import DataType, PBLink, PBNode, decode_node
from ..ipld.multicodec import DAG_PB, MURMUR3_X64_64
from ..unixfs import murmur3_x64_64  # the DAG builder's, tested against kubo
from .store import BlockStore

__all__ = ["NotFoundError", "Resolved", "entries", "load_node", "resolve"]

DIRECTORY, HAMT_SHARD = DataType.DIRECTORY, DataType.HAMT_SHARD


class NotFoundError(LookupError):
    """The path names nothing under its root (HTTP 404)."""


@dataclass(frozen=True)
class Resolved:
    """What a path names: its CID, its decoded node (None for a raw block) and the blocks
    walked to reach it, root first (a trustless CAR response starts with them)."""

    cid: bytes
    node: PBNode | None
    walked: tuple[bytes, ...]


def load_node(store: BlockStore, cid: bytes) -> PBNode | None:
    """The decoded dag-pb node *cid*, or None if it is a raw block (a file's bytes)."""
    if cid_fields(canonical(cid))[1] != DAG_PB:
        return None
    try:
        return decode_node(store.get(cid))
    except ValueError as e:
        raise UnixFSError(f"not a valid dag-pb/UnixFS node ({e})") from e


def _bucket(digest: bytes, depth: int, bits: int) -> int:
    value = int.from_bytes(digest, "big")
    total = len(digest) * 8
    if (depth + 1) * bits > total:
        raise NotFoundError("HAMT deeper than its hash")
    return (value >> (total - (depth + 1) * bits)) & ((1 << bits) - 1)


def _hamt_lookup(store: BlockStore, node: PBNode, name: str,
                 walked: list[bytes]) -> tuple[bytes, PBNode | None] | None:
    if node.hash_type != MURMUR3_X64_64 or not node.fanout or node.fanout & (node.fanout - 1):
        raise NotFoundError(f"unsupported HAMT (hashType {node.hash_type}, fanout {node.fanout})")
    bits = node.fanout.bit_length() - 1
    width = len(f"{node.fanout - 1:X}")
    digest = murmur3_x64_64(name.encode())
    depth = 0
    while True:
        prefix = f"{_bucket(digest, depth, bits):0{width}X}"
        for link in node.links:
            if link.name == prefix:  # a sub-shard: descend one level
                walked.append(link.cid)
                child = load_node(store, link.cid)
                if child is None or child.type != HAMT_SHARD:
                    raise NotFoundError(f"HAMT link {prefix} is not a shard")
                node, depth = child, depth + 1
                break
            if link.name == prefix + name:
                return link.cid, load_node(store, link.cid)
        else:
            return None


def resolve(store: BlockStore, root: bytes, segments: list[str]) -> Resolved:
    """Walk *segments* from *root*; NotFoundError if a name is missing or not a directory."""
    cid, node = root, load_node(store, root)
    walked = [root]
    for i, name in enumerate(segments):
        where = "/".join(segments[:i]) or cid_text(root)
        if node is None or node.type not in (DIRECTORY, HAMT_SHARD):
            raise NotFoundError(f"{where!r} is not a directory")
        found: tuple[bytes, PBNode | None] | None
        if node.type == HAMT_SHARD:
            found = _hamt_lookup(store, node, name, walked)
        else:
            link = next((lk for lk in node.links if lk.name == name), None)
            found = None if link is None else (link.cid, load_node(store, link.cid))
        if found is None:
            raise NotFoundError(f"no {name!r} in {where!r}")
        cid, node = found
        walked.append(cid)
    return Resolved(cid, node, tuple(walked[:-1]))


def entries(store: BlockStore, node: PBNode) -> Iterator[PBLink]:
    """The entries of a directory or HAMT shard (shard prefixes removed), unsorted."""
    if node.type == DIRECTORY:
        yield from node.links
        return
    width = len(f"{(node.fanout or 256) - 1:X}")
    for link in node.links:
        if len(link.name) == width:
            child = load_node(store, link.cid)
            if child is not None and child.type == HAMT_SHARD:
                yield from entries(store, child)
        else:
            yield PBLink(link.cid, link.name[width:], link.tsize)

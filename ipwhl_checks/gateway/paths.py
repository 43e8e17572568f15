"""Resolve ``<cid>/<path>`` to the CID it names, walking directories, HAMT shards and
DAG-CBOR/DAG-JSON blocks.

UnixFS spec (ipfs/specs, UNIXFS.md), HAMTShard: a big directory is a hash array mapped
trie.  ``hashType`` must be 0x22 (murmur3-x64-64); a node of ``fanout`` buckets consumes
log2(fanout) bits of the name's hash per level, most significant bits first.  Each link
name begins with its bucket index as upper-case hex padded to the width of fanout - 1; a
name of exactly that width is a sub-shard, a longer one is an entry whose name follows.

Path gateway spec (IPLD pathing): in a DAG-CBOR or DAG-JSON block a segment is a map key
(or a list index); a link leads to the block it names, and a path that ends on a value
inside a block (not a link) names no block (HTTP 501, as boxo answers).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import CarError, UnixFSError
from ..ipld.cid import canonical, cid_fields, cid_text
from ..ipld.dagcbor import Link, decode_dag_cbor, decode_dag_json
from ..ipld.dagpb import DataType, PBLink, PBNode, decode_node
from ..ipld.multicodec import DAG_CBOR, DAG_JSON, DAG_PB, MURMUR3_X64_64
from ..unixfs import murmur3_x64_64  # the DAG builder's, tested against kubo
from .store import BlockStore

__all__ = [
    "NotFoundError",
    "RemainderError",
    "Resolved",
    "codec",
    "decode_block",
    "entries",
    "load_node",
    "resolve",
]

DIRECTORY, HAMT_SHARD = DataType.DIRECTORY, DataType.HAMT_SHARD


class NotFoundError(LookupError):
    """The path names nothing under its root (HTTP 404)."""


class RemainderError(LookupError):
    """The path ends inside a DAG-CBOR/DAG-JSON block, on a value that is not a link."""


@dataclass(frozen=True)
class Resolved:
    """What a path names: its CID, its decoded node (None unless dag-pb), the blocks
    walked to reach it, root first (a trustless CAR response starts with them), and the
    logical roots: the CID each prefix of the path names, root first, this CID last
    (``X-Ipfs-Roots``: HAMT inner shards are not among them)."""

    cid: bytes
    node: PBNode | None
    walked: tuple[bytes, ...]
    roots: tuple[bytes, ...] = ()


def codec(cid: bytes) -> int:
    """The multicodec of the binary CID *cid*."""
    return cid_fields(canonical(cid))[1]


def decode_block(store: BlockStore, cid: bytes) -> object:
    """The value in the DAG-CBOR or DAG-JSON block *cid* (links as ``Link``)."""
    kind = codec(cid)
    decode = decode_dag_cbor if kind == DAG_CBOR else decode_dag_json
    try:
        return decode(store.get(cid))
    except ValueError as e:
        name = "DAG-CBOR" if kind == DAG_CBOR else "DAG-JSON"
        raise CarError(f"block {cid_text(cid)} is not valid {name} ({e})") from None


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


def _step(value: object, name: str) -> object:
    """The value under *name* in a decoded DAG-CBOR/DAG-JSON value; KeyError if none."""
    if isinstance(value, dict):
        return value[name]
    if isinstance(value, list) and name.isdigit() and int(name) < len(value):
        return value[int(name)]
    raise KeyError(name)


def resolve(store: BlockStore, root: bytes, segments: list[str]) -> Resolved:
    """Walk *segments* from *root*; NotFoundError if a name is missing or not a directory,
    RemainderError if the path ends inside a block."""
    cid, node = root, load_node(store, root)
    walked, roots = [root], [root]
    value: object = None  # the value reached inside a DAG-CBOR/DAG-JSON block
    inside = False
    for i, name in enumerate(segments):
        where = "/".join(segments[:i]) or cid_text(root)
        found: tuple[bytes, PBNode | None] | None
        if codec(cid) in (DAG_CBOR, DAG_JSON):
            if not inside:
                value, inside = decode_block(store, cid), True
            try:
                value = _step(value, name)
            except KeyError:
                raise NotFoundError(f"no {name!r} in {where!r}") from None
            if not isinstance(value, Link):
                roots.append(cid)
                continue
            found, inside = (value.cid, load_node(store, value.cid)), False
        elif node is None or node.type not in (DIRECTORY, HAMT_SHARD):
            raise NotFoundError(f"{where!r} is not a directory")
        elif node.type == HAMT_SHARD:
            found = _hamt_lookup(store, node, name, walked)
        else:
            link = next((lk for lk in node.links if lk.name == name), None)
            found = None if link is None else (link.cid, load_node(store, link.cid))
        if found is None:
            raise NotFoundError(f"no {name!r} in {where!r}")
        cid, node = found
        walked.append(cid)
        roots.append(cid)
    if inside:
        raise RemainderError(f"{'/'.join(segments)!r} ends inside block {cid_text(cid)}, "
                             "on a value that is not a link")
    return Resolved(cid, node, tuple(walked[:-1]), tuple(roots))


def entries(store: BlockStore, node: PBNode, _depth: int = 0) -> Iterator[PBLink]:
    """The entries of a directory or HAMT shard (shard prefixes removed), in DAG order."""
    if node.type == DIRECTORY:
        yield from node.links
        return
    if _depth > 64:  # a 64-bit hash gives 8 levels of 256 buckets
        raise UnixFSError("HAMT deeper than its hash")
    width = len(f"{(node.fanout or 256) - 1:X}")
    for link in node.links:
        if len(link.name) == width:
            child = load_node(store, link.cid)
            if child is not None and child.type == HAMT_SHARD:
                yield from entries(store, child, _depth + 1)
        else:
            yield PBLink(link.cid, link.name[width:], link.tsize)

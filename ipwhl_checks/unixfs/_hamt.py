"""HAMT-sharded directories as boxo builds them (``ipld/unixfs/hamt``).

UnixFS spec, HAMTShard: a dag-pb node whose UnixFS Data is ``{Type: HAMTShard (5),
Data: bitfield, hashType: 0x22 (murmur3-x64-64), fanout: 256}``.  A name's hash is
boxo's murmur3 ``h1`` (big-endian); each level consumes ``log2(fanout)`` bits of it from
the most significant end.  A bucket holding one entry links to it directly under the name
``"%02X" % index + name``; a bucket holding several becomes a sub-shard one level down,
linked under the bare two-digit prefix.  The bitfield has bit *i* set for each used bucket
*i* and is written as a big-endian integer without leading zero bytes (go-bitfield's
``Bytes``).  Built from scratch this trie is unique, whatever order boxo inserted in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ..errors import UnixFSError
from ._file import Emit
from ._murmur3 import murmur3_x64_64
from ._node import DAG_PB, cid_bytes
from ._protobuf import HAMT_SHARD, encode_pblink, encode_pbnode, encode_unixfs

__all__ = ["MURMUR3_X64_64", "build_hamt"]

MURMUR3_X64_64 = 0x22  # multicodec of the HAMT hash function

Entry = tuple[bytes, bytes, int]  # (name, binary CID, Tsize)


def build_hamt(
    entries: Sequence[Entry], fanout: int, version: int, emit: Emit | None
) -> tuple[bytes, int]:
    """(binary CID, cumulative size) of the HAMT root over *entries* (unique names)."""
    bits = fanout.bit_length() - 1
    if fanout < 2 or 1 << bits != fanout or bits > 8:
        raise UnixFSError(f"HAMT fanout {fanout} is not a power of two between 2 and 256")
    hashed = [(int.from_bytes(murmur3_x64_64(name), "big"), name, cid, tsize)
              for name, cid, tsize in entries]
    pad = len(f"{fanout - 1:X}")
    prefixes = [f"{i:0{pad}X}".encode() for i in range(fanout)]
    return _shard(hashed, 0, bits, fanout, prefixes, version, emit)


def _shard(
    entries: list[tuple[int, bytes, bytes, int]],
    depth: int,
    bits: int,
    fanout: int,
    prefixes: list[bytes],
    version: int,
    emit: Emit | None,
) -> tuple[bytes, int]:
    shift = 64 - (depth + 1) * bits
    if shift < 0:
        names = ", ".join(repr(e[1].decode("utf-8", "replace")) for e in entries[:2])
        raise UnixFSError(f"HAMT too deep: names {names} have the same 64-bit murmur3 hash")
    buckets: dict[int, list[tuple[int, bytes, bytes, int]]] = {}
    mask = fanout - 1
    for entry in entries:
        index = (entry[0] >> shift) & mask
        if index in buckets:
            buckets[index].append(entry)
        else:
            buckets[index] = [entry]
    links: list[bytes] = []
    total = 0
    bitfield = 0
    for index in sorted(buckets):
        bucket = buckets[index]
        prefix = prefixes[index]
        bitfield |= 1 << index
        if len(bucket) == 1:
            _, name, cid, tsize = bucket[0]
            links.append(encode_pblink(cid, prefix + name, tsize))
        else:
            cid, tsize = _shard(bucket, depth + 1, bits, fanout, prefixes, version, emit)
            links.append(encode_pblink(cid, prefix, tsize))
        total += tsize
    field = bitfield.to_bytes((bitfield.bit_length() + 7) // 8, "big")
    data = encode_unixfs(HAMT_SHARD, data=field, hash_type=MURMUR3_X64_64, fanout=fanout)
    block = encode_pbnode(links, data)
    cid = cid_bytes(version, DAG_PB, hashlib.sha256(block).digest())
    if emit is not None:
        emit(cid, block)
    return cid, len(block) + total

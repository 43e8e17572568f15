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
from dataclasses import dataclass, field

from ..errors import UnixFSError
from ._file import Emit
from ._murmur3 import murmur3_x64_64
from ._node import DAG_PB, cid_bytes
from ._protobuf import HAMT_SHARD, encode_pblink, encode_pbnode, encode_unixfs

__all__ = ["MURMUR3_X64_64", "HamtMemo", "build_hamt"]

MURMUR3_X64_64 = 0x22  # multicodec of the HAMT hash function

Entry = tuple[bytes, bytes, int]  # (name, binary CID, Tsize)
Hashed = tuple[int, bytes, bytes, int]  # (murmur3 of the name, name, binary CID, Tsize)
Block = tuple[bytes, bytes]  # (binary CID, block)


@dataclass
class HamtMemo:
    """What several HAMT builds share (a directory and its next version): each name's
    murmur3 hash, and each shard built, by its depth and entries, with the blocks of its
    subtree.  A shard is a function of those alone (the trie is unique), so a build that
    meets the same entries again emits the stored blocks instead of encoding them."""

    hashes: dict[bytes, int] = field(default_factory=dict)
    shards: dict[tuple[int, int, int, tuple[Hashed, ...]],
                 tuple[bytes, int, list[Block]]] = field(default_factory=dict)


def build_hamt(
    entries: Sequence[Entry], fanout: int, version: int, emit: Emit | None,
    memo: HamtMemo | None = None,
) -> tuple[bytes, int]:
    """(binary CID, cumulative size) of the HAMT root over *entries* (unique names)."""
    bits = fanout.bit_length() - 1
    if fanout < 2 or 1 << bits != fanout or bits > 8:
        raise UnixFSError(f"HAMT fanout {fanout} is not a power of two between 2 and 256")
    if memo is None:
        hashed = [(int.from_bytes(murmur3_x64_64(name), "big"), name, cid, tsize)
                  for name, cid, tsize in entries]
    else:
        known = memo.hashes
        hashed = []
        for name, cid, tsize in entries:
            h = known.get(name)
            if h is None:
                h = known[name] = int.from_bytes(murmur3_x64_64(name), "big")
            hashed.append((h, name, cid, tsize))
    pad = len(f"{fanout - 1:X}")
    prefixes = [f"{i:0{pad}X}".encode() for i in range(fanout)]
    shard = _Shards(bits, fanout, prefixes, version, emit, memo)
    cid, size, _ = shard.build(hashed, 0)
    return cid, size


class _Shards:
    """Builds the shards of one HAMT (with a memo: reusing and recording them)."""

    def __init__(self, bits: int, fanout: int, prefixes: list[bytes], version: int,
                 emit: Emit | None, memo: HamtMemo | None) -> None:
        self.bits, self.fanout, self.prefixes, self.version = bits, fanout, prefixes, version
        self.emit, self.memo = emit, memo

    def build(self, entries: list[Hashed], depth: int) -> tuple[bytes, int, list[Block]]:
        """(CID, cumulative size, the subtree's blocks if memoized) of one shard."""
        if self.memo is None:
            return (*self._build(entries, depth, None), [])
        key = (self.fanout, self.version, depth, tuple(entries))
        done = self.memo.shards.get(key)
        if done is not None:
            if self.emit is not None:
                for cid, block in done[2]:
                    self.emit(cid, block)
            return done
        blocks: list[Block] = []
        cid, size = self._build(entries, depth, blocks)
        done = self.memo.shards[key] = (cid, size, blocks)
        return done

    def _build(self, entries: list[Hashed], depth: int,
               blocks: list[Block] | None) -> tuple[bytes, int]:
        bits, fanout, prefixes = self.bits, self.fanout, self.prefixes
        shift = 64 - (depth + 1) * bits
        if shift < 0:
            names = ", ".join(repr(e[1].decode("utf-8", "replace")) for e in entries[:2])
            raise UnixFSError(f"HAMT too deep: names {names} have the same 64-bit murmur3 hash")
        buckets: dict[int, list[Hashed]] = {}
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
                cid, tsize, below = self.build(bucket, depth + 1)
                if blocks is not None:
                    blocks += below
                links.append(encode_pblink(cid, prefix, tsize))
            total += tsize
        used = bitfield.to_bytes((bitfield.bit_length() + 7) // 8, "big")
        data = encode_unixfs(HAMT_SHARD, data=used, hash_type=MURMUR3_X64_64, fanout=fanout)
        block = encode_pbnode(links, data)
        cid = cid_bytes(self.version, DAG_PB, hashlib.sha256(block).digest())
        if self.emit is not None:
            self.emit(cid, block)
        if blocks is not None:
            blocks.append((cid, block))
        return cid, len(block) + total

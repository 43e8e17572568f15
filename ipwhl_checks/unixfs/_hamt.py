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
from collections.abc import Collection, Sequence

import mmh3

from ..errors import UnixFSError
from ..ipld.cid import cid_bytes
from ..ipld.dagpb import DataType, encode_pblink, encode_unixfs
from ..ipld.multicodec import DAG_PB, MURMUR3_X64_64
from ..ipld.varint import varint
from ._file import Emit

__all__ = ["build_hamt", "murmur3_x64_64", "name_hash"]

Entry = tuple[bytes, bytes, int]  # (name, binary CID, Tsize)
Hashed = tuple[int, bytes, bytes, int]  # (murmur3 of the name, name, binary CID, Tsize)


def name_hash(name: bytes) -> int:
    """The 64-bit hash a HAMT places *name* by: the first half (``h1``) of
    MurmurHash3_x64_128 with seed 0, as boxo's HAMT takes it (``ipld/unixfs/hamt/util.go``,
    spaolacci/murmur3's ``Sum64``), read big-endian from the most significant bit."""
    return mmh3.hash64(name, signed=False)[0]  # (keywords: mmh3 5.3 ignores them positional)


def murmur3_x64_64(name: bytes) -> bytes:
    """The HAMT hash of *name* as UnixFS names it (``murmur3-x64-64``, 8 big-endian bytes)."""
    return name_hash(name).to_bytes(8, "big")


def build_hamt(
    entries: Sequence[Entry], fanout: int, version: int, emit: Emit | None,
    changed: Collection[bytes] | None = None,
) -> tuple[bytes, int]:
    """(binary CID, cumulative size) of the HAMT root over *entries* (unique names).

    *changed*: names added, removed or relinked since a previous version of this HAMT
    (same fanout and CID version).  Only the shards whose subtree holds one of them are
    given to *emit*: every other shard has the same entries as the previous version's
    shard at that place, and a shard is a function of its place and entries (the trie is
    unique), so the previous version holds it already.
    """
    bits = fanout.bit_length() - 1
    if fanout < 2 or 1 << bits != fanout or bits > 8:
        raise UnixFSError(f"HAMT fanout {fanout} is not a power of two between 2 and 256")
    hashes = [name_hash(name) for name, _, _ in entries]
    hashed = [(h, *entry) for h, entry in zip(hashes, entries, strict=True)]
    pad = len(f"{fanout - 1:X}")
    prefixes = [f"{i:0{pad}X}".encode() for i in range(fanout)]
    places = None
    if changed is not None:
        # (depth, hash prefix) of every shard on a changed name's path, the root's included
        places = {(depth, h >> (64 - depth * bits)) for h in map(name_hash, changed)
                  for depth in range(64 // bits + 1)}
    shard = _Shards(bits, fanout, prefixes, version, emit, places)
    return shard.build(hashed, 0)


class _Shards:
    """Builds the shards of one HAMT, emitting those in *places* (all if None)."""

    def __init__(self, bits: int, fanout: int, prefixes: list[bytes], version: int,
                 emit: Emit | None, places: set[tuple[int, int]] | None) -> None:
        self.bits, self.fanout, self.prefixes, self.version = bits, fanout, prefixes, version
        self.emit, self.places = emit, places
        self.tail = encode_unixfs(DataType.HAMT_SHARD, hash_type=MURMUR3_X64_64, fanout=fanout)[2:]

    def build(self, entries: list[Hashed], depth: int) -> tuple[bytes, int]:
        """(CID, cumulative size) of the shard at *depth* holding *entries*."""
        bits, fanout, prefixes = self.bits, self.fanout, self.prefixes
        shift = 64 - (depth + 1) * bits
        if shift < 0:
            names = ", ".join(repr(e[1].decode("utf-8", "replace")) for e in entries[:2])
            raise UnixFSError(f"HAMT too deep: names {names} have the same 64-bit murmur3 hash")
        buckets: dict[int, list[Hashed]] = {}
        mask = fanout - 1
        for entry in entries:
            index = (entry[0] >> shift) & mask
            bucket = buckets.get(index)
            if bucket is None:
                buckets[index] = [entry]
            else:
                bucket.append(entry)
        links: list[bytes] = []
        total = 0
        bitfield = 0
        for index in sorted(buckets):
            bucket = buckets[index]
            bitfield |= 1 << index
            if len(bucket) == 1:
                _, name, cid, tsize = bucket[0]
                links.append(encode_pblink(cid, prefixes[index] + name, tsize))
            else:
                cid, tsize = self.build(bucket, depth + 1)
                links.append(encode_pblink(cid, prefixes[index], tsize))
            total += tsize
        used = bitfield.to_bytes((bitfield.bit_length() + 7) // 8, "big")
        # UnixFS Data {Type: HAMTShard, Data: used, hashType, fanout} (encode_unixfs's bytes)
        data = b"".join((b"\x08\x05\x12", bytes((len(used),)), used, self.tail))
        links.append(b"\x0a" + varint(len(data)))  # PBNode field 1 (Data), after the links
        links.append(data)
        block = b"".join(links)
        cid = cid_bytes(self.version, DAG_PB, hashlib.sha256(block).digest())
        if self.emit is not None and (
                self.places is None
                or (depth, entries[0][0] >> (64 - depth * bits)) in self.places):
            self.emit(cid, block)
        return cid, len(block) + total

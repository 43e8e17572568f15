"""MurmurHash3 x64 128 (Austin Appleby's public-domain reference, seed 0), pure Python.

boxo's HAMT (``ipld/unixfs/hamt/util.go``) hashes a name with spaolacci/murmur3's
``New64``: the first 64-bit half ``h1`` of the 128-bit hash, serialized big-endian.  The
UnixFS spec calls this hash function ``murmur3-x64-64`` (multicodec 0x22).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence

__all__ = ["murmur3_h1", "murmur3_h1_many", "murmur3_x64_64"]

_M = (1 << 64) - 1
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F


def murmur3_h1(key: bytes, seed: int = 0) -> int:
    """``h1`` of MurmurHash3_x64_128(*key*, *seed*) as an integer.

    The reference's rotations and fmix are written inline, as a call would cost as much as
    the arithmetic.  (A HAMT build hashes all its names at once: :func:`murmur3_h1_many`.)"""
    length = len(key)
    h1 = h2 = seed
    end = length & ~15
    for i in range(0, end, 16):
        k1 = int.from_bytes(key[i:i + 8], "little") * _C1 & _M
        h1 ^= (((k1 << 31) | (k1 >> 33)) & _M) * _C2 & _M  # k1 = rotl(k1, 31) * c2
        h1 = (((h1 << 27) | (h1 >> 37)) & _M) + h2
        h1 = (h1 * 5 + 0x52DCE729) & _M
        k2 = int.from_bytes(key[i + 8:i + 16], "little") * _C2 & _M
        h2 ^= (((k2 << 33) | (k2 >> 31)) & _M) * _C1 & _M  # k2 = rotl(k2, 33) * c1
        h2 = (((h2 << 31) | (h2 >> 33)) & _M) + h1
        h2 = (h2 * 5 + 0x38495AB5) & _M
    rest = length - end
    if rest > 8:
        k2 = int.from_bytes(key[end + 8:], "little") * _C2 & _M
        h2 ^= (((k2 << 33) | (k2 >> 31)) & _M) * _C1 & _M
    if rest:
        k1 = int.from_bytes(key[end:end + 8], "little") * _C1 & _M
        h1 ^= (((k1 << 31) | (k1 >> 33)) & _M) * _C2 & _M
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _M
    h2 = (h2 + h1) & _M
    # fmix64, twice
    h1 ^= h1 >> 33
    h1 = h1 * 0xFF51AFD7ED558CCD & _M
    h1 ^= h1 >> 33
    h1 = h1 * 0xC4CEB9FE1A85EC53 & _M
    h1 ^= h1 >> 33
    h2 ^= h2 >> 33
    h2 = h2 * 0xFF51AFD7ED558CCD & _M
    h2 ^= h2 >> 33
    h2 = h2 * 0xC4CEB9FE1A85EC53 & _M
    h2 ^= h2 >> 33
    return (h1 + h2) & _M


def murmur3_x64_64(key: bytes, seed: int = 0) -> bytes:
    """``h1`` of MurmurHash3_x64_128(*key*, *seed*) as 8 big-endian bytes."""
    return murmur3_h1(key, seed).to_bytes(8, "big")


def murmur3_h1_many(keys: Sequence[bytes]) -> list[int]:
    """``[murmur3_h1(key) for key in keys]``, computed for many keys at once.

    A HAMT of 10,000 names needs 10,000 hashes; one call per name spends most of its time
    in the interpreter, not the arithmetic.  Here the keys of each length are hashed
    together, as lanes of one big integer ("SIMD within a register"): lane *j* holds its
    64-bit value in bits 128j to 128j+63, so a product by a 64-bit constant (at most 128
    bits) or a sum (65 bits) never reaches the next lane, and every result is masked back
    to 64 bits per lane before the next product.  Same bytes, same steps as the reference.
    """
    out = [0] * len(keys)
    groups: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(len(key), []).append(i)
    for length, indexes in groups.items():
        for i, h in zip(indexes, _lanes_h1([keys[i] for i in indexes], length), strict=True):
            out[i] = h
    return out


def _pack(keys: bytes, n: int, length: int, start: int, stop: int) -> int:
    """Bytes *start* to *stop* (at most 8) of each of the *n* keys of *length* bytes
    concatenated in *keys*, as little-endian words, one per 128-bit lane."""
    lanes = bytearray(16 * n)
    for k in range(stop - start):
        lanes[k::16] = keys[start + k::length]  # byte k of every lane at once
    return int.from_bytes(lanes, "little")


def _lanes_h1(keys: list[bytes], length: int) -> list[int]:
    """murmur3 ``h1`` of *keys*, all *length* bytes long, lane-parallel (see above)."""
    n = len(keys)
    joined = b"".join(keys)
    ones = int.from_bytes(b"\x01" + bytes(15), "little")  # one lane
    ones = int.from_bytes(ones.to_bytes(16, "little") * n, "little")  # 1 in every lane
    m = _M * ones  # 2**64 - 1 in every lane

    def rotl(x: int, r: int) -> int:
        return ((x << r) & m) | (x >> (64 - r) & m)

    def fmix(h: int) -> int:
        h = (h ^ (h >> 33)) & m
        h = h * 0xFF51AFD7ED558CCD & m
        h = (h ^ (h >> 33)) & m
        h = h * 0xC4CEB9FE1A85EC53 & m
        return (h ^ (h >> 33)) & m

    h1 = h2 = 0
    end = length & ~15
    for i in range(0, end, 16):
        k1 = _pack(joined, n, length, i, i + 8) * _C1 & m
        h1 ^= rotl(k1, 31) * _C2 & m
        h1 = (rotl(h1, 27) + h2) & m
        h1 = (h1 * 5 + 0x52DCE729 * ones) & m
        k2 = _pack(joined, n, length, i + 8, i + 16) * _C2 & m
        h2 ^= rotl(k2, 33) * _C1 & m
        h2 = (rotl(h2, 31) + h1) & m
        h2 = (h2 * 5 + 0x38495AB5 * ones) & m
    rest = length - end
    if rest > 8:
        k2 = _pack(joined, n, length, end + 8, length) * _C2 & m
        h2 ^= rotl(k2, 33) * _C1 & m
    if rest:
        k1 = _pack(joined, n, length, end, min(end + 8, length)) * _C1 & m
        h1 ^= rotl(k1, 31) * _C2 & m
    h1 ^= length * ones
    h2 ^= length * ones
    h1 = (h1 + h2) & m
    h2 = (h2 + h1) & m
    h1, h2 = fmix(h1), fmix(h2)
    words = array("Q", ((h1 + h2) & m).to_bytes(16 * n, "little"))
    if sys.byteorder == "big":
        words.byteswap()
    return words[::2].tolist()

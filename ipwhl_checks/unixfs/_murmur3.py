"""MurmurHash3 x64 128 (Austin Appleby's public-domain reference, seed 0), pure Python.

boxo's HAMT (``ipld/unixfs/hamt/util.go``) hashes a name with spaolacci/murmur3's
``New64``: the first 64-bit half ``h1`` of the 128-bit hash, serialized big-endian.  The
UnixFS spec calls this hash function ``murmur3-x64-64`` (multicodec 0x22).
"""

from __future__ import annotations

__all__ = ["murmur3_h1", "murmur3_x64_64"]

_M = (1 << 64) - 1
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F


def murmur3_h1(key: bytes, seed: int = 0) -> int:
    """``h1`` of MurmurHash3_x64_128(*key*, *seed*) as an integer.

    The reference's rotations and fmix are written inline: a HAMT of 10,000 names hashes
    every name on each build, and a call costs as much as the arithmetic."""
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

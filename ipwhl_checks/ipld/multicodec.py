"""Multicodec codes (multiformats/multicodec table.csv) and the hash functions of multihash.

One meaning per name: ``RAW`` here is the multicodec ``raw`` (0x55, a block of plain
bytes); the UnixFS ``Raw`` data type is :attr:`ipwhl_checks.ipld.dagpb.DataType.RAW`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

__all__ = [
    "CBOR",
    "DAG_CBOR",
    "DAG_JSON",
    "DAG_PB",
    "HASHES",
    "IDENTITY",
    "JSON",
    "MURMUR3_X64_64",
    "RAW",
    "SHA2_256",
    "hash_digest",
]

# codecs (a CID's content type)
RAW = 0x55
DAG_PB = 0x70
DAG_CBOR = 0x71
DAG_JSON = 0x0129
CBOR = 0x51  # plain CBOR: no links
JSON = 0x0200  # plain JSON: no links
# multihash functions
IDENTITY = 0x00  # the "digest" is the data itself
SHA2_256 = 0x12
MURMUR3_X64_64 = 0x22  # the UnixFS HAMT's hashType (not a multihash a block is named by)

# The hash functions a block may be named (and verified) by.
HASHES: dict[int, Callable[[bytes | memoryview], bytes]] = {
    SHA2_256: lambda b: hashlib.sha256(b).digest(),
    0x13: lambda b: hashlib.sha512(b).digest(),  # sha2-512
    0x16: lambda b: hashlib.sha3_256(b).digest(),  # sha3-256
    0xB220: lambda b: hashlib.blake2b(b, digest_size=32).digest(),  # blake2b-256
}


def hash_digest(code: int, data: bytes | memoryview) -> bytes | None:
    """The digest multihash function *code* gives for *data*; None if it is not one of
    :data:`HASHES` (or identity, whose digest is the data)."""
    if code == IDENTITY:
        return bytes(data)
    function = HASHES.get(code)
    return None if function is None else function(data)

"""Binary CIDs as the gateway handles them: parse, canonical keys, display.

CID spec (multiformats/cid): a CIDv0 is a bare sha2-256 multihash (``0x12 0x20`` + 32
bytes) and is always dag-pb; a CIDv1 is ``<varint 1><varint codec><multihash>``.  The
store keys every block by its CIDv1 bytes, so a CIDv0 link and a CIDv1 URL naming the
same dag-pb block find it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from multiformats import CID

__all__ = [
    "DAG_PB",
    "HASHES",
    "IDENTITY",
    "RAW",
    "canonical",
    "cid_codec",
    "cid_multihash",
    "cid_str",
    "parse_cid",
    "read_varint",
    "varint",
]

DAG_PB = 0x70
RAW = 0x55
IDENTITY = 0x00  # multihash code of the identity "hash": the digest is the data itself

# multicodec table: the hash functions a block may be verified with.
HASHES: dict[int, Callable[[bytes], bytes]] = {
    0x12: lambda b: hashlib.sha256(b).digest(),
    0x13: lambda b: hashlib.sha512(b).digest(),
    0x16: lambda b: hashlib.sha3_256(b).digest(),
    0xB220: lambda b: hashlib.blake2b(b, digest_size=32).digest(),
}


def read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Unsigned LEB128 varint at *pos* -> (value, next position); ValueError if cut short."""
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def varint(n: int) -> bytes:
    """Unsigned LEB128 encoding of *n*."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def canonical(cid: bytes) -> bytes:
    """The CIDv1 bytes of binary *cid* (v0 or v1); ValueError if it is not a CID."""
    if len(cid) == 34 and cid[0] == 0x12 and cid[1] == 0x20:
        return b"\x01\x70" + cid
    version, pos = read_varint(cid, 0)
    if version != 1:
        raise ValueError(f"unsupported CID version {version}")
    _codec, pos = read_varint(cid, pos)
    _code, pos = read_varint(cid, pos)
    length, pos = read_varint(cid, pos)
    if pos + length != len(cid):
        raise ValueError("CID multihash length does not match its digest")
    return bytes(cid)


def cid_codec(key: bytes) -> int:
    """The multicodec of canonical CID *key*."""
    _v, pos = read_varint(key, 0)
    return read_varint(key, pos)[0]


def cid_multihash(key: bytes) -> tuple[int, bytes]:
    """(hash function code, digest) of canonical CID *key*."""
    _v, pos = read_varint(key, 0)
    _c, pos = read_varint(key, pos)
    code, pos = read_varint(key, pos)
    length, pos = read_varint(key, pos)
    return code, key[pos:pos + length]


# multiformats validates the types of every call, which costs ~0.5 ms per CID; the two
# forms kubo prints are encoded here directly, anything else goes through multiformats.
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def cid_str(cid: bytes) -> str:
    """The usual text form: base58btc ``Qm...`` for v0, base32 ``b...`` for v1."""
    if len(cid) == 34 and cid[0] == 0x12 and cid[1] == 0x20:
        # CID spec: a CIDv0 is its multihash in base58btc (no multibase prefix); 0x12
        # first means no leading zero bytes, so plain base-58 digits suffice.
        n, digits = int.from_bytes(cid, "big"), []
        while n:
            n, r = divmod(n, 58)
            digits.append(_B58[r])
        return "".join(reversed(digits))
    # multibase: 'b' is RFC 4648 base32, lower case, no padding.
    return "b" + base64.b32encode(cid).decode("ascii").lower().rstrip("=")


def parse_cid(text: str) -> bytes:
    """The binary CID (v0 stays v0) of *text*; ValueError if it is not a CID."""
    raw: bytes | None = None
    if len(text) == 46 and text.startswith("Qm") and all(c in _B58_INDEX for c in text):
        n = 0
        for c in text:
            n = n * 58 + _B58_INDEX[c]
        raw = n.to_bytes(34, "big") if n < 1 << 272 else None
    elif text.startswith("b") and text[1:].isalnum() and text[1:].islower():
        body = text[1:].upper()
        try:
            raw = base64.b32decode(body + "=" * (-len(body) % 8))
        except ValueError:
            raw = None
    if raw is not None:
        canonical(raw)  # ValueError unless it is a well-formed CID
        return raw
    try:
        cid = CID.decode(text)
    except Exception as e:  # multiformats raises several unrelated types
        raise ValueError(f"invalid CID {text!r}") from e
    return bytes(cid)  # v0: the multihash; v1: version, codec and multihash

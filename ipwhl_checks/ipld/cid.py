"""CIDs and the unsigned varints they are made of: binary <-> text, fast, stdlib only.

The one place the package reads and writes CIDs by hand (publish, gateway, CAR reader,
the IW104 schema check) and the one varint implementation (the UnixFS protobuf encoder
uses it too).  ``multiformats`` needs ~0.3 ms to make or parse a CID object and a
10,000-project tree has ~50,000 nodes, so the two forms kubo prints are handled here;
any other form falls back to ``multiformats``, the reference the tests compare with.

CID spec (multiformats/cid): a CIDv0 is a bare sha2-256 multihash (``0x12 0x20`` + 32
bytes), always dag-pb, written in base58btc without a multibase prefix (``Qm...``); a
CIDv1 is ``<varint version=1><varint codec><multihash>``, and kubo writes it in multibase
``b``: RFC 4648 base32, lowercase, no padding.  A multihash is ``<varint hash
code><varint digest length><digest>`` (multiformats/multihash).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from multiformats import CID

from ..errors import PublishError

__all__ = [
    "DAG_PB",
    "RAW",
    "canonical",
    "cid_bytes",
    "cid_codec",
    "cid_kind",
    "cid_length",
    "cid_multihash",
    "cid_raw",
    "cid_raws",
    "cid_text",
    "parse_cid",
    "read_varint",
    "same_cid",
    "to_cid",
    "varint",
    "varint_len",
]

# multicodec table: the two codecs UnixFS uses.
DAG_PB = 0x70
RAW = 0x55

# --- unsigned varints (multiformats/unsigned-varint; protobuf's base-128 varint) ----------


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL = [_varint(n) for n in range(1 << 14)]  # one- and two-byte varints, precomputed


def varint(n: int) -> bytes:
    """Unsigned LEB128 encoding of *n* (multiformats unsigned-varint, protobuf varint)."""
    if n < 16384:
        return _SMALL[n]
    if n < 1 << 28:  # (a file or directory's cumulative size, mostly: written inline)
        if n < 1 << 21:
            return bytes((n & 0x7F | 0x80, n >> 7 & 0x7F | 0x80, n >> 14))
        return bytes((n & 0x7F | 0x80, n >> 7 & 0x7F | 0x80, n >> 14 & 0x7F | 0x80, n >> 21))
    return _varint(n)


def varint_len(n: int) -> int:
    """Bytes :func:`varint` needs for *n* (at least 1)."""
    return max(1, (n.bit_length() + 6) // 7)


def read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Unsigned LEB128 varint at *pos* -> (value, next position); ValueError if cut short."""
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:  # unsigned-varint spec: at most 9 bytes in practice
            raise ValueError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


# --- binary CIDs --------------------------------------------------------------------------


def cid_length(buf: bytes | memoryview, pos: int = 0) -> int:
    """Length of the binary CID starting at *pos* of *buf*; ValueError if there is none."""
    if buf[pos:pos + 2] == b"\x12\x20":  # CIDv0: a bare sha2-256 multihash
        return 34
    version, end = read_varint(buf, pos)
    if version != 1:
        raise ValueError(f"unsupported CID version {version}")
    _codec, end = read_varint(buf, end)
    _code, end = read_varint(buf, end)
    length, end = read_varint(buf, end)
    if end + length > len(buf):
        raise ValueError("truncated multihash")
    return end + length - pos


def canonical(cid: bytes) -> bytes:
    """The CIDv1 bytes of binary *cid* (v0 or v1); ValueError if it is not a CID.

    CID spec: a CIDv0 is the CIDv1 ``<1><dag-pb 0x70><multihash>``, so stores key blocks
    by these bytes and a v0 link and a v1 URL naming the same block find it.
    """
    if len(cid) == 34 and cid[0] == 0x12 and cid[1] == 0x20:
        return b"\x01\x70" + cid
    if cid[:2] == b"\x12\x20" or cid_length(cid) != len(cid):
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


def cid_bytes(version: int, codec: int, digest: bytes) -> bytes:
    """Binary CID of a sha2-256 *digest* (32 bytes). CIDv0 is only defined for dag-pb."""
    multihash = b"\x12\x20" + digest
    if version == 0:
        return multihash
    return bytes((1, codec)) + multihash  # both codecs are < 0x80: one varint byte


def to_cid(raw: bytes) -> CID:
    """A ``multiformats.CID`` of a binary CID, in the base kubo prints it in."""
    cid = CID.decode(raw)
    return cid if cid.version == 0 else cid.set(base="base32")


# --- text ---------------------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
# RFC 4648 base32 digits -> the digits of int(..., 32): decoding is then one C call.
_B32_AS_INT = str.maketrans("abcdefghijklmnopqrstuvwxyz234567", "0123456789abcdefghijklmnopqrstuv")
_B32_INDEX = {c: i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz234567")}
_BASE32 = re.compile("[a-z2-7]+")
_BASE32_58 = re.compile("b[a-z2-7]{58}")
# two base32 digits for each 10-bit value, and the shifts of the 10-bit groups of a
# 36-byte CID padded to 290 bits (most significant first)
_B32_PAIRS = [a + b for a in "abcdefghijklmnopqrstuvwxyz234567"
              for b in "abcdefghijklmnopqrstuvwxyz234567"]
_SHIFTS_36 = range(280, -1, -10)
# Multibase 'b' + base32 of the CIDv1 headers 01 55 12 20 (raw) and 01 70 12 20 (dag-pb).
_PREFIX_V1 = {"bafkrei": "raw", "bafybei": "dag-pb"}


def cid_text(raw: bytes) -> str:
    """A binary CID as kubo prints it: base58btc ``Qm...`` for v0, base32 ``b...`` for v1."""
    if len(raw) == 34 and raw[:2] == b"\x12\x20":
        # CID spec: a CIDv0 is its multihash in base58btc (no multibase prefix); 0x12
        # first means no leading zero bytes, so plain base-58 digits suffice.
        n, digits = int.from_bytes(raw, "big"), []
        while n:
            n, r = divmod(n, 58)
            digits.append(_B58[r])
        return "".join(reversed(digits))
    # multibase: 'b' is RFC 4648 base32, lower case, no padding.
    if len(raw) == 36:  # a sha2-256 CIDv1: 288 bits, 2 zero bits of padding, 58 digits
        n = int.from_bytes(raw, "big") << 2
        return "b" + "".join([_B32_PAIRS[(n >> shift) & 1023] for shift in _SHIFTS_36])[:58]
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def _v0_raw(text: str) -> bytes | None:
    """The 34 bytes of a ``Qm...`` CIDv0 (a sha2-256 multihash), None if it is not one."""
    if len(text) == 46 and text.startswith("Qm") and all(c in _B58_INDEX for c in text):
        n = 0
        for c in text:
            n = n * 58 + _B58_INDEX[c]
        if n.bit_length() <= 272:
            raw = n.to_bytes(34, "big")
            if raw[:2] == b"\x12\x20":
                return raw
    return None


def _kubo_raw(text: str, *, strict: bool) -> bytes | None:
    """The bytes of *text* in one of kubo's two forms, else None (for multiformats).

    *strict*: the unused low bits of the last base32 digit must be 0 (RFC 4648 section
    3.5, as multiformats checks); kubo's gateway decoder, like Go's base32, ignores them.
    """
    if text.startswith("Qm"):
        return _v0_raw(text)
    body = text[1:]
    if text.startswith("b") and body.isalnum() and body.islower() and "1" not in body \
            and "0" not in body and "8" not in body and "9" not in body:
        size, spare = divmod(5 * len(body), 8)
        n = int(body.translate(_B32_AS_INT), 32)
        if not strict or not n & ((1 << spare) - 1):
            return (n >> spare).to_bytes(size, "big")
    return None


def _multiformats_raw(text: str) -> bytes:
    from multiformats import CID
    try:
        return bytes(CID.decode(text))  # v0: the multihash; v1: version, codec and multihash
    except Exception as e:  # multiformats raises several unrelated types
        raise ValueError(f"invalid CID {text!r} ({e})") from e


def parse_cid(text: str) -> bytes:
    """The binary CID (v0 stays v0) of *text*; ValueError if it is not a well-formed CID."""
    raw = _kubo_raw(text, strict=False)
    if raw is None:
        return _multiformats_raw(text)
    canonical(raw)  # ValueError unless it is a well-formed CID
    return raw


def cid_raw(text: str) -> bytes:
    """The binary form of a CID string (fast paths for kubo's two forms); PublishError."""
    if len(text) == 59 and _BASE32_58.fullmatch(text):  # a sha2-256 CIDv1, as kubo prints
        n = int(text[1:].translate(_B32_AS_INT), 32)
        if not n & 3:  # (the padding bits)
            v1 = (n >> 2).to_bytes(36, "big")
            if v1[0] == 1 and v1[1] < 0x80 and v1[2:4] == b"\x12\x20":
                return v1
    raw = _kubo_raw(text, strict=True)
    if raw is not None:
        return raw
    try:
        return _multiformats_raw(text)
    except ValueError as e:
        raise PublishError(str(e)) from e


def cid_raws(texts: Sequence[str]) -> list[bytes]:
    """:func:`cid_raw` of each of *texts*; many base32 sha2-256 CIDv1 (kubo's form) are
    decoded in one pass: each body padded with six zero digits to 64 digits (40 bytes,
    the CID's 36 and four zero bytes that hold its two padding bits), all read as one
    base-32 integer (a power-of-two base: linear time)."""
    if len(texts) < 64 or not all(len(t) == 59 and t[0] == "b" for t in texts):
        return [cid_raw(t) for t in texts]
    digits = "".join([t[1:] + "aaaaaa" for t in texts])
    if not _BASE32.fullmatch(digits):
        return [cid_raw(t) for t in texts]
    data = int(digits.translate(_B32_AS_INT), 32).to_bytes(40 * len(texts), "big")
    raws = [data[i:i + 36] for i in range(0, len(data), 40)]
    for i, raw in enumerate(raws):
        if data[40 * i + 36:40 * i + 40] != b"\0\0\0\0" or raw[0] != 1 or raw[1] >= 0x80 \
                or raw[2:4] != b"\x12\x20":
            raws[i] = cid_raw(texts[i])  # (the error, or a form the fast path leaves out)
    return raws


def same_cid(raw: bytes, text: str) -> bool:
    """Whether *text* names binary CID *raw* (False if *text* is not a CID)."""
    try:
        return raw == cid_raw(text)
    except PublishError:
        return False


def cid_kind(text: str) -> tuple[int, str] | None:
    """(version, codec) of a sha2-256 CID in kubo's canonical text form, else None.

    Only the two forms the import profiles print are read here: base32 CIDv1 (``b...``,
    raw or dag-pb) and base58btc CIDv0 (``Qm...``).  Anything else returns None and is
    left to ``multiformats`` (the reference parser; this path exists because it is ~50x
    faster on a tree of 100,000 declarations, and tests compare it with multiformats).
    """
    if len(text) == 59 and text[0] == "b":
        # multibase 'b': RFC 4648 base32, lowercase, no padding, of 36 bytes: the header
        # <cidv1><codec><sha2-256><32> (4 bytes = the first 6.4 digits, so the 7th digit
        # starts with two 0 bits) and the digest; 288 bits in 58 digits of 5 bits, so the
        # last digit's 2 low bits are padding and must be 0.
        codec = _PREFIX_V1.get(text[:7])
        if codec and _BASE32.fullmatch(text, 1) and text[7] in "abcdefgh" \
                and _B32_INDEX[text[-1]] & 3 == 0:
            return 1, codec
        return None
    return (0, "dag-pb") if _v0_raw(text) is not None else None

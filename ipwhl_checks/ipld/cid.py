"""CIDs: binary <-> text, the one parser, and the fields of a binary CID.

CID spec (multiformats/cid): a CIDv0 is a bare sha2-256 multihash (``0x12 0x20`` + 32
bytes), always dag-pb, written in base58btc without a multibase prefix (``Qm...``); a
CIDv1 is ``<varint version=1><varint codec><multihash>``, and kubo writes it in multibase
``b``: RFC 4648 base32, lowercase, no padding.  A multihash is ``<varint hash
code><varint digest length><digest>`` (multiformats/multihash).

Inside the package a CID is its binary form (``bytes``; a CIDv0 stays its 34-byte
multihash): making a ``multiformats.CID`` costs ~0.3 ms and a 10,000-project tree has
~50,000 nodes.  ``multiformats`` stays the type at the public edges (:func:`to_cid`) and
the reference parser: :func:`parse_cid` reads kubo's two forms itself and hands every
other text to ``multiformats``; the tests compare the two.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from multiformats import CID

from .multicodec import DAG_PB, RAW, SHA2_256
from .varint import read_varint, varint

__all__ = [
    "MAX_TEXT",
    "canonical",
    "cid_bytes",
    "cid_fields",
    "cid_length",
    "cid_text",
    "parse_cid",
    "parse_cids",
    "to_cid",
]

MAX_TEXT = 512  # characters; a sha2-512 CIDv1 in base2 is ~560: none is in use here


# --- binary CIDs --------------------------------------------------------------------------


def cid_length(buf: bytes | memoryview, pos: int = 0) -> int:
    """Length of the binary CID starting at *pos* of *buf*; ValueError if there is none."""
    if buf[pos:pos + 2] == b"\x12\x20":  # CIDv0: a bare sha2-256 multihash
        if len(buf) < pos + 34:
            raise ValueError("truncated multihash")
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


def cid_fields(raw: bytes) -> tuple[int, int, int, bytes]:
    """(version, codec, hash function code, digest) of the binary CID *raw*; ValueError
    if it is not exactly one CID."""
    if len(raw) == 34 and raw[0] == 0x12 and raw[1] == 0x20:
        return 0, DAG_PB, SHA2_256, raw[2:]
    if cid_length(raw) != len(raw):
        raise ValueError("bytes after the CID")
    _version, pos = read_varint(raw, 0)
    codec, pos = read_varint(raw, pos)
    code, pos = read_varint(raw, pos)
    _length, pos = read_varint(raw, pos)
    return 1, codec, code, raw[pos:]


def canonical(raw: bytes) -> bytes:
    """The CIDv1 bytes of binary *raw* (v0 or v1); ValueError if it is not a CID.

    CID spec: a CIDv0 is the CIDv1 ``<1><dag-pb 0x70><multihash>``, so stores key blocks
    by these bytes and a v0 link and a v1 URL naming the same block find it.
    """
    if len(raw) == 34 and raw[0] == 0x12 and raw[1] == 0x20:
        return b"\x01\x70" + raw
    if raw[:2] == b"\x12\x20" or cid_length(raw) != len(raw):
        raise ValueError("CID multihash length does not match its digest")
    return bytes(raw)


def cid_bytes(version: int, codec: int, digest: bytes) -> bytes:
    """Binary CID of a sha2-256 *digest* (32 bytes).  CIDv0 is only defined for dag-pb."""
    multihash = b"\x12\x20" + digest
    if version == 0:
        return multihash
    return b"\x01" + varint(codec) + multihash


def to_cid(raw: bytes) -> CID:
    """A ``multiformats.CID`` of a binary CID, in the base kubo prints it in."""
    cid = CID.decode(raw)
    return cid if cid.version == 0 else cid.set(base="base32")


# --- text ---------------------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
# RFC 4648 base32 digits -> the digits of int(..., 32): decoding is then one C call.
_B32_AS_INT = str.maketrans(_B32, "0123456789abcdefghijklmnopqrstuv")
_BASE32 = re.compile("[a-z2-7]+")
_BASE32_58 = re.compile("b[a-z2-7]{58}")
# two base32 digits for each 10-bit value, and the shifts of the 10-bit groups of a
# 36-byte CID padded to 290 bits (most significant first)
_B32_PAIRS = [a + b for a in _B32 for b in _B32]
_SHIFTS_36 = range(280, -1, -10)
_KUBO_CODECS = (RAW, DAG_PB)  # the codecs of the CIDs `ipfs add` prints


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


def _v0(text: str) -> bytes | None:
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


def _v1_sha256(text: str, strict: bool) -> bytes | None:
    """The 36 bytes of a 59-character base32 sha2-256 CIDv1 (kubo's form), else None.

    *strict*: the two unused low bits of the last digit must be 0 (RFC 4648 section 3.5,
    as multiformats checks); kubo's gateway decoder, like Go's base32, ignores them."""
    if len(text) == 59 and _BASE32_58.fullmatch(text):
        n = int(text[1:].translate(_B32_AS_INT), 32)
        if not strict or not n & 3:
            v1 = (n >> 2).to_bytes(36, "big")
            if v1[0] == 1 and v1[1] in _KUBO_CODECS and v1[2:4] == b"\x12\x20":
                return v1
    return None


def _base32_lenient(text: str) -> bytes | None:
    """The bytes of any ``b`` base32 text, its padding bits ignored (kubo's gateway)."""
    body = text[1:]
    if text.startswith("b") and body and _BASE32.fullmatch(body):
        size, spare = divmod(5 * len(body), 8)
        return (int(body.translate(_B32_AS_INT), 32) >> spare).to_bytes(size, "big")
    return None


def _reference(text: str) -> bytes:
    """*text* read by ``multiformats``; ValueError with its reason (first line)."""
    try:
        return bytes(CID.decode(text))  # v0: the multihash; v1: version, codec, multihash
    except IndexError:  # (what multiformats raises for a text cut short)
        raise ValueError("too short") from None
    except Exception as e:  # multiformats raises several unrelated types
        reason = str(e.args[0] if e.args else e).strip().splitlines()
        raise ValueError(reason[0] if reason else type(e).__name__) from None


def parse_cid(text: str, *, strict: bool = True) -> bytes:
    """The binary CID (a CIDv0 stays its multihash) written as *text*; ValueError saying
    why when it is not a well-formed CID.

    *strict* (the default, for declarations and manifests): what ``multiformats``
    accepts.  Not strict (a gateway URL): also a base32 text whose unused last bits are
    not zero, which kubo's gateway accepts.
    """
    if len(text) > MAX_TEXT:
        raise ValueError(f"longer than {MAX_TEXT} characters")
    raw = _v1_sha256(text, strict) or _v0(text)
    if raw is not None:
        return raw
    if not strict and (raw := _base32_lenient(text)) is not None:
        canonical(raw)  # ValueError unless it is a well-formed CID
        return raw
    return _reference(text)


def parse_cids(texts: Sequence[str]) -> list[bytes]:
    """``[parse_cid(t) for t in texts]``, in one pass for many 59-character base32 CIDs
    (kubo's form; a reused tree links 10,000 of them): each body padded with six zero
    digits to 64 (40 bytes: the CID's 36, then four zero bytes holding its two padding
    bits), all read as one base-32 integer (a power-of-two base: linear time)."""
    if len(texts) < 64 or not all(len(t) == 59 and t[0] == "b" for t in texts):
        return [parse_cid(t) for t in texts]
    digits = "".join([t[1:] + "aaaaaa" for t in texts])
    if not _BASE32.fullmatch(digits):
        return [parse_cid(t) for t in texts]
    data = int(digits.translate(_B32_AS_INT), 32).to_bytes(40 * len(texts), "big")
    raws = [data[i:i + 36] for i in range(0, len(data), 40)]
    for i, raw in enumerate(raws):
        if data[40 * i + 36:40 * i + 40] != b"\0\0\0\0" or raw[0] != 1 \
                or raw[1] not in _KUBO_CODECS or raw[2:4] != b"\x12\x20":
            raws[i] = parse_cid(texts[i])  # (the error, or a form the fast path leaves out)
    return raws

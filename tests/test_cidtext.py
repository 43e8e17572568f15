"""The one CID/varint module (ipwhl_checks.ipld.cid) against truths we did not produce:
multiformats (the reference parser) and CIDs printed by kubo.

Merged from the publisher's, the gateway's and the IW104 schema check's tests, every case kept.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from multiformats import CID, multihash
from multiformats import varint as mf_varint

from ipwhl_checks.errors import PublishError
from ipwhl_checks.ipld.cid import (
    canonical,
    cid_kind,
    cid_length,
    cid_raw,
    cid_raws,
    cid_text,
    parse_cid,
    read_varint,
    same_cid,
    varint,
    varint_len,
)

_B32 = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648 base32, as multibase b writes it

# --- varints: multiformats' unsigned-varint encoder is the reference ---------------------

VARINTS = [0, 1, 0x7F, 0x80, 300, 16383, 16384, 2**21 - 1, 2**21, 2**28 - 1, 2**28, 2**35 + 7,
           2**63 - 1]


@pytest.mark.parametrize("n", VARINTS)
def test_varint_agrees_with_multiformats(n: int) -> None:
    encoded = mf_varint.encode(n)
    assert varint(n) == encoded
    assert varint_len(n) == len(encoded)
    assert read_varint(b"\xff" + encoded + b"\x00", 1) == (n, 1 + len(encoded))


@pytest.mark.parametrize("buf", [b"", b"\x80", b"\xff\xff", b"\x80" * 10 + b"\x01"])
def test_read_varint_rejects_truncated_and_overlong(buf: bytes) -> None:
    with pytest.raises(ValueError):
        read_varint(buf, 0)


# --- CID text (was tests/test_gateway_units.py) ---------------------------------------

CIDS = [
    "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",  # "hello world\n", unixfs-v0-2015
    "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn",  # the empty directory
    "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",  # "hello world", raw
    "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby",
    "zdj7WaCPMsy3FP2whSwpFXHjDEaTVmjnddYSn5W2Gdn4aEZFj",  # base58btc CIDv1: other bases work
]


@pytest.mark.parametrize("text", CIDS)
def test_parse_cid_agrees_with_multiformats(text: str) -> None:
    raw = parse_cid(text)
    cid = CID.decode(text)
    assert raw == bytes(cid)
    expected = str(cid) if cid.version == 0 else str(cid.encode("base32"))
    assert cid_text(raw) == expected
    assert canonical(raw) == bytes(cid.set(version=1))


@pytest.mark.parametrize("text", ["", "b", "Qm", "bafyINVALID", "not a cid", "bzzzzzzz"])
def test_bad_cid_text_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_cid(text)


@pytest.mark.parametrize("text", CIDS)
def test_cid_length_finds_the_cid_in_a_longer_buffer(text: str) -> None:
    raw = bytes(CID.decode(text))
    assert cid_length(b"junk" + raw + b"block bytes", 4) == len(raw)
    if CID.decode(text).version == 1:  # a CIDv0 is always 34 bytes: callers slice it
        with pytest.raises(ValueError):
            cid_length(raw[:-1])  # truncated multihash


def test_padding_bits_strict_for_publish_lenient_for_the_gateway() -> None:
    # RFC 4648 3.5: multiformats rejects non-zero pad bits; Go's base32 (kubo) ignores them.
    text = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    odd = text[:-1] + "f"
    with pytest.raises(ValueError):
        CID.decode(odd)
    assert not same_cid(cid_raw(text), odd)
    assert parse_cid(odd) == cid_raw(text)


# --- CID text (was tests/test_publish_cidtext.py) --------------------------------------

HELLO = hashlib.sha256(b"hello world").digest()


@pytest.mark.parametrize(("raw", "text"), [
    # kubo: `printf 'hello world' | ipfs add --cid-version 1 --raw-leaves` (unixfs-v1-2025)
    (b"\x01\x55\x12\x20" + HELLO,
     "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"),
    # kubo's empty directory under unixfs-v0-2015
    (bytes(CID.decode("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")),
     "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"),
])
def test_known_vectors(raw: bytes, text: str) -> None:
    assert cid_text(raw) == text
    assert cid_raw(text) == raw


def test_agrees_with_multiformats() -> None:
    rng = random.Random(0)
    for prefix in (b"", b"\x01\x55", b"\x01\x70"):
        for _ in range(100):
            raw = prefix + b"\x12\x20" + rng.randbytes(32)
            cid = CID.decode(raw)
            text = str(cid if cid.version == 0 else cid.set(base="base32"))
            assert cid_text(raw) == text and cid_raw(text) == raw
            # other bases go through multiformats
            assert same_cid(raw, str(cid.set(base="base58btc") if cid.version else cid))


def test_not_a_cid() -> None:
    assert not same_cid(b"\x01\x55\x12\x20" + HELLO, "bafy-not-a-cid")


# --- IW104's reader (was tests/test_declaration.py) ------------------------------------

def _multiformats_kind(text: str) -> tuple[int, str] | None:
    """What the reference parser says, restricted to the canonical forms."""
    try:
        cid = CID.decode(text)
    except (ValueError, KeyError):
        return None
    if cid.hashfun.name != "sha2-256" or len(cid.raw_digest) != 32:
        return None
    if cid.version == 0:
        return (0, "dag-pb")
    if cid.codec.name in {"raw", "dag-pb"} and str(cid) == text and cid.base.name == "base32":
        return (1, cid.codec.name)
    return None


def _cids(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        digest = hashlib.sha256(rng.randbytes(8)).digest()
        out.append(str(CID("base58btc", 0, "dag-pb", multihash.wrap(digest, "sha2-256"))))
        for codec in ("raw", "dag-pb"):
            out.append(str(CID("base32", 1, codec, multihash.wrap(digest, "sha2-256"))))
    return out


def test_cid_kind_agrees_with_multiformats_on_valid_cids():
    for text in _cids(random.Random(1), 100):
        assert cid_kind(text) == _multiformats_kind(text) is not None, text


def test_cid_kind_never_accepts_what_multiformats_rejects():
    rng = random.Random(2)
    alphabet = "abcdefghijklmnopqrstuvwxyz234567QmABCDEFGHJKLMNPQRSTUVWXYZ0189=+"
    for text in _cids(rng, 100):
        i = rng.randrange(len(text))
        for mutated in (text[:i] + rng.choice(alphabet) + text[i + 1:], text[:i],
                        text.upper(), text + "a"):
            fast = cid_kind(mutated)
            if fast is not None:
                assert fast == _multiformats_kind(mutated), mutated


def test_cid_raws_is_cid_raw_of_each() -> None:
    rng = random.Random(1)
    texts = [cid_text(prefix + b"\x12\x20" + rng.randbytes(32))
             for _ in range(50) for prefix in (b"\x01\x55", b"\x01\x70")]
    assert cid_raws(texts) == [cid_raw(t) for t in texts]  # one pass
    v0 = cid_text(b"\x12\x20" + rng.randbytes(32))
    assert cid_raws([*texts, v0]) == [cid_raw(t) for t in [*texts, v0]]  # one by one
    assert cid_raws(texts[:3]) == [cid_raw(t) for t in texts[:3]]
    last = texts[7][-1]
    padded = texts[7][:-1] + _B32[_B32.index(last) | 1]  # a padding bit set: not a CID
    with pytest.raises(PublishError, match="invalid CID"):
        cid_raws([*texts[:7], padded, *texts[8:]])
    with pytest.raises(PublishError, match="invalid CID"):
        cid_raws([*texts[:7], "b" + "1" * 58, *texts[8:]])

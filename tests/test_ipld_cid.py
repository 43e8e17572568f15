"""The codec layer's varints and CIDs (ipwhl_checks.ipld) against truths we did not
produce: multiformats (the reference parser and varint encoder) and CIDs kubo printed."""

from __future__ import annotations

import contextlib
import hashlib
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multiformats import CID, multihash
from multiformats import varint as mf_varint

from ipwhl_checks.ipld.cid import (
    canonical,
    cid_bytes,
    cid_fields,
    cid_length,
    cid_text,
    parse_cid,
    parse_cids,
)
from ipwhl_checks.ipld.multicodec import DAG_PB, RAW, SHA2_256
from ipwhl_checks.ipld.varint import read_varint, read_varint_from, varint, varint_len

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


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_every_varint_agrees_with_multiformats(n: int) -> None:
    import io

    encoded = mf_varint.encode(n)
    assert varint(n) == encoded and varint_len(n) == len(encoded)
    assert read_varint_from(io.BytesIO(encoded)) == (n, len(encoded))


@pytest.mark.parametrize("buf", [b"", b"\x80", b"\xff\xff", b"\x80" * 10 + b"\x01"])
def test_read_varint_rejects_truncated_and_overlong(buf: bytes) -> None:
    with pytest.raises(ValueError):
        read_varint(buf, 0)


@given(st.binary(max_size=40))
def test_varint_readers_give_a_value_or_a_value_error(buf: bytes) -> None:
    import io

    try:
        value, end = read_varint(buf, 0)
        assert 0 <= value < 2**70 and 0 < end <= min(len(buf), 10)
    except ValueError:
        pass
    with contextlib.suppress(ValueError):
        read_varint_from(io.BytesIO(buf))


# --- CID text ----------------------------------------------------------------------------

CIDS = [
    "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",  # "hello world\n", unixfs-v0-2015
    "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn",  # the empty directory
    "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",  # "hello world", raw
    "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby",
    "zdj7WaCPMsy3FP2whSwpFXHjDEaTVmjnddYSn5W2Gdn4aEZFj",  # base58btc CIDv1: other bases work
]


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("text", CIDS)
def test_parse_cid_agrees_with_multiformats(text: str, strict: bool) -> None:
    raw = parse_cid(text, strict=strict)
    cid = CID.decode(text)
    assert raw == bytes(cid)
    expected = str(cid) if cid.version == 0 else str(cid.encode("base32"))
    assert cid_text(raw) == expected
    assert canonical(raw) == bytes(cid.set(version=1))
    assert cid_fields(raw) == (cid.version, cid.codec.code, cid.hashfun.code, cid.raw_digest)


@pytest.mark.parametrize(("text", "reason"), [
    ("", "Empty string is not valid for encoded data."),
    ("b", "too short"),
    ("z", "too short"), ("m", "too short"), ("u", "too short"), ("Qm", None),
    ("bafyINVALID", None), ("not a cid", None), ("bzzzzzzz", None),
    ("x" * 600, "longer than 512 characters"),
])
def test_bad_cid_text_is_a_value_error(text: str, reason: str | None) -> None:
    for strict in (True, False):
        with pytest.raises(ValueError) as caught:
            parse_cid(text, strict=strict)
        assert reason is None or str(caught.value) == reason
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text", CIDS)
def test_cid_length_finds_the_cid_in_a_longer_buffer(text: str) -> None:
    raw = bytes(CID.decode(text))
    assert cid_length(b"junk" + raw + b"block bytes", 4) == len(raw)
    with pytest.raises(ValueError):
        cid_length(raw[:-1])  # truncated multihash


def test_padding_bits_strict_for_declarations_lenient_for_the_gateway() -> None:
    # RFC 4648 3.5: multiformats rejects non-zero pad bits; Go's base32 (kubo) ignores them.
    text = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    odd = text[:-1] + "f"
    with pytest.raises(ValueError):
        CID.decode(odd)
    with pytest.raises(ValueError, match="Pad bits"):
        parse_cid(odd)
    assert parse_cid(odd, strict=False) == parse_cid(text)


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
    assert parse_cid(text) == raw


def test_cid_bytes_agrees_with_multiformats() -> None:
    for version, codec in ((0, DAG_PB), (1, RAW), (1, DAG_PB), (1, 0x71)):
        base = "base58btc" if version == 0 else "base32"
        cid = CID(base, version, codec, multihash.wrap(HELLO, "sha2-256"))
        assert cid_bytes(version, codec, HELLO) == bytes(cid)
        assert cid_fields(bytes(cid)) == (version, codec, SHA2_256, HELLO)


def test_agrees_with_multiformats() -> None:
    rng = random.Random(0)
    for prefix in (b"", b"\x01\x55", b"\x01\x70", b"\x01\x71"):
        for _ in range(100):
            raw = prefix + b"\x12\x20" + rng.randbytes(32)
            cid = CID.decode(raw)
            text = str(cid if cid.version == 0 else cid.set(base="base32"))
            assert cid_text(raw) == text and parse_cid(text) == raw
            # other bases go through multiformats
            other = str(cid.set(base="base58btc") if cid.version else cid)
            assert parse_cid(other) == raw


def _texts(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        digest = hashlib.sha256(rng.randbytes(8)).digest()
        out.append(str(CID("base58btc", 0, "dag-pb", multihash.wrap(digest, "sha2-256"))))
        for codec in ("raw", "dag-pb", "dag-cbor"):
            out.append(str(CID("base32", 1, codec, multihash.wrap(digest, "sha2-256"))))
    return out


def _reference(text: str) -> bytes | None:
    try:
        return bytes(CID.decode(text))
    except Exception:
        return None


def test_the_fast_paths_accept_exactly_what_multiformats_accepts() -> None:
    """parse_cid reads kubo's two forms itself: on mutations of valid CIDs, it must give
    what multiformats gives, or fail where multiformats fails."""
    rng = random.Random(2)
    alphabet = "abcdefghijklmnopqrstuvwxyz234567QmABCDEFGHJKLMNPQRSTUVWXYZ0189=+"
    for text in _texts(rng, 100):
        i = rng.randrange(len(text))
        for mutated in (text, text[:i] + rng.choice(alphabet) + text[i + 1:], text[:i],
                        text.upper(), text + "a"):
            expected = _reference(mutated)
            try:
                got: bytes | None = parse_cid(mutated)
            except ValueError:
                got = None
            assert got == expected, mutated


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=80), st.text(alphabet=_B32 + "bQmz", max_size=80),
                 st.builds(lambda s: "b" + s, st.text(alphabet=_B32, min_size=50, max_size=70))))
def test_any_text_gives_a_cid_or_a_value_error_quickly(text: str) -> None:
    for strict in (True, False):
        started = time.monotonic()
        try:
            raw = parse_cid(text, strict=strict)
        except ValueError as e:
            assert "\n" not in str(e)
        else:
            assert canonical(raw)  # a well-formed CID
            if strict:
                assert raw == _reference(text)
        assert time.monotonic() - started < 5  # (a quadratic parse would take minutes)


def test_parse_cids_is_parse_cid_of_each() -> None:
    rng = random.Random(1)
    texts = [cid_text(prefix + b"\x12\x20" + rng.randbytes(32))
             for _ in range(50) for prefix in (b"\x01\x55", b"\x01\x70")]
    assert parse_cids(texts) == [parse_cid(t) for t in texts]  # one pass
    v0 = cid_text(b"\x12\x20" + rng.randbytes(32))
    assert parse_cids([*texts, v0]) == [parse_cid(t) for t in [*texts, v0]]  # one by one
    assert parse_cids(texts[:3]) == [parse_cid(t) for t in texts[:3]]
    cbor = cid_text(b"\x01\x71\x12\x20" + rng.randbytes(32))  # not kubo's: left to the reference
    assert parse_cids([*texts[:7], cbor, *texts[8:]]) == [
        parse_cid(t) for t in [*texts[:7], cbor, *texts[8:]]]
    last = texts[7][-1]
    padded = texts[7][:-1] + _B32[_B32.index(last) | 1]  # a padding bit set: not a CID
    with pytest.raises(ValueError, match="Pad bits"):
        parse_cids([*texts[:7], padded, *texts[8:]])
    with pytest.raises(ValueError):
        parse_cids([*texts[:7], "b" + "1" * 58, *texts[8:]])

"""The publisher's fast CID strings agree with multiformats and with kubo's known vectors."""

from __future__ import annotations

import hashlib
import random

import pytest
from multiformats import CID

from ipwhl_checks._cidtext import cid_raw, cid_text, same_cid

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

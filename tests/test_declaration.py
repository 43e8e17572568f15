"""The declaration schema beyond the corpus: the CID reader against multiformats."""

from __future__ import annotations

import hashlib
import random

import pytest
from multiformats import CID, multihash

from ipwhl_checks.declaration import _fast_cid, check_content_id, parse_declaration

V1 = "unixfs-v1-2025"
V0 = "unixfs-v0-2015"


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


def test_fast_reader_agrees_with_multiformats_on_valid_cids():
    for text in _cids(random.Random(1), 100):
        assert _fast_cid(text) == _multiformats_kind(text) is not None, text


def test_fast_reader_never_accepts_what_multiformats_rejects():
    rng = random.Random(2)
    alphabet = "abcdefghijklmnopqrstuvwxyz234567QmABCDEFGHJKLMNPQRSTUVWXYZ0189=+"
    for text in _cids(rng, 100):
        i = rng.randrange(len(text))
        for mutated in (text[:i] + rng.choice(alphabet) + text[i + 1:], text[:i],
                        text.upper(), text + "a"):
            fast = _fast_cid(mutated)
            if fast is not None:
                assert fast == _multiformats_kind(mutated), mutated


@pytest.mark.parametrize(("text", "profile"), [
    # kubo: `echo "hello world" | ipfs add` and `ipfs add` of an empty file
    ("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", V0),
    ("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", V0),
    # kubo: `ipfs add --cid-version 1` of an empty file (raw leaves by default)
    ("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", V1),
    # the empty UnixFS directory, CIDv1 dag-pb
    ("bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354", V1),
])
def test_cids_from_ipfs_implementations_are_accepted(text, profile):
    assert check_content_id(text, profile) == []


def test_every_problem_of_a_table_is_reported():
    fields, problems = parse_declaration(
        {"sorce": "x", "content-id": 1, "extras": ["A", "A"], "dependencies": ["a b c"]}, V1)
    assert fields is None
    assert [check for check, _ in problems] == [
        "IW101", "IW102", "IW104", "IW106", "IW106", "IW107"]


def test_a_valid_table_gives_fields():
    fields, problems = parse_declaration(
        {"source": "https://example.invalid/x", "content-id":
         "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
         "requires-python": ">=3.9", "extras": ["socks"],
         "dependencies": ['pysocks; extra == "socks"']}, V1)
    assert problems == []
    assert fields is not None
    assert str(fields.requires_python) == ">=3.9"
    assert [str(d) for d in fields.dependencies] == ['pysocks; extra == "socks"']

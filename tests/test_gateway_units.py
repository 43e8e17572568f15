"""The gateway's pure parts, against truths from elsewhere: multiformats for CID text,
RFC 9110's examples for ``Range``, and dag-pb blocks written by the npm encoder."""

from __future__ import annotations

import pytest
from multiformats import CID, multihash

from ipwhl_checks.gateway import content_type, parse_range
from ipwhl_checks.gateway._cid import canonical, cid_str, parse_cid
from ipwhl_checks.gateway._unixfs import DIRECTORY, FILE, decode_node

CIDS = [
    "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",  # "hello world\n", unixfs-v0-2015
    "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn",  # the empty directory
    "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",  # "hello world", raw
    "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby",
    "zdj7WaCPMsy3FP2whSwpFXHjDEaTVmjnddYSn5W2Gdn4aEZFj",  # base58btc CIDv1: other bases work
]


@pytest.mark.parametrize("text", CIDS)
def test_cid_text_agrees_with_multiformats(text: str) -> None:
    raw = parse_cid(text)
    cid = CID.decode(text)
    assert raw == bytes(cid)
    expected = str(cid) if cid.version == 0 else str(cid.encode("base32"))
    assert cid_str(raw) == expected
    assert canonical(raw) == bytes(cid.set(version=1))


@pytest.mark.parametrize("text", ["", "b", "Qm", "bafyINVALID", "not a cid", "bzzzzzzz"])
def test_bad_cid_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_cid(text)


RANGES = [  # header, size, result (RFC 9110 section 14.1.2 examples for a 10000-byte file)
    ("bytes=0-499", 10000, (0, 500)),
    ("bytes=500-999", 10000, (500, 1000)),
    ("bytes=-500", 10000, (9500, 10000)),
    ("bytes=9500-", 10000, (9500, 10000)),
    ("bytes=0-0,-1", 10000, None),  # several ranges: the whole representation
    ("bytes=10000-", 10000, "unsatisfiable"),
    ("bytes=-0", 10000, "unsatisfiable"),
    ("bytes=0-", 0, "unsatisfiable"),
    ("bytes=5-2", 10000, None),  # invalid: ignored
    ("bytes=x-y", 10000, None),
    ("items=0-5", 10000, None),
    (None, 10000, None),
    ("bytes=9000-20000", 10000, (9000, 10000)),
    ("bytes=-20000", 10000, (0, 10000)),
]


@pytest.mark.parametrize(("header", "size", "expected"), RANGES)
def test_parse_range(header: str | None, size: int, expected: object) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(("name", "kind"), [
    ("requests-2.32.3-py3-none-any.whl", "application/zip"),
    ("requests-2.32.3-py3-none-any.whl.metadata", "text/plain; charset=utf-8"),
    ("index.html", "text/html; charset=utf-8"),
    ("manifest.json", "application/json"),
    ("LICENSE", "application/octet-stream"),
])
def test_content_type(name: str, kind: str) -> None:
    assert content_type(name) == kind


def test_decode_empty_directory_and_file() -> None:
    # The empty directory as every IPFS implementation writes it (CID above): Data = {Type: 1}.
    node = decode_node(bytes.fromhex("0a020801"))
    assert (node.type, node.links) == (DIRECTORY, ())
    # "hello world\n" under unixfs-v0-2015: one dag-pb node holding the bytes inline.
    block = bytes.fromhex("0a120802120c68656c6c6f20776f726c640a180c")
    node = decode_node(block)
    assert (node.type, node.data, node.filesize) == (FILE, b"hello world\n", 12)
    digest = multihash.digest(block, "sha2-256")
    assert str(CID("base58btc", 0, "dag-pb", digest)) == CIDS[0]  # the known vector

"""The gateway's pure parts, against truths from elsewhere: RFC 9110's examples for
``Range`` and dag-pb blocks written by the npm encoder (CID text: tests/test_cidtext.py)."""

from __future__ import annotations

import pytest
from multiformats import CID, multihash

from ipwhl_checks.gateway import content_type, parse_ranges
from ipwhl_checks.ipld.dagpb import DataType, decode_node

DIRECTORY, FILE = DataType.DIRECTORY, DataType.FILE

HELLO_V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"  # "hello world\n", kubo

RANGES = [  # header, size, result (RFC 9110 section 14.1.2 examples for a 10000-byte file)
    ("bytes=0-499", 10000, [(0, 500)]),
    ("bytes=500-999", 10000, [(500, 1000)]),
    ("bytes=-500", 10000, [(9500, 10000)]),
    ("bytes=9500-", 10000, [(9500, 10000)]),
    ("bytes=0-0,-1", 10000, [(0, 1), (9999, 10000)]),  # first and last bytes only
    ("bytes= 0-999, 4500-5499, -1000", 10000, [(0, 1000), (4500, 5500), (9000, 10000)]),
    ("bytes=500-600,601-999", 10000, [(500, 601), (601, 1000)]),
    ("bytes=10000-", 10000, "unsatisfiable"),
    ("bytes=-0", 10000, "unsatisfiable"),
    ("bytes=0-", 0, "unsatisfiable"),
    ("bytes=0-1,20000-", 10000, [(0, 2)]),  # an unsatisfiable range among others: dropped
    ("bytes=5-2", 10000, None),  # invalid: the header is ignored
    ("bytes=x-y", 10000, None),
    ("bytes=-", 10000, None),
    ("bytes=,", 10000, None),
    ("items=0-5", 10000, None),
    ("Bytes=0-5", 10000, [(0, 6)]),  # the unit is case-insensitive
    ("bytes=" + ",".join(["0-1"] * 17), 10000, None),  # too many ranges: ignored
    (None, 10000, None),
    ("bytes=9000-20000", 10000, [(9000, 10000)]),
    ("bytes=-20000", 10000, [(0, 10000)]),
]


@pytest.mark.parametrize(("header", "size", "expected"), RANGES)
def test_parse_ranges(header: str | None, size: int, expected: object) -> None:
    assert parse_ranges(header, size) == expected


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
    assert str(CID("base58btc", 0, "dag-pb", digest)) == HELLO_V0  # the known vector

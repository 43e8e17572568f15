"""The declaration schema beyond the corpus (the CID reader: tests/test_cidtext.py)."""

from __future__ import annotations

import pytest

from ipwhl_checks.repo.declaration import check_content_id, parse_declaration

V1 = "unixfs-v1-2025"
V0 = "unixfs-v0-2015"


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
        {"source": "https://example.invalid/x-1.0-py3-none-any.whl", "content-id":
         "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
         "requires-python": ">=3.9", "extras": ["socks"],
         "dependencies": ['pysocks; extra == "socks"']}, V1)
    assert problems == []
    assert fields is not None
    assert str(fields.requires_python) == ">=3.9"
    assert [str(d) for d in fields.dependencies] == ['pysocks; extra == "socks"']

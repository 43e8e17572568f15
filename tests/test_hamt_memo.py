"""A HAMT memo shared by two versions of a directory changes nothing in what is built.

The truth is kubo's: the threshold-boundary directories of ``test_unixfs_vectors.py``
(kubo's ``test/cli/cid_profiles_test.go``) must keep kubo's CID, and emit exactly the blocks
a build without a memo emits, when a memo already holds another version of the directory
(one name renamed, one file changed, one name added).
"""

from __future__ import annotations

import io

import pytest

from ipwhl_checks.unixfs import DagBuilder, HamtMemo, Node

from .test_unixfs_vectors import HAMT_BOUNDARIES, kubo_names

SHARDED = [case for case in HAMT_BOUNDARIES if case[-1] == 5]  # HAMTShard roots


def _build(profile: str, children: dict[str, Node],
           memo: HamtMemo | None) -> tuple[str, dict[bytes, bytes]]:
    blocks: dict[bytes, bytes] = {}
    builder = DagBuilder(profile, raw_sink=lambda cid, block: blocks.setdefault(cid, block))
    return str(builder.add_directory(children, memo).cid), blocks


@pytest.mark.parametrize("change", ["rename", "modify", "add"])
@pytest.mark.parametrize(("profile", "count", "name_len", "last_len", "expected", "kind"),
                         SHARDED)
def test_memo_of_another_version_keeps_kubos_cid(profile: str, count: int, name_len: int,
                                                 last_len: int, expected: str, kind: int,
                                                 change: str) -> None:
    builder = DagBuilder(profile)
    x, y = builder.add_file(io.BytesIO(b"x")), builder.add_file(io.BytesIO(b"y"))
    names = kubo_names(count, name_len, last_len, f"hamt-{profile}")
    children = dict.fromkeys(names, x)
    other = dict(children)
    if change == "rename":  # to a name of the same length: still sharded
        other[names[7][::-1]] = other.pop(names[7])
    elif change == "modify":
        other[names[7]] = y
    else:
        other["an-extra-name"] = x
    plain_cid, plain_blocks = _build(profile, children, None)
    assert plain_cid == expected
    memo = HamtMemo()
    other_cid, _ = _build(profile, other, memo)
    assert other_cid != expected
    assert memo.shards  # the other version's shards are there to reuse
    assert _build(profile, children, memo) == (expected, plain_blocks)
    assert _build(profile, children, memo) == (expected, plain_blocks)  # from the memo only

"""Building a directory with ``changed`` names emits exactly the blocks its previous
version lacks.

The truth is a set difference of two full builds: every block of the new version minus
every block of the old one.  The directories are kubo's threshold-boundary directories of
``test_unixfs_vectors.py`` (kubo's ``test/cli/cid_profiles_test.go``), so the full builds
are the ones whose root CIDs kubo gives; the changes rename, relink, add and remove names,
with enough names to make sub-shards, and in basic (unsharded) directories too.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from ipwhl_checks.unixfs import DagBuilder, Node

from .test_unixfs_vectors import HAMT_BOUNDARIES, kubo_names

Children = dict[str, Node]


def _blocks(profile: str, children: Children,
            changed: set[str] | None = None) -> tuple[str, dict[bytes, bytes]]:
    blocks: dict[bytes, bytes] = {}
    builder = DagBuilder(profile, raw_sink=lambda cid, block: blocks.setdefault(cid, block))
    return str(builder.add_directory(children, changed).cid), blocks


def _rename(c: Children, names: list[str], x: Node, y: Node) -> set[str]:
    c[names[7][::-1]] = c.pop(names[7])  # same length: the same sharding
    return {names[7], names[7][::-1]}


def _relink(c: Children, names: list[str], x: Node, y: Node) -> set[str]:
    c[names[3]] = c[names[-1]] = y
    return {names[3], names[-1]}


def _add(c: Children, names: list[str], x: Node, y: Node) -> set[str]:
    c["an-extra-name"] = x
    return {"an-extra-name"}


def _remove_two(c: Children, names: list[str], x: Node, y: Node) -> set[str]:
    del c[names[0]], c[names[1]]
    c["z" * 200] = x  # (so that a directory at the threshold stays over it)
    return {names[0], names[1], "z" * 200}


def _nothing(c: Children, names: list[str], x: Node, y: Node) -> set[str]:
    return set()


CHANGES: list[Callable[[Children, list[str], Node, Node], set[str]]] = [
    _rename, _relink, _add, _remove_two, _nothing]
CASES = [(p, n, nl, ll, e) for p, n, nl, ll, e, kind in HAMT_BOUNDARIES if kind == 5]
CASES += [(p, 40, 8, 8, None) for p in ("unixfs-v0-2015", "unixfs-v1-2025")]  # basic


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize(("profile", "count", "name_len", "last_len", "expected"), CASES)
def test_changed_names_emit_exactly_the_new_blocks(
        profile: str, count: int, name_len: int, last_len: int, expected: str | None,
        change: Callable[[Children, list[str], Node, Node], set[str]]) -> None:
    builder = DagBuilder(profile)
    x, y = builder.add_file(io.BytesIO(b"x")), builder.add_file(io.BytesIO(b"y"))
    names = kubo_names(count, name_len, last_len, f"hamt-{profile}")
    old = dict.fromkeys(names, x)
    new = dict(old)
    changed = change(new, names, x, y)
    old_cid, old_blocks = _blocks(profile, old)
    if expected is not None:
        assert old_cid == expected  # kubo's CID for the old version
    assert builder.is_sharded(old) == builder.is_sharded(new) == (expected is not None)
    new_cid, new_blocks = _blocks(profile, new)
    delta_cid, delta = _blocks(profile, new, changed)
    assert delta_cid == new_cid
    assert delta == {cid: b for cid, b in new_blocks.items() if cid not in old_blocks}
    assert bool(delta) == bool(changed)


def test_a_big_directory_of_many_shards_emits_only_its_changed_paths() -> None:
    profile = "unixfs-v1-2025"
    builder = DagBuilder(profile)
    x, y = builder.add_file(io.BytesIO(b"x")), builder.add_file(io.BytesIO(b"y"))
    old = {f"project-{i:05d}": x for i in range(12_000)}  # root, 256 shards, sub-shards
    new = dict(old)
    new["project-00042"] = y
    del new["project-00043"]
    new["project-99999"] = x
    _, old_blocks = _blocks(profile, old)
    _, new_blocks = _blocks(profile, new)
    expected = {cid: b for cid, b in new_blocks.items() if cid not in old_blocks}
    assert 3 <= len(expected) <= 7  # the root, and a shard or two below it for each name
    changed = {"project-00042", "project-00043", "project-99999"}
    assert _blocks(profile, new, changed)[1] == expected

"""``ipwhl diff`` and the release notes in a release tag's message: real git, real SSH
keys, real wheels served from 127.0.0.1, a real gateway for CIDs."""

# ruff: noqa: F811 (pytest fixtures imported from the release tests)
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ipwhl_checks.release.diff import ProjectState, diff, release_notes

from .gatewayutil import gateway
from .test_publish import Repo, repo  # noqa: F401 (the fixture)
from .test_release import git, keygen, release, run, signed  # noqa: F401 (fixtures)


def _commit(repo: Repo, message: str) -> None:
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", message)


def _change(repo: Repo) -> None:
    """epsilon added, alpha upgraded 1.0 -> 1.1, beta removed."""
    repo.add("epsilon", "1.0")
    for old in repo.data.glob("*/alpha/alpha-1.0-*.toml"):
        old.unlink()
    repo.add("alpha", "1.1")
    shutil.rmtree(next(repo.data.glob("*/beta")))


EXPECTED = ["+ epsilon 1.0", "- beta 2.1", "~ alpha 1.0 -> 1.1"]


def test_release_notes_and_diff_between_tags(signed: Repo,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    release(capsys, "ipwhl-1")
    message = git(signed.root, "tag", "-l", "--format=%(contents)", "ipwhl-1")
    assert "first release: 4 projects" in message
    _change(signed)
    _commit(signed, "epsilon, alpha 1.1, no beta")
    release(capsys, "ipwhl-2")
    message = git(signed.root, "tag", "-l", "--format=%(contents)", "ipwhl-2")
    assert ("changes since ipwhl-1: 1 added, 1 removed, 1 upgraded, 0 downgraded\n"
            + "\n".join(EXPECTED) + "\n") in message
    code, out, err = run(capsys, "verify", "ipwhl-2")  # the notes do not disturb the fields
    assert code == 0, err
    code, out, err = run(capsys, "diff", "ipwhl-1", "ipwhl-2")
    assert (code, out) == (0, ["ipwhl-1 -> ipwhl-2: 1 added, 1 removed, 1 upgraded, "
                               "0 downgraded", *EXPECTED])
    code, out, _err = run(capsys, "diff", "ipwhl-1", "ipwhl-2", "--json")
    found = json.loads("\n".join(out))
    assert found["added"] == [{"project": "epsilon", "version": "1.0"}]
    assert found["upgraded"] == [{"project": "alpha", "from": "1.0", "to": "1.1"}]
    assert found["removed"] == [{"project": "beta", "version": "2.1"}]


def test_diff_of_manifests_and_of_cids_through_a_gateway(
        repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cids = []
    for name in ("old", "new"):
        if name == "new":
            _change(repo)
        code, out, err = run(capsys, "publish", "--root", str(repo.data), "--out",
                             str(tmp_path / name), "--car", str(tmp_path / f"{name}.car"))
        assert code == 0, err
        cids.append(out[-1])
    code, out, _err = run(capsys, "diff", str(tmp_path / "old" / "manifest.json"),
                          str(tmp_path / "new" / "manifest.json"), "--root", str(repo.data))
    assert code == 0 and out[1:] == EXPECTED
    with gateway(tmp_path / "old.car", tmp_path / "new.car") as (host, _log):
        code, out, err = run(capsys, "diff", *cids, "--gateway", f"http://{host}",
                             "--root", str(repo.data))
    assert code == 0, err
    assert out[1:] == EXPECTED


def test_coverage_changes_are_shown() -> None:
    from packaging.version import Version

    both = frozenset({"cp312-manylinux_2_28_x86_64", "cp312-win_amd64"})
    old = {"torch": ProjectState(Version("2.6"), frozenset({"a.whl", "b.whl"}), both)}
    new = {"torch": ProjectState(Version("2.7"), frozenset({"c.whl"}),
                                 frozenset({"cp312-manylinux_2_28_x86_64"}))}
    changes = diff(old, new)
    assert changes.lines() == ["~ torch 2.6 -> 2.7", "! torch: no longer covers cp312-win_amd64"]
    assert release_notes(changes, "ipwhl-1", limit=1) == [
        "changes since ipwhl-1: 0 added, 0 removed, 1 upgraded, 0 downgraded, "
        "1 with other coverage", "~ torch 2.6 -> 2.7",
        "... and 1 more (ipwhl diff ipwhl-1 THIS-TAG)"]


@pytest.mark.parametrize("operand", ["no-such-rev", "bafkreinotacid"])
def test_a_bad_operand_is_one_line(signed: Repo, capsys: pytest.CaptureFixture[str],
                                   operand: str) -> None:
    code, _out, err = run(capsys, "diff", operand, "HEAD", "--gateway", "http://127.0.0.1:9")
    assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err

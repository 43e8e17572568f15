"""``publish --previous`` in a git work tree: git lists the changed files, and the outputs
are byte for byte those of the digest scan of every file (root CID, manifest, delta CAR),
whatever changed since the previous release's commit; real git, real wheels."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ipwhl_checks.errors import PublishError
from ipwhl_checks.publish.build import PublishOptions, publish, source_commit
from ipwhl_checks.publish.gitchanges import changed_files
from ipwhl_checks.publish.previous import read_previous

from .test_publish import Repo, repo  # noqa: F401 (the fixture)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout


def _upgrade_beta(r: Repo) -> None:
    for old in r.data.rglob("beta-2.1-*.toml"):
        old.unlink()
    r.add("beta", "2.2", extras=("fast",), dependencies=('gamma.pkg<1; extra == "fast"',))


def _upgrade_beta_committed(r: Repo) -> None:
    _upgrade_beta(r)
    git(r.root, "add", "-A")
    git(r.root, "commit", "-q", "-m", "beta 2.2")


def _new_project(r: Repo) -> None:
    r.add("epsilon", "1.0")


def _drop_project(r: Repo) -> None:
    (directory,) = {p.parent for p in r.data.rglob("gamma_pkg-*.toml")}
    shutil.rmtree(directory)


def _edit_in_place(r: Repo) -> None:  # same size, other bytes: only the content tells
    (path,) = r.data.rglob("alpha-1.0-*.toml")
    path.write_text(path.read_text().replace("'>=3.8'", "'>=3.9'"))


def _ignored_stray_file(r: Repo) -> None:  # git ignores it, the walk does not
    (r.root / ".gitignore").write_text("*.bak\n")
    (path,) = r.data.rglob("alpha-1.0-*.toml")
    path.with_suffix(".bak").write_text("x")


def _symlinked_project(r: Repo) -> None:  # _walk lists a symlink as a file: a stray file
    (directory,) = {p.parent for p in r.data.rglob("gamma_pkg-*.toml")}
    moved = r.root / "elsewhere"
    directory.rename(moved)
    directory.symlink_to(moved, target_is_directory=True)


# (what changes since the previous release's commit, the paths git reports)
CHANGES: list[tuple[Callable[[Repo], None], int]] = [
    (lambda r: None, 0),
    (_upgrade_beta, 2),
    (_upgrade_beta_committed, 2),
    (_new_project, 1),
    (_drop_project, 1),
    (_edit_in_place, 1),
    (_ignored_stray_file, 1),
    (_symlinked_project, 2),
]


@pytest.fixture
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git configured by a file of the test's own (a committer's name), nothing else."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Maintainer\n\temail = maintainer@ipwhl.test\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def committed(repo: Repo, git_identity: None) -> str:  # noqa: F811
    """*repo* as a git work tree with everything committed; the commit's id."""
    git(repo.root, "init", "-q")
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", "data")
    return git(repo.root, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize(("change", "reported"), CHANGES)
def test_git_and_digest_scan_give_the_same_outputs(
        repo: Repo, committed: str, tmp_path: Path,  # noqa: F811
        change: Callable[[Repo], None], reported: int) -> None:
    commit = committed
    first = publish(repo.data, PublishOptions(source_commit=commit))
    assert first.manifest.source_commit == commit
    previous = read_previous(first.manifest_bytes)
    change(repo)
    changed = changed_files(repo.data, commit)
    assert changed is not None and len(changed) == reported  # git answered

    outcomes = []
    for prior in (previous, dataclasses.replace(previous, source_commit=None)):
        car = tmp_path / f"delta-{len(outcomes)}.car"
        try:
            result = publish(repo.data, PublishOptions(previous=prior, car=car))
        except PublishError as e:
            outcomes.append((str(e), b"", b""))
        else:
            outcomes.append((result.root_cid, result.manifest_bytes,
                             car.read_bytes()))
    assert outcomes[0] == outcomes[1]
    full = tmp_path / "full.car"
    if change is _symlinked_project:
        assert "gamma-pkg: IW201 stray file" in outcomes[0][0]
    elif change is not _ignored_stray_file:
        assert outcomes[0][0] == publish(repo.data, PublishOptions(car=full)).root_cid
    else:
        assert outcomes[0][0].startswith(
            f"{repo.data}/06/alpha/alpha-1.0-py3-none-any.bak: IW201 stray file: not a declaration")


@pytest.mark.parametrize(("change", "reported"), CHANGES)
def test_a_committed_change_is_read_from_the_two_commits(
        repo: Repo, committed: str, tmp_path: Path,  # noqa: F811
        change: Callable[[Repo], None], reported: int) -> None:
    """As ``ipwhl publish``/``release`` run: source_commit() has checked the tree is its
    commit's, so git compares the two commits' trees; the outputs are the digest scan's."""
    first = publish(repo.data, PublishOptions(source_commit=committed))
    previous = read_previous(first.manifest_bytes)
    change(repo)
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "--allow-empty", "-m", "change")
    head = source_commit(repo.data)
    if change is _ignored_stray_file:  # an ignored file is not in any commit
        assert head is None
        return
    assert head is not None
    walked = changed_files(repo.data, committed)
    assert walked is not None and changed_files(repo.data, committed, head) == walked
    outcomes = []
    for prior, clean in ((previous, True), (dataclasses.replace(previous, source_commit=None),
                                             False)):
        car = tmp_path / f"delta-{len(outcomes)}.car"
        try:
            result = publish(repo.data, PublishOptions(previous=prior, car=car,
                                                       source_commit=head, clean=clean))
        except PublishError as e:
            outcomes.append((str(e), b"", b""))
        else:
            outcomes.append((result.root_cid, result.manifest_bytes, car.read_bytes()))
    assert outcomes[0] == outcomes[1]


def test_no_answer_from_git_outside_a_work_tree_or_without_the_commit(
        repo: Repo, git_identity: None) -> None:  # noqa: F811
    assert changed_files(repo.data, "0" * 40) is None  # not a git work tree
    git(repo.root, "init", "-q")
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", "data")
    commit = git(repo.root, "rev-parse", "HEAD").strip()
    assert changed_files(repo.data, commit) == set()
    assert changed_files(repo.data, "1" * 40) is None  # no such commit here
    assert changed_files(repo.data, "HEAD") is None  # not an object name
    (repo.root / ".gitattributes").write_text("*.toml text eol=crlf\n")
    assert changed_files(repo.data, commit) is None  # git may change the bytes on disk
    (repo.root / ".gitattributes").unlink()
    (path,) = repo.data.rglob("alpha-1.0-*.toml")
    (path.parent / ".gitattributes").write_text("*.toml filter=lfs\n")  # below the root
    assert changed_files(repo.data, commit) is None
    (path.parent / ".gitattributes").unlink()
    assert changed_files(repo.data, commit) == set()
    git(repo.root, "update-index", "--assume-unchanged", str(path))
    assert changed_files(repo.data, commit) is None  # git would not look at it


def test_a_commit_outside_the_data_tree_keeps_the_source_commit_and_root_cid(
        repo: Repo, committed: str) -> None:  # noqa: F811
    data_commit = committed
    first = publish(repo.data, PublishOptions(source_commit=source_commit(repo.data)))
    (repo.root / "TOOLING.md").write_text("a change outside data/\n")
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", "tooling only")
    assert source_commit(repo.data) == data_commit
    again = publish(repo.data, PublishOptions(source_commit=source_commit(repo.data)))
    assert again.root_cid == first.root_cid
    (path,) = repo.data.rglob("alpha-1.0-*.toml")
    path.write_text(path.read_text() + "\n")
    assert source_commit(repo.data) is None  # uncommitted changes: no commit to name

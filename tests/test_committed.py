"""Publishing a commit's tree from git's objects (``ipwhl publish --commit``, ``ipwhl
release``, ``ipwhl verify``): the outputs are a clean checkout's, whatever the work tree
holds, and an incremental publish gets the changed files from the two commits' trees;
real git, real wheels."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ipwhl_checks.cli import main
from ipwhl_checks.errors import PublishError
from ipwhl_checks.publish.build import PublishOptions, PublishResult, publish, source_commit
from ipwhl_checks.publish.committed import committed_tree
from ipwhl_checks.publish.previous import read_previous

from .conftest import without_summary
from .test_publish import Repo, repo  # noqa: F401 (the fixture)
from .test_publish_git import (  # noqa: F401 (fixtures)
    CHANGES,
    _symlinked_project,
    committed,
    git,
    git_identity,
)


def _outcome(tree: object, car: Path, **options: object) -> tuple[str, bytes, bytes]:
    """(root CID, manifest, CAR) of a publish, or (its error, b"", b"")."""
    try:
        result = publish(tree, PublishOptions(car=car, **options))  # type: ignore[arg-type]
    except PublishError as e:
        return str(e), b"", b""
    return result.root_cid, result.manifest_bytes, car.read_bytes()


def _checkout(repo: Repo, into: Path) -> PublishResult | str:  # noqa: F811
    """A full publish of a fresh clone's data tree (its source commit named), or its error."""
    git(repo.root.parent, "clone", "-q", str(repo.root), str(into))
    data = into / "data"
    try:
        return publish(data, PublishOptions(source_commit=source_commit(data)))
    except PublishError as e:
        return str(e)


@pytest.mark.parametrize(("change", "reported"), CHANGES)
def test_a_commit_publishes_what_a_clean_checkout_does(
        repo: Repo, committed: str, tmp_path: Path,  # noqa: F811
        change: Callable[[Repo], None], reported: int) -> None:
    first = publish(committed_tree(repo.data), PublishOptions())
    assert first.manifest.source_commit == committed
    assert first.manifest_bytes == publish(
        repo.data, PublishOptions(source_commit=committed)).manifest_bytes
    previous = read_previous(first.manifest_bytes)
    change(repo)
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "--allow-empty", "-m", "change")
    tree = committed_tree(repo.data)
    changed = tree.changed_since(committed)
    assert changed is not None
    assert len(changed) == (0 if tree.commit == committed else reported)
    # git's list of changes, the digest of every committed file, and no previous release
    incremental = _outcome(tree, tmp_path / "a.car", previous=previous)
    scanned = _outcome(tree, tmp_path / "b.car",
                       previous=dataclasses.replace(previous, source_commit=None))
    full = _outcome(tree, tmp_path / "c.car")
    assert incremental == scanned
    clean = _checkout(repo, tmp_path / "clone")
    if change is _symlinked_project:  # the symlink is committed: a stray file in both
        stray = "gamma-pkg: IW201 stray file"
        assert stray in incremental[0] and stray in full[0]
        assert isinstance(clean, str) and stray in clean
        return
    assert incremental[:2] == full[:2]
    assert isinstance(clean, PublishResult)
    assert (clean.root_cid, clean.manifest_bytes) == full[:2]


def test_the_work_tree_is_not_looked_at(
        repo: Repo, committed: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["publish", "--root", str(repo.data), "--commit", "HEAD"]) == 0
    before = capsys.readouterr().out.splitlines()[-1]
    (path,) = repo.data.rglob("alpha-1.0-*.toml")
    path.write_text(path.read_text().replace("'>=3.8'", "'>=3.9'"))  # modified
    repo.add("epsilon", "1.0")  # untracked
    (repo.root / ".gitignore").write_text("*.bak\n")
    path.with_suffix(".bak").write_text("x")  # ignored
    (repo.root / "NOTES.md").write_text("a commit outside the data tree\n")
    git(repo.root, "add", "NOTES.md")
    git(repo.root, "commit", "-q", "-m", "notes")
    assert main(["publish", "--root", str(repo.data), "--commit", "HEAD"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == before
    assert main(["publish", "--root", str(repo.data), "--commit", committed]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == before
    path.with_suffix(".bak").unlink()
    assert main(["publish", "--root", str(repo.data)]) == 0  # the files on disk
    assert capsys.readouterr().out.splitlines()[-1] != before


def test_files_are_read_as_committed(repo: Repo, committed: str) -> None:  # noqa: F811
    """No checkout conversion: an attributes file that would give CRLF on disk changes
    nothing, and a shallow clone (the previous commit absent) digests every file."""
    first = publish(committed_tree(repo.data), PublishOptions())
    (repo.root / ".gitattributes").write_text("*.toml text eol=crlf\n")
    git(repo.root, "add", ".gitattributes")
    git(repo.root, "commit", "-q", "-m", "attributes")
    git(repo.root, "config", "core.autocrlf", "true")
    tree = committed_tree(repo.data)
    assert tree.commit == committed
    assert publish(tree, PublishOptions()).root_cid == first.root_cid

    repo.add("epsilon", "1.0")
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", "epsilon")
    shallow = repo.root.parent / "shallow"
    git(repo.root.parent, "clone", "-q", "--depth", "1", f"file://{repo.root}", str(shallow))
    tree = committed_tree(shallow / "data")
    assert tree.changed_since(committed) is None  # not in the shallow clone
    previous = read_previous(first.manifest_bytes)
    result = publish(tree, PublishOptions(previous=previous))
    assert result.reused_projects == len(previous.projects)  # digests tell
    assert result.root_cid == publish(committed_tree(repo.data), PublishOptions()).root_cid


def test_a_symlinked_declaration_is_refused(repo: Repo, committed: str) -> None:  # noqa: F811
    (path,) = repo.data.rglob("alpha-1.0-*.toml")
    target = repo.root / "alpha.toml"
    path.rename(target)
    path.symlink_to(target)
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", "symlink")
    tree = committed_tree(repo.data)
    rel = path.relative_to(repo.root).as_posix()
    with pytest.raises(PublishError) as caught:
        publish(tree, PublishOptions())
    assert str(caught.value) == (f"{tree.commit[:12]}:{rel}: a symbolic link in the commit; "
                                 "a declaration must be a regular file")


# (how the repository is set up, --root, --commit, the one-line error)
BAD: list[tuple[str, str, str, str]] = [
    ("none", "data", "HEAD", "{data}: not in a git work tree"),
    ("data", "data", "no-such-rev", "{data}: 'no-such-rev' is not a commit"),
    ("data", "data", "--all", "{data}: '--all' is not a commit"),
    ("data", "missing", "HEAD", "the data root is not a directory: '{root}/missing'"),
    ("readme", "data", "HEAD", "{data}: no commit at or before 'HEAD' holds this tree"),
]


@pytest.mark.parametrize(("setup", "root", "rev", "message"), BAD)
def test_bad_commits_are_one_line_errors(
        repo: Repo, git_identity: None, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str], setup: str, root: str, rev: str,
        message: str) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(repo.root.parent))
    if setup != "none":
        git(repo.root, "init", "-q")
        (repo.root / "README").write_text("no data yet\n")
        git(repo.root, "add", "README" if setup == "readme" else "-A")
        git(repo.root, "commit", "-q", "-m", "first")
    for command in ("publish", "release"):
        code = main([command, "--root", str(repo.root / root), f"--commit={rev}"])
        _out, err = capsys.readouterr()
        expected = message.format(data=repo.data, root=repo.root)
        assert (code, err) == (1, f"ipwhl {command}: {expected}\n")


def test_release_ignores_an_uncommitted_change(
        repo: Repo, committed: str, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``ipwhl release`` tags the commit and publishes its tree: what ``ipwhl verify``
    recomputes, whatever else is on disk."""
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "m@ipwhl.test",
                    "-f", str(key)], check=True)
    git(repo.root, "config", "gpg.format", "ssh")
    git(repo.root, "config", "user.signingkey", str(key))
    (repo.root / ".ipwhl").mkdir()
    (repo.root / ".ipwhl" / "allowed_signers").write_text(
        f"m@ipwhl.test {(tmp_path / 'key.pub').read_text()}")
    git(repo.root, "add", ".ipwhl")
    git(repo.root, "commit", "-q", "-m", "signers")
    expected = publish(repo.data, PublishOptions(source_commit=committed)).root_cid
    uncommitted = repo.add("epsilon", "1.0")
    monkeypatch.chdir(repo.root)
    assert main(["release", "--tag", "ipwhl-1"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-2:] == ["tag: ipwhl-1", expected]
    err = without_summary(err)
    assert err == (f"ipwhl release: note: 1 uncommitted change in data/ not in this release "
                   f"(it publishes commit {committed[:12]})\n")
    assert git(repo.root, "rev-parse", "ipwhl-1^{commit}").strip() == committed
    assert main(["verify", "ipwhl-1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == expected
    assert uncommitted.exists()


def test_the_settings_file_is_read_as_committed(
        repo: Repo, committed: str, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    expected = publish(committed_tree(repo.data), PublishOptions()).root_cid
    settings = repo.data / "repository.toml"
    settings.write_text("profile = 'unixfs-v9'\n")  # not committed: not read
    assert main(["publish", "--root", str(repo.data), "--commit", "HEAD"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == expected
    git(repo.root, "commit", "-q", "-am", "a bad profile")
    tree = committed_tree(repo.data)
    assert main(["publish", "--root", str(repo.data), "--commit", "HEAD"]) == 1
    assert capsys.readouterr().err == (
        f"ipwhl publish: {tree.commit[:12]}:data/repository.toml: unknown profile "
        "'unixfs-v9' (expected unixfs-v0-2015 or unixfs-v1-2025)\n")
    git(repo.root, "rm", "-q", str(settings))
    git(repo.root, "commit", "-q", "-m", "no settings file: the defaults")
    with pytest.raises(PublishError, match="the repository's profile 'unixfs-v0-2015'"):
        publish(committed_tree(repo.data), PublishOptions())  # (the original IPWHL's)


def test_a_data_tree_at_the_top_of_its_repository(
        repo: Repo, git_identity: None, tmp_path: Path) -> None:  # noqa: F811
    git(repo.data, "init", "-q")
    git(repo.data, "add", "-A")
    git(repo.data, "commit", "-q", "-m", "data")
    tree = committed_tree(repo.data)
    assert (tree.prefix, tree.where) == ("", f"{tree.commit[:12]}:.")
    result = publish(tree, PublishOptions())
    copy = tmp_path / "copy"  # (on disk, .git would be stray files)
    shutil.copytree(repo.data, copy, ignore=shutil.ignore_patterns(".git"))
    assert result.manifest_bytes == publish(
        copy, PublishOptions(source_commit=tree.commit)).manifest_bytes
    previous = read_previous(result.manifest_bytes)
    (path,) = repo.data.rglob("alpha-1.0-*.toml")
    path.write_text(path.read_text().replace("'>=3.8'", "'>=3.9'"))
    (repo.data / "stray.txt").write_text("x")
    git(repo.data, "add", "-A")
    git(repo.data, "commit", "-q", "-m", "change")
    tree = committed_tree(repo.data)
    assert tree.changed_since(previous.source_commit or "") == {
        path.relative_to(repo.data).parts, ("stray.txt",)}
    with pytest.raises(PublishError) as caught:
        publish(tree, PublishOptions(previous=previous))
    assert str(caught.value).startswith(f"{tree.commit[:12]}:./stray.txt: IW201 stray file")

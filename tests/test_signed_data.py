"""Maintainer-signed data: ``ipwhl release`` refuses, and ``ipwhl verify`` fails, when a
commit that changed the data tree since the previous release is not signed by an allowed
key.  Real git, real SSH keys made by ssh-keygen, real commits."""

# ruff: noqa: F811 (pytest fixtures imported from the release tests)
from __future__ import annotations

from pathlib import Path

import pytest

from ipwhl_checks.release.signed import range_start, unsigned_commits

from .test_publish import Repo, repo  # noqa: F401 (the fixture)
from .test_release import git, keygen, release, run, signed  # noqa: F401 (fixtures)


def _commit(repo: Repo, message: str, *options: str) -> str:
    git(repo.root, "add", "-A")
    git(repo.root, *options, "commit", "-q", "-m", message)
    return git(repo.root, "rev-parse", "HEAD").strip()


def test_signed_commits_release_and_verify(signed: Repo,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    release(capsys, "ipwhl-1")
    signed.add("epsilon", "1.0")
    _commit(signed, "epsilon")  # signed: commit.gpgSign is on, the maintainer's key
    release(capsys, "ipwhl-2")
    code, _out, err = run(capsys, "verify", "ipwhl-2")
    assert code == 0, err


@pytest.mark.parametrize(("options", "reason"), [
    (("-c", "commit.gpgSign=false"), "not signed"),
    (("-c", "user.signingkey={stranger}"),
     "signed by a key that is not an allowed signer (SHA256:"),
], ids=["unsigned", "stranger"])
def test_release_refuses_a_data_commit_not_signed_by_an_allowed_key(
        signed: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        options: tuple[str, ...], reason: str) -> None:
    release(capsys, "ipwhl-1")
    signed.add("epsilon", "1.0")
    options = tuple(o.format(stranger=tmp_path / "stranger") for o in options)
    bad = _commit(signed, "epsilon", *options)
    (signed.root / "NOTES").write_text("tooling only: not in the data tree\n")
    _commit(signed, "notes", "-c", "commit.gpgSign=false")  # not checked: no data change
    code, _out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-2")
    assert code == 1
    assert err.startswith("ipwhl release: this release: 1 commit changing data/ since the "
                          "previous release is not signed by a key in .ipwhl/allowed_signers")
    assert f"commit {bad[:12]} ('epsilon') {reason}" in err
    assert len(err.splitlines()) == 1
    assert git(signed.root, "tag", "--list").split() == ["ipwhl-1"]  # no tag made


def test_verify_checks_the_tagged_range(signed: Repo, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A contributor's commit the release accepted (its key was allowed then) fails verify
    against allowed signers that only name the maintainer."""
    release(capsys, "ipwhl-1")
    contributor = keygen(tmp_path / "contributor", "contributor@ipwhl.test")
    allowed = signed.root / ".ipwhl" / "allowed_signers"
    maintainer_only = tmp_path / "maintainer_only"
    maintainer_only.write_text(allowed.read_text())
    allowed.write_text(allowed.read_text() + f'contributor@ipwhl.test namespaces="git" '
                       f'{contributor.with_suffix(".pub").read_text()}')
    _commit(signed, "a second maintainer")
    signed.add("epsilon", "1.0")
    bad = _commit(signed, "epsilon", "-c", f"user.signingkey={contributor}")
    release(capsys, "ipwhl-2")
    code, _out, err = run(capsys, "verify", "ipwhl-2", "--allowed-signers", str(maintainer_only))
    assert code == 1
    assert f"commit {bad[:12]} ('epsilon') signed by a key that is not an allowed signer" in err
    assert err.startswith("ipwhl verify: tag 'ipwhl-2': 1 commit changing data/")


def test_the_range_starts_at_the_previous_release_or_the_first_key(
        signed: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    head = git(signed.root, "rev-parse", "HEAD").strip()
    # before any release: the commit that first named a key (here the repository's first
    # commit, so the range is all of history)
    assert range_start(signed.root, head) is None
    assert unsigned_commits(signed.root, None, head, "data") == []
    release(capsys, "ipwhl-1")
    signed.add("epsilon", "1.0")
    new = _commit(signed, "epsilon", "-c", "commit.gpgSign=false")
    assert range_start(signed.root, new) == head
    [found] = unsigned_commits(signed.root, head, new, "data")
    assert (found.commit, found.subject, found.reason) == (new, "epsilon", "not signed")


def test_history_before_the_first_key_is_not_checked(repo: Repo, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A repository's history from before its signing policy (unsigned data commits, an
    allowed-signers file with comments only) is not checked; what follows the first key is."""
    root = repo.root
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(root, "init", "-q")
    for name, value in [("user.name", "M"), ("user.email", "m@ipwhl.test"),
                        ("gpg.format", "ssh")]:
        git(root, "config", name, value)
    (root / ".ipwhl").mkdir()
    (root / ".ipwhl" / "allowed_signers").write_text("# no key yet\n")
    old = _commit(repo, "data, unsigned, before the policy")
    key = keygen(tmp_path / "maintainer", "m@ipwhl.test")
    (root / ".ipwhl" / "allowed_signers").write_text(
        f'm@ipwhl.test namespaces="git" {key.with_suffix(".pub").read_text()}')
    first = _commit(repo, "the first key", "-c", f"user.signingkey={key}", "-c",
                    "commit.gpgSign=true")
    assert range_start(root, first) == old
    repo.add("epsilon", "1.0")
    new = _commit(repo, "epsilon")
    assert [u.commit for u in unsigned_commits(root, range_start(root, new), new, "data")] \
        == [new]

"""OpenPGP-signed releases: ``ipwhl verify`` trusts the keys in ``.ipwhl/allowed_signers.asc``
and nothing else, with real gpg keys (``gpg --quick-gen-key``) and real signed git tags.

The signer's GnuPG home is also the test's ``GNUPGHOME``, standing for the verifier's own
keyring: every key in it (the stranger's too) is one gpg itself would accept, so each
failure below shows that verification ignores that keyring.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ipwhl_checks.release.tag import format_tag_message, read_release
from ipwhl_checks.release.verify import signature_kind

from .test_publish import Repo, repo  # noqa: F401 (the fixture)
from .test_release import release, run

GPG = shutil.which("gpg")
pytestmark = pytest.mark.skipif(GPG is None, reason="needs gpg")
ASC = Path(".ipwhl/allowed_signers.asc")
WRONG_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"


@dataclass(frozen=True)
class Keys:
    home: Path  # the signer's GnuPG home, holding every secret key below
    maintainer: str  # fingerprints
    stranger: str  # not in the allowed keys
    expired: str  # in the allowed keys, expired since the end of 2020
    revoked: str  # in the allowed keys with its revocation; unrevoked in the signer's home
    allowed: str  # ASCII-armored: expired, maintainer, revoked (revoked)
    old_gpg: Path  # gpg.program that signs as on 2020-06-01, while the expired key was valid


def gpg(home: Path, *args: str, stdin: str | None = None) -> str:
    assert GPG is not None
    return subprocess.run([GPG, "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                           *args], check=True, capture_output=True, text=True, input=stdin,
                          env={**os.environ, "GNUPGHOME": str(home)}).stdout


def new_key(home: Path, uid: str, *extra: str, expire: str = "never") -> str:
    gpg(home, *extra, "--quick-gen-key", uid, "ed25519", "sign", expire)
    colons = gpg(home, "--with-colons", "--list-keys", uid)
    return next(line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr:"))


@pytest.fixture(scope="module")
def keys() -> Iterator[Keys]:
    # gpg-agent's socket lives in the home: keep its path short (mkdtemp, not tmp_path).
    home = Path(tempfile.mkdtemp(prefix="ipwhl-test-gpg-"))
    scratch = Path(tempfile.mkdtemp(prefix="ipwhl-test-gpg-"))
    try:
        maintainer = new_key(home, "Maintainer <maintainer@ipwhl.test>")
        stranger = new_key(home, "Stranger <stranger@ipwhl.test>")
        expired = new_key(home, "Old <old@ipwhl.test>", "--faked-system-time",
                          "20200101T000000", expire="1y")
        revoked = new_key(home, "Revoked <revoked@ipwhl.test>")
        # The revoked key as the repository would publish it: with its revocation
        # certificate (which gpg made with the key; its armor line is escaped with ':').
        gpg(scratch, "--import", stdin=gpg(home, "--armor", "--export", revoked))
        cert = (home / "openpgp-revocs.d" / f"{revoked}.rev").read_text()
        gpg(scratch, "--import", stdin=cert.replace(":-----BEGIN", "-----BEGIN"))
        allowed = (gpg(home, "--armor", "--export", expired)
                   + gpg(home, "--armor", "--export", maintainer)
                   + gpg(scratch, "--armor", "--export", revoked))
        old_gpg = home / "old-gpg"
        old_gpg.write_text(f'#!/bin/sh\nexec {GPG} --faked-system-time 20200601T000000 "$@"\n')
        old_gpg.chmod(0o755)
        yield Keys(home, maintainer, stranger, expired, revoked, allowed, old_gpg)
    finally:
        for path in (home, scratch):  # stop the gpg-agents these homes started
            subprocess.run(["gpgconf", "--kill", "all"], capture_output=True,
                           env={**os.environ, "GNUPGHOME": str(path)})
            shutil.rmtree(path, ignore_errors=True)


def git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True, input=stdin).stdout


@pytest.fixture
def signed(repo: Repo, keys: Keys, tmp_path: Path,  # noqa: F811
           monkeypatch: pytest.MonkeyPatch) -> Repo:
    """The repository in git, OpenPGP tag signing configured, .ipwhl/allowed_signers.asc."""
    config = tmp_path / "gitconfig"
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GNUPGHOME", str(keys.home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # ~/.gnupg must stay untouched
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    for name, value in [("user.name", "Maintainer"), ("user.email", "maintainer@ipwhl.test"),
                        ("init.defaultBranch", "main"), ("gpg.format", "openpgp"),
                        ("user.signingkey", keys.maintainer), ("tag.gpgSign", "true"),
                        ("commit.gpgSign", "true")]:
        subprocess.run(["git", "config", "--file", str(config), name, value], check=True)
    root = repo.root
    git(root, "init", "-q")
    (root / ".ipwhl").mkdir()
    (root / ASC).write_text(keys.allowed)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "data")
    monkeypatch.chdir(root)
    return repo


def test_openpgp_release_tag_verifies(signed: Repo, keys: Keys, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, published, err = run(capsys, "publish", "--root", "data")
    assert code == 0, err
    root_cid = release(capsys, "ipwhl-20260101.000000")
    assert root_cid == published[-1]
    assert "\n-----BEGIN PGP SIGNATURE-----\n" in git(Path("."), "cat-file", "tag",
                                                     "ipwhl-20260101.000000")
    assert signature_kind(Path("."), "ipwhl-20260101.000000") == "openpgp"
    # gpg itself, with the signer's keyring, accepts the signature git made
    status = subprocess.run(["git", "verify-tag", "--raw", "ipwhl-20260101.000000"],
                            capture_output=True, text=True)
    assert status.returncode == 0 and f"VALIDSIG {keys.maintainer} " in status.stderr

    code, out, err = run(capsys, "verify", "ipwhl-20260101.000000")
    assert code == 0, err
    assert out[0] == ("signature: Good OpenPGP signature for Maintainer "
                      f"<maintainer@ipwhl.test> with key {keys.maintainer}")
    assert out[-1] == root_cid
    assert not (tmp_path / "home" / ".gnupg").exists()
    assert list((tmp_path / "tmp").glob("ipwhl-gnupg-*")) == []  # the keyring is removed

    # `ipwhl use` from a clone takes the keys from its default branch (trust on first use)
    code, out, err = run(capsys, "use", "--repo", Path(".").resolve().as_uri(), "--dry-run",
                         "--gateway", "http://127.0.0.1:9")
    assert code == 0, err
    assert out[1] == (f"signature: Good OpenPGP signature for Maintainer "
                      f"<maintainer@ipwhl.test> with key {keys.maintainer} (allowed signers: "
                      f"{ASC} of the cloned default branch (trust on first use))")
    assert out[2] == f"index-url: http://127.0.0.1:9/ipfs/{root_cid}/"


def _sign(keys: Keys, tag: str, key: str, message: str, *config: str) -> str:
    git(Path("."), "-c", f"user.signingkey={key}", *config, "tag", "-s", "-a", "-m", message,
        tag)
    return tag


def _tamper(keys: Keys, tag: str) -> str:
    """Change the root CID in the signed tag object, keeping its signature."""
    raw = git(Path("."), "cat-file", "tag", tag)
    right = read_release(Path("."), tag).root_cid
    sha = git(Path("."), "mktag", stdin=raw.replace(right, WRONG_CID)).strip()
    git(Path("."), "update-ref", f"refs/tags/{tag}", sha)
    return tag


# (case, make the tag to verify from the good release 'ipwhl-good', the error after
# "ipwhl verify: tag '<tag>' "); {asc} is the allowed keys' path.
Make = Callable[[Keys, str], str]
CASES: list[tuple[str, Make, str]] = [
    ("stranger", lambda k, m: _sign(k, "ipwhl-stranger", k.stranger, m),
     "is signed by a key that is not an allowed signer (OpenPGP key {stranger} is not in "
     "{asc})"),
    ("tampered", lambda k, m: _tamper(k, "ipwhl-good"),
     "has a bad signature (the tag was changed after it was signed): OpenPGP key "
     "{maintainer16} (Maintainer <maintainer@ipwhl.test>) in {asc}"),
    ("expired", lambda k, m: _sign(k, "ipwhl-expired", k.expired, m,
                                   "-c", f"gpg.program={k.old_gpg}"),
     "is signed by an expired key: OpenPGP key {expired} (Old <old@ipwhl.test>) in {asc}"),
    # Unrevoked in the signer's (the user's) keyring: only the file's copy says revoked.
    ("revoked", lambda k, m: _sign(k, "ipwhl-revoked", k.revoked, m),
     "is signed by a revoked key: OpenPGP key {revoked} (Revoked <revoked@ipwhl.test>) in "
     "{asc}"),
]


@pytest.mark.parametrize(("make", "error"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_untrusted_openpgp_tag_fails(signed: Repo, keys: Keys, make: Make, error: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    release(capsys, "ipwhl-good")
    tag = make(keys, format_tag_message(read_release(Path("."), "ipwhl-good")))
    code, out, err = run(capsys, "verify", tag)
    assert (code, out) == (1, [])
    expected = error.format(asc=ASC.resolve(), maintainer16=keys.maintainer[-16:],
                            stranger=keys.stranger, expired=keys.expired,
                            revoked=keys.revoked)
    assert err == f"ipwhl verify: tag {tag!r} {expected}\n"


def test_tampered_tag_also_names_a_cid_its_tree_does_not_give(
        signed: Repo, keys: Keys, capsys: pytest.CaptureFixture[str]) -> None:
    """The tampered tag is stopped by its signature, before its CID is even compared."""
    release(capsys, "ipwhl-good")
    _tamper(keys, "ipwhl-good")
    assert read_release(Path("."), "ipwhl-good").root_cid == WRONG_CID
    code, _out, err = run(capsys, "verify", "ipwhl-good")
    assert code == 1 and "has a bad signature" in err and "names root CID" not in err


@pytest.mark.parametrize(("content", "error"), [
    (None, "is signed with OpenPGP but there is no {asc} (it holds the ASCII-armored public "
           "keys allowed to sign releases)"),
    ("not a key\n", ": {asc} holds no OpenPGP public key (expected ASCII-armored keys, as "
                    "'gpg --armor --export KEYID' writes)"),
], ids=["missing", "no-key"])
def test_bad_allowed_keys_file(signed: Repo, content: str | None, error: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    release(capsys, "ipwhl-good")
    if content is None:
        ASC.unlink()
    else:
        ASC.write_text(content)
    code, _out, err = run(capsys, "verify", "ipwhl-good")
    assert code == 1
    sep = "" if error.startswith(":") else " "
    assert err == f"ipwhl verify: tag 'ipwhl-good'{sep}{error.format(asc=ASC.resolve())}\n"


def test_allowed_signers_option_takes_either_format(
        signed: Repo, keys: Keys, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    release(capsys, "ipwhl-good")
    only_stranger = tmp_path / "stranger.asc"
    only_stranger.write_text(gpg(keys.home, "--armor", "--export", keys.stranger))
    code, _out, err = run(capsys, "verify", "ipwhl-good", "--allowed-signers",
                          str(only_stranger))
    assert code == 1
    assert err == ("ipwhl verify: tag 'ipwhl-good' is signed by a key that is not an allowed "
                   f"signer (OpenPGP key {keys.maintainer} is not in {only_stranger})\n")
    ssh = tmp_path / "allowed_signers"
    ssh.write_text('maintainer@ipwhl.test namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5'
                   'AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n')
    code, _out, err = run(capsys, "verify", "ipwhl-good", "--allowed-signers", str(ssh))
    assert code == 1
    assert err == (f"ipwhl verify: tag 'ipwhl-good' is signed with OpenPGP but {ssh} holds "
                   "SSH allowed signers, not ASCII-armored OpenPGP keys\n")
    mine = tmp_path / "mine.asc"
    mine.write_text(gpg(keys.home, "--armor", "--export", keys.maintainer))
    code, out, err = run(capsys, "verify", "ipwhl-good", "--allowed-signers", str(mine))
    assert code == 0, err
    assert out[0].startswith("signature: Good OpenPGP signature for Maintainer")

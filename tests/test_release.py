"""``ipwhl release`` and ``ipwhl verify`` with real git and SSH keys made by ssh-keygen."""

from __future__ import annotations

import http.server
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ipwhl_checks.cli import main
from ipwhl_checks.errors import IpwhlError, ReleaseError, VerifyError
from ipwhl_checks.ipld.car import read_car
from ipwhl_checks.publish.browse import page_path
from ipwhl_checks.release.last import last_release
from ipwhl_checks.release.tag import (
    ReleaseInfo,
    format_tag_message,
    parse_tag_message,
    read_release,
    release_tags,
)
from ipwhl_checks.util.git import git_reason

from .conftest import made_by_a_plain_open, running, umask, without_summary
from .gatewayutil import gateway, get
from .test_publish import Repo, repo  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(
    subprocess.run(["ssh-keygen", "-?"], capture_output=True).returncode == 127,
    reason="needs ssh-keygen")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout


def keygen(path: Path, comment: str) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f",
                    str(path)], check=True)
    return path


@pytest.fixture
def signed(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:  # noqa: F811
    """The repository in git, SSH signing configured, its key the only allowed signer."""
    config = tmp_path / "gitconfig"
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    key = keygen(tmp_path / "maintainer", "maintainer@ipwhl.test")
    keygen(tmp_path / "stranger", "stranger@ipwhl.test")
    for name, value in [("user.name", "Maintainer"), ("user.email", "maintainer@ipwhl.test"),
                        ("init.defaultBranch", "main"), ("gpg.format", "ssh"),
                        ("user.signingkey", str(key)), ("commit.gpgSign", "true")]:
        subprocess.run(["git", "config", "--file", str(config), name, value], check=True)
    root = repo.root
    git(root, "init", "-q")
    (root / ".ipwhl").mkdir()
    public = (tmp_path / "maintainer.pub").read_text()
    (root / ".ipwhl" / "allowed_signers").write_text(
        f'maintainer@ipwhl.test namespaces="git" {public}')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "data")
    monkeypatch.chdir(root)
    return repo


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def release(capsys: pytest.CaptureFixture[str], tag: str) -> str:
    code, out, err = run(capsys, "release", "--root", "data", "--tag", tag)
    assert code == 0, err
    assert out[-2] == f"tag: {tag}"
    return out[-1]


def test_release_tag_verifies(signed: Repo, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    code, published, err = run(capsys, "publish", "--root", "data")
    assert code == 0, err
    root_cid = release(capsys, "ipwhl-20260101.000000")
    assert root_cid == published[-1]
    # git itself accepts the signature against the repository's allowed signers
    done = subprocess.run(["git", "-c", "gpg.ssh.allowedSignersFile=.ipwhl/allowed_signers",
                           "verify-tag", "ipwhl-20260101.000000"], capture_output=True, text=True)
    assert done.returncode == 0
    assert 'Good "git" signature for maintainer@ipwhl.test' in done.stderr
    info = read_release(Path("."), "ipwhl-20260101.000000")
    assert (info.root_cid, info.projects, info.wheels) == (root_cid, 4, 5)
    assert info.source_commit == git(Path("."), "rev-parse", "HEAD").strip()
    assert release_tags(Path(".")) == ["ipwhl-20260101.000000"]

    code, out, err = run(capsys, "verify", "ipwhl-20260101.000000")
    assert code == 0, err
    assert out[0].startswith('signature: Good "git" signature for maintainer@ipwhl.test')
    assert out[-1] == root_cid


@pytest.mark.parametrize("mask", [0o027, 0o002], ids=["027", "002"])
def test_release_outputs_get_the_permissions_of_the_umask(
        signed: Repo, mask: int, capsys: pytest.CaptureFixture[str]) -> None:
    """The tree and CAR a release writes (publish's options), the directories made for them
    and the wheel cache it filled: what a plain ``open`` (``mkdir``) gives under the umask."""
    with umask(mask):
        code, out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-1",
                             "--out", "new/site", "--car", "other/x.car")
    assert code == 0, err
    assert out[-2:-1] == ["tag: ipwhl-1"]
    assert Path("new/site/manifest.json").is_file() and Path("other/x.car").is_file()
    cache = signed.root.parent / "cache"
    assert any(cache.rglob("*.whl"))
    assert made_by_a_plain_open(Path("new"), Path("other"), cache, mask=mask) == {}


def _tag(tag: str, message: str, key: Path) -> None:
    git(Path("."), "-c", f"user.signingkey={key}", "tag", "-s", "-a", "-m", message, tag)


def test_tag_by_a_key_not_allowed_fails(signed: Repo, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    release(capsys, "ipwhl-good")
    message = format_tag_message(read_release(Path("."), "ipwhl-good"))
    _tag("ipwhl-forged", message, tmp_path / "stranger")
    code, out, err = run(capsys, "verify", "ipwhl-forged")
    assert code == 1 and out == []
    assert err.startswith("ipwhl verify: tag 'ipwhl-forged' is signed by a key that is not an "
                          "allowed signer (SHA256:")
    assert err.endswith(f"is not in {Path('.ipwhl/allowed_signers').resolve()})\n")


def test_tag_whose_cid_does_not_match_its_tree_fails(signed: Repo, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    right = release(capsys, "ipwhl-good")
    info = read_release(Path("."), "ipwhl-good")
    wrong = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
    forged = ReleaseInfo(**{**info.__dict__, "root_cid": wrong})
    _tag("ipwhl-wrong-cid", format_tag_message(forged), tmp_path / "maintainer")
    code, out, err = run(capsys, "verify", "ipwhl-wrong-cid")
    assert code == 1 and out == []
    assert err == (f"ipwhl verify: tag 'ipwhl-wrong-cid' names root CID {wrong} but its tree "
                   f"gives {right}\n")


def test_openpgp_keys_for_an_ssh_tag_fail(signed: Repo, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """--allowed-signers takes either format; it must be the one the tag is signed with."""
    release(capsys, "ipwhl-good")
    keys = tmp_path / "keys.asc"
    keys.write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n")
    code, out, err = run(capsys, "verify", "ipwhl-good", "--allowed-signers", str(keys))
    assert (code, out) == (1, [])
    assert err == (f"ipwhl verify: tag 'ipwhl-good' is signed with SSH but {keys} holds "
                   "OpenPGP keys, not SSH allowed signers\n")


def test_unsigned_tag_fails(signed: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    release(capsys, "ipwhl-good")
    message = format_tag_message(read_release(Path("."), "ipwhl-good"))
    git(Path("."), "tag", "-a", "-m", message, "ipwhl-unsigned")
    code, _out, err = run(capsys, "verify", "ipwhl-unsigned")
    assert code == 1
    assert err.startswith("ipwhl verify: tag 'ipwhl-unsigned': the signature is not trusted: ")
    assert "no signature found" in err


def test_release_refuses_an_existing_tag(
        signed: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    release(capsys, "ipwhl-good")
    code, _out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-good")
    assert (code, err) == (1, "ipwhl release: tag 'ipwhl-good' already exists\n")
    # (an uncommitted change is not published: tests/test_committed.py)


def test_release_without_its_signing_key_leaves_no_tag(
        signed: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # git 2.39 keeps an unsigned tag and exits 0 here; newer ones fail: either way, no tag
    missing = tmp_path / "moved-away"
    git(signed.root, "config", "user.signingkey", str(missing))
    code, _out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-nokey")
    err = without_summary(err)
    assert code == 1
    assert err.startswith("ipwhl release: signing tag 'ipwhl-nokey' (git tag -s) ")
    assert str(missing) in err and len(err.splitlines()) == 1
    assert git(signed.root, "tag", "--list") == ""


GOOD = """IPWHL release bafyroot

format: ipwhl-release/1
root-cid: bafyroot
manifest-cid: bafkmanifest
profile: unixfs-v1-2025
projects: 2
wheels: 3
bytes: 456
source-commit: 0123456789abcdef0123456789abcdef01234567
-----BEGIN SSH SIGNATURE-----
root-cid: bafyignored
-----END SSH SIGNATURE-----
"""


@pytest.mark.parametrize(("text", "error"), [
    (GOOD.replace("format: ipwhl-release/1\n", ""), "is not an IPWHL release"),
    (GOOD.replace("format: ipwhl-release/1", "format: ipwhl-release/2"), "is not an IPWHL"),
    (GOOD.replace("manifest-cid: bafkmanifest\n", ""), "lacks the 'manifest-cid' field"),
    (GOOD.replace("wheels: 3", "wheels: three"), "a count is not a number"),
    (GOOD.replace("-----BEGIN", "changes-since: HEAD~1\n-----BEGIN"),
     "changes-since 'HEAD~1' is not a commit's object name"),
])
def test_bad_tag_messages(text: str, error: str) -> None:
    with pytest.raises(ReleaseError, match=error):
        parse_tag_message(text, "t")


def test_tag_message_round_trip() -> None:
    info = parse_tag_message(GOOD, "t")
    assert info == ReleaseInfo("bafyroot", "bafkmanifest", "unixfs-v1-2025", 2, 3, 456,
                               "0123456789abcdef0123456789abcdef01234567", "t")
    assert format_tag_message(info) == GOOD.split("-----BEGIN")[0]
    since = GOOD.replace("-----BEGIN", f"changes-since: {'ab' * 20}\n-----BEGIN")
    info = parse_tag_message(since, "t")
    assert info.changes_since == "ab" * 20
    assert format_tag_message(info) == since.split("-----BEGIN")[0]
    site = since.replace("-----BEGIN", "site: bafysite 1234\n-----BEGIN")
    info = parse_tag_message(site, "t")
    assert (info.changes_since, info.site) == ("ab" * 20, ("bafysite", 1234))
    assert format_tag_message(info) == site.split("-----BEGIN")[0]


@contextmanager
def lying_gateway(car: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that answers every GET with *car*'s bytes."""
    body = car.read_bytes()

    class Liar(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.ipld.car")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with running(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Liar)) as port:
        yield f"http://127.0.0.1:{port}"


def test_previous_from_a_gateway_checks_what_it_fetches(
        signed: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``release --previous-from``: the newest tag's manifest, fetched through a real gateway
    serving the release's CAR; a gateway serving another tree, or a forged tag, fail."""
    assert last_release(Path("."), "http://127.0.0.1:9") is None  # no release yet: full
    code, out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-1",
                         "--car", str(tmp_path / "one.car"))
    assert code == 0, err
    other = tmp_path / "other"
    (other / "x").mkdir(parents=True)
    (other / "x" / "manifest.json").write_text("{}")
    assert main(["car", str(other / "x"), "-o", str(tmp_path / "other.car")]) == 0
    capsys.readouterr()
    with gateway(tmp_path / "one.car") as (host, _log):
        found = last_release(Path("."), f"http://{host}")
        assert found is not None and found[0].tag == "ipwhl-1"
        assert list(found[1].projects) == ["alpha", "beta", "delta", "gamma-pkg"]
        # the next release: one project more, published on top of the first
        signed.add("epsilon", "1.0")
        git(Path("."), "add", "-A")
        git(Path("."), "commit", "-q", "-m", "epsilon")
        code, out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-2",
                             "--previous-from", f"http://{host}", "--car",
                             str(tmp_path / "two.car"))
        assert code == 0, err
        assert out[0] == f"previous release: ipwhl-1 {found[0].root_cid}"
        assert "projects: 5 (reused: 4)" in out[1]
    with gateway(tmp_path / "other.car") as (host, _log), \
            pytest.raises(IpwhlError, match=r"HTTP 404 \(404 Not Found: block"):  # not here
        last_release(Path("."), f"http://{host}")
    with lying_gateway(tmp_path / "other.car") as url, \
            pytest.raises(IpwhlError, match="the gateway's CAR lacks the root block"):
        last_release(Path("."), url)  # answers every request with another tree's CAR
    message = format_tag_message(read_release(Path("."), "ipwhl-2"))
    time.sleep(1.05)  # git sorts tags by creation date in whole seconds: be the newest
    _tag("ipwhl-3", message, tmp_path / "stranger")  # the newest tag, forged
    with pytest.raises(VerifyError, match="not an allowed signer"):
        last_release(Path("."), "http://127.0.0.1:9")


def test_a_release_on_top_of_another_has_a_changes_page_verify_reproduces(
        signed: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``release --previous-from``: the previous site's state comes through the gateway too
    (its pages are reused), the tree gains a changes page against the previous release's
    commit, the tag names that commit, and ``verify`` publishes with it to the same CID."""
    code, _out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-1",
                          "--car", str(tmp_path / "one.car"))
    assert code == 0, err
    signed.add("epsilon", "1.0")
    git(Path("."), "add", "-A")
    git(Path("."), "commit", "-q", "-m", "epsilon")
    with gateway(tmp_path / "one.car") as (host, log):
        code, out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-2",
                             "--previous-from", f"http://{host}", "--car",
                             str(tmp_path / "two.car"))
        assert code == 0, err
        assert "/_browse/site.json?format=car" in log.getvalue()
    first, second = read_release(Path("."), "ipwhl-1"), read_release(Path("."), "ipwhl-2")
    assert second.changes_since == first.source_commit != second.source_commit
    code, out, err = run(capsys, "verify", "ipwhl-2")
    assert code == 0, err
    assert out[-1] == second.root_cid
    with gateway(tmp_path / "one.car", tmp_path / "two.car") as (host, _log):
        status, _headers, body = get(host, f"/ipfs/{second.root_cid}/_browse/changes.html")
        assert status == 200 and b'data-change="added"><td><a href=' in body
        assert b"epsilon" in body and b"1 added" in body
        # alpha's page is the first release's (linked, not in the delta CAR)
        page = f"/_browse/{page_path('alpha')}"
        assert get(host, f"/ipfs/{second.root_cid}{page}")[2] == \
            get(host, f"/ipfs/{first.root_cid}{page}")[2]
    with (tmp_path / "two.car").open("rb") as f:
        delta = {str(cid) for cid, _data, _offset in read_car(f)}
    with (tmp_path / "one.car").open("rb") as f:
        assert delta.isdisjoint(str(cid) for cid, _data, _offset in read_car(f))


@pytest.mark.parametrize(("output", "reason"), [
    ("fatal: repository '/nowhere' does not exist\n",
     "fatal: repository '/nowhere' does not exist"),
    ("fatal: '/x' does not appear to be a git repository\nfatal: Could not read from remote "
     "repository.\n\nPlease make sure you have the correct access rights\nand the repository "
     "exists.\n", "fatal: '/x' does not appear to be a git repository"),
    ("error: gpg failed to sign the data\nerror: unable to sign the tag\n",
     "error: gpg failed to sign the data"),
    ("hint: something\nno prefix here\n", "no prefix here"),
    ("", ""),
])
def test_git_reason_is_the_line_that_says_what_failed(output: str, reason: str) -> None:
    assert git_reason(output) == reason

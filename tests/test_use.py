"""``ipwhl use``: the newest signed release, verified, becomes pip's site index-url.

Real git with SSH signing (keys from ssh-keygen in a temp dir), a real ``ipwhl release``,
``ipwhl serve`` for the gateway, and pip reading the configuration ``use`` wrote.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ipwhl_checks.release.tag import ReleaseInfo, format_tag_message

from .conftest import made_by_a_plain_open, umask
from .gatewayutil import INSTALLED, build_repo, publish, run_main, serve_process
from .test_install_e2e import clean_env, installed

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    subprocess.run(["ssh-keygen", "-?"], capture_output=True).returncode == 127,
    reason="needs ssh-keygen")]

TAG = "ipwhl-20261128.120000"
OLD_TAG = "ipwhl-20200101.000000"
OLD_CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f",
                    str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def release(tmp_path_factory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("use")
    data, _wheels = build_repo(base)
    config = base / "gitconfig"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}
    key, stranger = keygen(base / "maintainer"), keygen(base / "stranger")
    for name, value in [("user.name", "Maintainer"), ("user.email", "maintainer@ipwhl.test"),
                        ("init.defaultBranch", "main"), ("gpg.format", "ssh"),
                        ("user.signingkey", str(key)), ("commit.gpgSign", "true")]:
        subprocess.run(["git", "config", "--file", str(config), name, value], check=True)

    def git(*args: str, **extra: str) -> None:
        subprocess.run(["git", "-C", str(base), *args], check=True, capture_output=True,
                       env={**env, **extra})

    git("init", "-q")
    (base / ".ipwhl").mkdir()
    (base / ".ipwhl" / "allowed_signers").write_text(
        f'maintainer namespaces="git" {(base / "maintainer.pub").read_text()}')
    git("add", "data", ".ipwhl")
    git("commit", "-q", "-m", "data")
    head = subprocess.run(["git", "-C", str(base), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    # An older release, signed too: `use` must pick the newest one.
    old = ReleaseInfo(OLD_CID, OLD_CID, "unixfs-v1-2025", 1, 1, 1, head)
    git("tag", "-s", "-m", format_tag_message(old), OLD_TAG, head,
        GIT_COMMITTER_DATE="2020-01-01T00:00:00Z")
    done = subprocess.run([sys.executable, "-m", "ipwhl_checks", "release", "--root", "data",
                           "--tag", TAG, "--allow-file"], cwd=base, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    root = done.stdout.strip().splitlines()[-1]
    car = base / "release.car"
    assert publish(data, car) == root  # the same commit publishes to the same CID
    with serve_process(car) as (_proc, host, _log):
        yield {"base": base, "root": root, "env": env, "gateway": f"http://{host}",
               "stranger": stranger}


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """A fresh environment whose pip ``use`` configures (pip from the base interpreter)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True)
    python = venv / "bin" / "python"
    if subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True).returncode:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    return python


def use(release, python: Path, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return run_main("use", "--gateway", release["gateway"], "--python", str(python), *args,
                    env={k: release["env"][k] for k in ("GIT_CONFIG_GLOBAL",
                                                        "GIT_CONFIG_NOSYSTEM")})


def site_index_url(python: Path) -> str | None:
    conf = configparser.ConfigParser()
    conf.read(python.parent.parent / "pip.conf")
    return conf.get("global", "index-url", fallback=None)


def test_use_sets_the_verified_release_and_pip_installs_from_it(  # type: ignore[no-untyped-def]
        release, target, tmp_path) -> None:
    url = f"{release['gateway']}/ipfs/{release['root']}/"
    done = use(release, target, "--repo", str(release["base"]))
    assert done.returncode == 0, done.stderr
    assert f"release {TAG}: {release['root']}" in done.stdout
    assert 'Good "git" signature' in done.stdout
    assert f"undo: {target} -m pip config --site unset global.index-url" in done.stdout
    assert site_index_url(target) == url
    # pip itself now installs from the release, with no --index-url given.  (The
    # machine's global configuration is still read; these keep its extra sources out.)
    env = clean_env(tmp_path, PIP_EXTRA_INDEX_URL="", PIP_FIND_LINKS="", PIP_NO_CACHE_DIR="1")
    installing = subprocess.run([str(target), "-m", "pip", "install", "--no-cache-dir",
                                 "--disable-pip-version-check", "app"], capture_output=True,
                                text=True, timeout=300, env=env)
    assert installing.returncode == 0, installing.stderr
    assert url in installing.stdout
    got = {k.lower(): v for k, v in installed(target).items()}
    assert {k: got.get(k) for k in INSTALLED} == INSTALLED
    # Running it again names the previous value in the undo line.
    again = use(release, target, "--repo", str(release["base"]))
    assert f"undo: {target} -m pip config --site set global.index-url {url}" in again.stdout


@pytest.mark.parametrize("mask", [0o027, 0o002], ids=["027", "002"])
def test_pip_configuration_gets_the_permissions_of_the_umask(  # type: ignore[no-untyped-def]
        release, target, mask) -> None:
    """pip writes its site configuration (``pip config --site``) under ipwhl's umask: a
    plain ``open``'s permissions, as every file the tool creates."""
    conf = target.parent.parent / "pip.conf"
    assert not conf.exists()
    with umask(mask):
        done = use(release, target, "--repo", str(release["base"]))
    assert done.returncode == 0, done.stderr
    assert site_index_url(target) == f"{release['gateway']}/ipfs/{release['root']}/"
    assert made_by_a_plain_open(conf, mask=mask) == {}


@pytest.fixture
def untouched(tmp_path: Path) -> Path:
    """An interpreter path for runs that must not configure anything (it does not exist,
    so running its pip would fail the test)."""
    return tmp_path / "never" / "bin" / "python"


def test_dry_run_changes_nothing(release, untouched) -> None:  # type: ignore[no-untyped-def]
    target = untouched
    done = use(release, target, "--repo", str(release["base"]), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would run:" in done.stdout and release["root"] in done.stdout
    assert site_index_url(target) is None


def test_use_from_a_git_url(release, untouched) -> None:  # type: ignore[no-untyped-def]
    target = untouched
    done = use(release, target, "--repo", release["base"].as_uri(), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert f"release {TAG}: {release['root']}" in done.stdout
    assert "trust on first use" in done.stdout


def test_untrusted_signature_changes_nothing(release, untouched, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = untouched
    signers = tmp_path / "allowed_signers"
    public = Path(f"{release['stranger']}.pub").read_text()
    signers.write_text(f'stranger namespaces="git" {public}')
    done = use(release, target, "--repo", str(release["base"]),
               "--allowed-signers", str(signers))
    assert done.returncode == 1
    assert "not an allowed signer" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert site_index_url(target) is None


def test_no_release_tags_is_one_line(release, untouched, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = untouched
    subprocess.run(["git", "init", "-q", str(tmp_path / "empty")], check=True)
    done = use(release, target, "--repo", str(tmp_path / "empty"))
    assert done.returncode == 1 and "no release tags" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

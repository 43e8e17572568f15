"""The sourcehut manifests in ``.builds/`` run: each task, in order, the way builds.sr.ht runs it.

builds.sr.ht clones every ``sources`` entry into ``$HOME/<name>``, writes the manifest's
``environment`` to ``~/.buildenv`` and runs each task as a script
``#!/usr/bin/env bash`` / ``. ~/.buildenv`` / ``set -xe`` / the task, in ``$HOME``;
``complete-build`` ends the build early and successfully.  Here the clone is made from a
bare copy of this repository whose ``data/`` holds a few real wheels served from
127.0.0.1 (the bundled data needs the network), with stand-ins for what a build gets from
sourcehut: a test SSH signing key for the secret, a bare repository to push the tag to and
a small HTTP service that answers ``/api/v0/dag/import`` as an IPFS node does, checking the
CAR it receives.  The virtual environment is this one (``IPWHL_VENV``), and the test task
runs one small test file (``IPWHL_PYTEST_ARGS``); everything else is the manifests' own
scripts.  The manifests tested are the working tree's (copied over the clone).
"""

from __future__ import annotations

import http.server
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipwhl_checks.cli import main
from ipwhl_checks.ipld.car import read_car
from ipwhl_checks.ipld.dagpb import decode_node

from .conftest import ROOT
from .gatewayutil import gateway
from .test_publish import WHEELS, Repo, repo  # noqa: F401 (the fixture)

BUILDS = ROOT / ".builds"
pytestmark = pytest.mark.slow


def load(name: str) -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load((BUILDS / name).read_text())
    return manifest


@pytest.mark.parametrize("name", ["check.yml", "publish.yml"])
def test_manifest_shape(name: str) -> None:
    manifest = load(name)
    assert manifest["image"].startswith("debian/")
    assert [Path(s).name for s in manifest["sources"]] == ["ipwhl"]
    tasks = manifest["tasks"]
    assert all(isinstance(t, dict) and len(t) == 1 for t in tasks)
    for task in tasks:
        (script,) = task.values()
        assert script.startswith("cd ipwhl\n")
    for artifact in manifest.get("artifacts", []):
        assert artifact.startswith("ipwhl/")
    # builds.sr.ht keeps at most 8 artifacts; a failed build mails the list
    assert len(manifest.get("artifacts", [])) <= 8
    assert {"action": "email", "condition": "failure"}.items() <= manifest["triggers"][0].items()


class _Ipfs(http.server.BaseHTTPRequestHandler):
    """``POST /api/v0/dag/import?pin-roots=true``: reads the multipart CAR, verifies every
    block, keeps them, and pins the root as kubo does: only if every block of its DAG is
    there (this CAR's or an earlier import's), else ``PinErrorMsg`` says what is missing."""

    imported: list[tuple[str, int]]
    blocks: dict[bytes, bytes]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        boundary = self.headers.get_param("boundary")
        assert self.path.startswith("/api/v0/dag/import") and isinstance(boundary, str)
        part = body.split(b"--" + boundary.encode())[1]
        car = part.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n")
        reader = read_car(io.BytesIO(car))
        count = 0
        for cid, data, _offset in reader:  # raises on a bad block
            self.blocks[bytes(cid)] = bytes(data)
            count += 1
        root = reader.roots[0]
        self.imported.append((str(root), count))
        missing = _missing(self.blocks, bytes(root))
        answer = json.dumps({"Root": {"Cid": {"/": str(root)}, "PinErrorMsg":
                                      f"block {missing.hex()} not found" if missing else ""}},
                            separators=(",", ":")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _missing(blocks: dict[bytes, bytes], root: bytes) -> bytes | None:
    """A block of *root*'s DAG that *blocks* lacks (None: the DAG is complete)."""
    todo = [root]
    while todo:
        cid = todo.pop()
        key = cid if cid[:1] == b"\x01" else b"\x01\x70" + cid  # CIDv0 -> v1 bytes
        if key not in blocks:
            return cid
        if key[1] == 0x70:  # dag-pb: follow its links (raw leaves have none)
            todo += [link.cid for link in decode_node(blocks[key]).links]
    return None


@contextmanager
def ipfs_node() -> Iterator[tuple[str, list[tuple[str, int]]]]:
    imported: list[tuple[str, int]] = []
    handler = type("Handler", (_Ipfs,), {"imported": imported, "blocks": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", imported
    finally:
        server.shutdown()
        server.server_close()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def run_build(manifest: dict[str, Any], home: Path, env: dict[str, str],
              replace: dict[str, str] | None = None) -> list[str]:
    """Run *manifest*'s tasks in *home* as builds.sr.ht does; return the tasks that ran."""
    exports = {**manifest.get("environment", {}), **(replace or {})}
    (home / ".buildenv").write_text(
        "".join(f"export {k}={shlex.quote(str(v))}\n" for k, v in exports.items()))
    ran = []
    for task in manifest["tasks"]:
        ((name, script),) = task.items()
        path = home / f".task-{name}"
        path.write_text(f"#!/usr/bin/env bash\n. ~/.buildenv\nset -xe\n{script}")
        done = subprocess.run(["bash", str(path)], cwd=home, env=env, capture_output=True,
                              text=True, timeout=600)
        ran.append(name)
        if (home / ".complete-build").exists():
            break
        assert done.returncode == 0, f"task {name} failed:\n{done.stdout}\n{done.stderr}"
    return ran


@pytest.fixture
def build(repo: Repo, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], Path]]:  # noqa: F811
    """(build home with ~/ipwhl cloned, the build's environment, the bare upstream)."""
    home = tmp_path / "home"
    bin_dir = tmp_path / "bin"
    home.mkdir()
    bin_dir.mkdir()
    # builds.sr.ht's complete-build: end the build here, successfully
    (bin_dir / "complete-build").write_text(f"#!/bin/sh\ntouch {home}/.complete-build\nexit 1\n")
    (bin_dir / "complete-build").chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(home), "LANG": "C.UTF-8",
           "GIT_CONFIG_NOSYSTEM": "1", "IPWHL_VENV": str(Path(sys.prefix)),
           "IPWHL_PYTEST_ARGS": "-q -p no:cacheprovider tests/test_cli.py"}
    # the secret: a signing key, listed in the repository's allowed signers
    key = home / ".ipwhl-signing-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "release@ipwhl.test",
                    "-f", str(key)], check=True)
    # upstream: this repository's HEAD, with the test data tree instead of data/
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "--no-local", str(ROOT), str(work))
    git(work, "checkout", "-q", "-B", "main")  # (main, whatever branch ROOT is on)
    # the maintainer signs the data commits (the release refuses unsigned ones)
    for name, value in [("user.name", "T"), ("user.email", "t@ipwhl.test"),
                        ("gpg.format", "ssh"), ("user.signingkey", str(key)),
                        ("commit.gpgSign", "true")]:
        git(work, "config", name, value)
    shutil.rmtree(work / "data")
    shutil.copytree(repo.data, work / "data")
    main(["fmt", "--root", str(work / "data")])  # canonical, as the format hook wants
    shutil.rmtree(work / ".builds", ignore_errors=True)
    shutil.copytree(BUILDS, work / ".builds")  # the manifests under test
    (work / ".ipwhl").mkdir(exist_ok=True)
    public = key.with_suffix(".pub").read_text()
    (work / ".ipwhl" / "allowed_signers").write_text(
        f'release@ipwhl.test namespaces="git" {public}')
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "test data")
    bare = tmp_path / "upstream.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    git(home, "clone", "-q", str(bare), "ipwhl")
    yield home, env, bare


def _skip_downloaded_hooks() -> str:
    """The pre-commit hooks whose environments pre-commit would download (no network here)."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return ",".join(hook["id"] for r in config["repos"] for hook in r["hooks"]
                    if r["repo"] != "local" or hook.get("additional_dependencies")
                    or hook.get("language") not in ("system", "script", "fail"))



def _declare_in(clone: Path, index: Repo, name: str, version: str) -> None:
    """Declare a new release of *index*'s index in the data tree of *clone* (as ``ipwhl add``
    leaves it, formatted) and stage it."""
    index.add(name, version)
    (new,) = index.data.rglob(f"{name}-{version}-*.toml")
    target = clone / new.relative_to(index.root)
    target.parent.mkdir(parents=True)
    shutil.copy(new, target)
    main(["fmt", "--root", str(clone / "data")])
    git(clone, "add", "-A")

def test_check_manifest_runs(build: tuple[Path, dict[str, str], Path]) -> None:
    home, env, _bare = build
    env = {**env, "SKIP": _skip_downloaded_hooks()}
    ran = run_build(load("check.yml"), home, env)
    assert ran == ["setup", "pre-commit", "test", "online-check"]


def test_publish_manifest_runs(build: tuple[Path, dict[str, str], Path], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    home, env, bare = build
    manifest = load("publish.yml")
    with ipfs_node() as (api, imported):
        ran = run_build(manifest, home, {**env, "IPFS_API": api},
                        replace={"PUSH_URL": str(bare)})
    assert ran == ["main-only", "configured", "setup", "check", "release", "push-tag",
                   "ipfs-import"]
    clone = home / "ipwhl"
    tag = (clone / "build" / "tag").read_text().strip()
    root_cid = (clone / "build" / "root-cid").read_text().strip()
    # the tag reached upstream, signed, and carries the CID `ipwhl publish` gives
    assert git(bare, "cat-file", "-t", tag).strip() == "tag"
    car = tmp_path / "again.car"
    assert main(["publish", "--root", str(clone / "data"), "--car", str(car)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == root_cid
    assert f"root-cid: {root_cid}" in git(bare, "cat-file", "tag", tag)
    # the CAR artifact is the same bytes a publish of the tree gives; the IPFS node got it
    assert (clone / "build" / "ipwhl.car").read_bytes() == car.read_bytes()
    with car.open("rb") as f:
        blocks = sum(1 for _ in read_car(f))
    assert imported == [(root_cid, blocks)]
    for artifact in manifest["artifacts"]:
        assert (home / artifact).is_file()
    # the CAR travels as 7 artifacts of at most 1 GiB, which concatenate to it
    pieces = [home / a for a in manifest["artifacts"] if ".car." in a]
    assert len(pieces) == 7
    assert b"".join(p.read_bytes() for p in pieces) == car.read_bytes()


def test_publish_manifest_publishes_on_top_of_the_last_release(
        build: tuple[Path, dict[str, str], Path], repo: Repo, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    home, env, bare = build
    manifest = load("publish.yml")
    clone = home / "ipwhl"
    first_car = tmp_path / "first.car"
    with ipfs_node() as (api, imported):
        run_build(manifest, home, {**env, "IPFS_API": api}, replace={"PUSH_URL": str(bare)})
        shutil.copy(clone / "build" / "ipwhl.car", first_car)
        # the next push to main: a new project; a fresh build clones it
        shutil.rmtree(clone)
        git(home, "clone", "-q", str(bare), "ipwhl")
        _declare_in(clone, repo, "epsilon", "1.0")
        git(clone, "-c", "user.name=T", "-c", "user.email=t@ipwhl.test", "-c",
            "gpg.format=ssh", "-c", f"user.signingkey={home / '.ipwhl-signing-key'}",
            "commit", "-S", "-q", "-m", "epsilon")  # signed by the maintainer
        git(clone, "push", "-q", "origin", "HEAD")
        with gateway(first_car) as (host, _log):  # serves the releases so far
            ran = run_build(manifest, home, {**env, "IPFS_API": api,
                                             "IPFS_GATEWAY": f"http://{host}"},
                            replace={"PUSH_URL": str(bare)})
    assert ran == ["main-only", "configured", "setup", "check", "release", "push-tag",
                   "ipfs-import"]
    release = (clone / "build" / "release.txt").read_text()
    first_tag = git(bare, "tag", "--list", "ipwhl-*").split()[0]
    assert release.startswith(f"previous release: {first_tag} ")
    assert "projects: 5 (reused: 4)" in release
    root_cid = (clone / "build" / "root-cid").read_text().strip()
    # from scratch, with the changes page the release made against the previous one: the same
    assert main(["publish", "--root", str(clone / "data"), "--changes-since", first_tag]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == root_cid
    # the second CAR is a delta: no block of the first, yet the node pinned the new root
    with first_car.open("rb") as f:
        old = {bytes(cid) for cid, _data, _offset in read_car(f)}
    with (clone / "build" / "ipwhl.car").open("rb") as f:
        delta = {bytes(cid) for cid, _data, _offset in read_car(f)}
    assert delta and not delta & old
    assert imported[-1] == (root_cid, len(delta))


def test_publish_manifest_only_publishes_main(build: tuple[Path, dict[str, str], Path]) -> None:
    home, env, _bare = build
    clone = home / "ipwhl"
    git(clone, "checkout", "-q", "-b", "topic")
    git(clone, "-c", "user.name=T", "-c", "user.email=t@ipwhl.test", "commit", "-q",
        "--allow-empty", "-m", "topic")
    ran = run_build(load("publish.yml"), home, env)
    assert ran == ["main-only"]
    assert not (clone / "build").exists()


@pytest.mark.parametrize("missing", ["signing key", "allowed signers"])
def test_publish_manifest_stops_at_once_while_not_configured(
        build: tuple[Path, dict[str, str], Path], missing: str) -> None:
    """The placeholders still in place: the build fails at its first task after main-only,
    saying what to configure, before it installs or builds anything."""
    home, env, _bare = build
    clone = home / "ipwhl"
    if missing == "signing key":
        (home / ".ipwhl-signing-key").unlink()
        said = "no release signing key at ~/.ipwhl-signing-key"
    else:
        (clone / ".ipwhl" / "allowed_signers").write_text("# no key yet\n")
        said = ".ipwhl/allowed_signers names no key"
    with pytest.raises(AssertionError, match="task configured failed") as failed:
        run_build(load("publish.yml"), home, env)
    assert said in str(failed.value)
    assert not (clone / ".venv").exists() and not (clone / "build").exists()


def test_check_manifest_downloads_only_what_a_patch_touches(
        repo: Repo, build: tuple[Path, dict[str, str], Path]) -> None:  # noqa: F811
    """A patch on top of main: the online check fetches the wheels of the declarations it
    changes, not the whole tree's."""
    home, env, _bare = build
    clone = home / "ipwhl"
    git(clone, "checkout", "-q", "-b", "patch")
    _declare_in(clone, repo, "epsilon", "1.0")
    git(clone, "-c", "user.name=T", "-c", "user.email=t@ipwhl.test", "commit", "-q", "-m", "e")
    manifest = load("check.yml")
    manifest["tasks"] = [t for t in manifest["tasks"] if {"setup", "online-check"} & t.keys()]
    repo.log.clear()
    assert run_build(manifest, home, env) == ["setup", "online-check"]
    fetched = [line for line in repo.log if ".whl" in line]
    assert fetched and all("epsilon-1.0" in line for line in fetched), fetched

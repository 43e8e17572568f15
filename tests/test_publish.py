"""``ipwhl publish``: a small repository of real wheels, served from 127.0.0.1.

Truths we did not produce: ``ipfs-unixfs-importer`` (npm) for the root CID, ``@ipld/car`` +
``ipfs-unixfs-exporter`` reading the CAR back, ``zipfile``/``hashlib`` for the wheel bytes
and METADATA, and real pip resolving from the published tree.
"""

from __future__ import annotations

import errno
import hashlib
import http.server
import json
import mmap
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ipwhl_checks.cli import main
from ipwhl_checks.ipld.car import read_car
from ipwhl_checks.publish.browse import page_path
from ipwhl_checks.publish.browse.search import shard_of
from ipwhl_checks.publish.manifest import (
    dump_manifest,
    load_manifest,
    manifest_bytes,
    parse_manifest,
)
from ipwhl_checks.repo.layout import declaration_path, prefix
from ipwhl_checks.unixfs import file_cid

from .conftest import ROOT, run_ipwhl, running, without_summary
from .wheelmaker import make_wheel

PROFILE = "unixfs-v1-2025"
NODE_MODULES = ROOT / ".ci" / "node_modules"
needs_npm = pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_MODULES / "@ipld" / "car").is_dir(),
    reason="needs node and .ci/node_modules (bash .ci/setup)")

# (name, version, tag, requires-python, extras, dependencies)
WHEELS = [
    ("alpha", "1.0", "py3-none-any", ">=3.8", (), ("beta>=2",)),
    ("beta", "2.1", "py3-none-any", None, ("fast",), ('gamma.pkg<1; extra == "fast"',)),
    ("Gamma.Pkg", "0.3", "py3-none-any", "<4,>=3.9", (), ()),
    ("delta", "1.2", "cp312-cp312-manylinux_2_28_x86_64", ">=3.12", (), ()),
    ("delta", "1.2", "cp312-cp312-win_amd64", ">=3.12", (), ()),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    log: list[str]

    def log_message(self, format: str, *args: object) -> None:
        self.log.append(self.path)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up (a publish that stops, cancelling its downloads) is no
        error of the server's; anything else is printed as usual."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serve(directory: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve *directory* on 127.0.0.1; yields (base URL, list of requested paths)."""
    log: list[str] = []
    handler = type("Handler", (_Quiet,), {"log": log})
    server = _Server(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(directory)))
    with running(server) as port:
        yield f"http://127.0.0.1:{port}", log


def write_declaration(data: Path, wheel: Path, source: str, *, requires_python: str | None,
                      extras: tuple[str, ...] = (), dependencies: tuple[str, ...] = (),
                      content_id: str | None = None) -> Path:
    cid = content_id or file_cid(wheel, PROFILE)[0]
    path = declaration_path(data, wheel.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"source = '{source}'", f"content-id = '{cid}'"]
    if requires_python:
        lines.append(f"requires-python = '{requires_python}'")
    lines.append("extras = [" + ", ".join(f"'{e}'" for e in extras) + "]")
    lines.append("dependencies = [" + "".join(f"\n    {json.dumps(d)}," for d in dependencies)
                 + ("\n]" if dependencies else "]"))
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Repo:
    """A data tree of real wheels whose sources are served from 127.0.0.1."""

    root: Path
    wheels: Path
    base: str
    log: list[str]
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def add(self, name: str, version: str, tag: str = "py3-none-any",
            requires_python: str | None = None, extras: tuple[str, ...] = (),
            dependencies: tuple[str, ...] = (), content_id: str | None = None) -> Path:
        wheel = make_wheel(self.wheels, name, version, tag=tag, requires_python=requires_python,
                           extras=extras, dependencies=dependencies)
        self.files[wheel.name] = wheel
        return write_declaration(self.data, wheel, f"{self.base}/{wheel.name}",
                                 requires_python=requires_python, extras=extras,
                                 dependencies=dependencies, content_id=content_id)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repo]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with serve(wheels) as (base, log):
        r = Repo(tmp_path / "repo", wheels, base, log)
        r.data.mkdir(parents=True)
        (r.data / "repository.toml").write_text(
            f"profile = '{PROFILE}'\npython = ['3.12']\n"
            "platforms = ['manylinux_2_28_x86_64', 'win_amd64']\n")
        for name, version, tag, rp, extras, deps in WHEELS:
            r.add(name, version, tag, rp, extras, deps)
        yield r


def publish(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["publish", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def car_blocks(path: Path) -> dict[str, bytes]:
    with path.open("rb") as f:
        return {str(cid): bytes(data) for cid, data, _offset in read_car(f)}


def tree_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes()
            for p in sorted(site.rglob("*")) if p.is_file()}


# ---- the published tree ------------------------------------------------------------------

@pytest.mark.npm
@needs_npm
def test_root_cid_matches_ipwhl_cid_npm_importer_and_car(repo: Repo, tmp_path: Path) -> None:
    site, car = tmp_path / "site", tmp_path / "out.car"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = run_ipwhl("publish", "--root", str(repo.data), "--out", str(site), "--car", str(car),
                     env=env)
    assert done.returncode == 0, done.stderr
    root_cid = done.stdout.splitlines()[-1]
    assert root_cid.startswith("bafy")
    # the same engine as `ipwhl cid` ...
    assert run_ipwhl("cid", "--profile", PROFILE, str(site)).stdout.strip() == root_cid
    # ... and an independent implementation of `ipfs add -r`
    job = tmp_path / "jobs.json"
    job.write_text(json.dumps([{"id": "site", "profile": PROFILE, "dir": str(site)}]))
    npm = subprocess.run(["node", str(ROOT / "tests" / "interop" / "import.mjs"), str(job)],
                         capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(npm.stdout.splitlines()[0])["cid"] == root_cid
    # @ipld/car + ipfs-unixfs-exporter read the CAR back: every file, byte for byte
    exported = _npm_export(car)
    assert exported["root"] == root_cid
    assert exported["files"] == {path: hashlib.sha256(data).hexdigest()
                                 for path, data in tree_files(site).items()}
    # the files are the originals
    for name, wheel in repo.files.items():
        project = name.split("-")[0].replace("_", "-").lower()
        assert (site / project / name).read_bytes() == wheel.read_bytes()
        with zipfile.ZipFile(wheel) as zf:
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            assert (site / project / f"{name}.metadata").read_bytes() == zf.read(meta)


_EXPORT = """
import { CarReader } from '@ipld/car'
import { exporter, recursive } from 'ipfs-unixfs-exporter'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
const reader = await CarReader.fromBytes(fs.readFileSync(process.argv[1]))
const [root] = await reader.getRoots()
const store = {
  async get (cid) {
    const b = await reader.get(cid)
    if (!b) throw new Error('missing ' + cid)
    return b.bytes
  }
}
const files = {}
for await (const entry of recursive(root, store)) {
  if (entry.type !== 'file' && entry.type !== 'raw') continue
  const h = createHash('sha256')
  for await (const chunk of entry.content()) h.update(chunk)
  files[entry.path.split('/').slice(1).join('/')] = h.digest('hex')
}
console.log(JSON.stringify({ root: root.toString(), files }))
"""


def _npm_export(car: Path) -> dict[str, object]:
    done = subprocess.run(["node", "--input-type=module", "-e", _EXPORT, "--", str(car)],
                          cwd=ROOT / ".ci", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_manifest_describes_every_wheel(repo: Repo, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    code, out, err = publish(capsys, "--root", str(repo.data), "--out", str(site))
    assert code == 0, err
    manifest = load_manifest(site / "manifest.json")
    assert out[-2] == f"manifest: {file_cid(site / 'manifest.json', PROFILE)[0]}"
    assert [p.name for p in manifest.projects] == ["alpha", "beta", "delta", "gamma-pkg"]
    assert manifest.wheel_count == len(WHEELS) and manifest.profile == PROFILE
    for project in manifest.projects:
        assert project.cid == file_cid(site / project.name, PROFILE)[0]
        for w in project.wheels:
            data = repo.files[w.filename].read_bytes()
            assert (w.size, w.sha256) == (len(data), hashlib.sha256(data).hexdigest())
            assert w.cid == file_cid(repo.files[w.filename], PROFILE)[0]
            meta = (site / project.name / f"{w.filename}.metadata").read_bytes()
            assert w.metadata.sha256 == hashlib.sha256(meta).hexdigest()
    beta = manifest.project("beta")
    assert beta is not None
    assert beta.wheels[0].extras == ("fast",)
    assert beta.wheels[0].dependencies == ('gamma.pkg<1; extra == "fast"',)
    page = (site / "alpha" / "index.html").read_text()
    assert 'data-requires-python="&gt;=3.8"' in page
    gamma = (site / "gamma-pkg" / "index.html").read_text()
    assert 'data-requires-python="&lt;4,&gt;=3.9"' in gamma
    # the manifest's bytes are canonical: writing what was read gives the same bytes
    data = (site / "manifest.json").read_bytes()
    assert manifest_bytes(parse_manifest(data)) == data
    dump_manifest(manifest, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_pip_resolves_from_metadata_and_checks_hashes(repo: Repo, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    assert publish(capsys, "--root", str(repo.data), "--out", str(site))[0] == 0
    with serve(site) as (url, log):
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-cache-dir",
               "--isolated"]
        report = subprocess.run(
            [*pip, "install", "--dry-run", "--ignore-installed", "--quiet", "--report", "-",
             "--index-url", f"{url}/", "alpha"], capture_output=True, text=True, timeout=120)
        assert report.returncode == 0, report.stderr
        installs = {i["metadata"]["name"]: i["metadata"]["version"]
                    for i in json.loads(report.stdout)["install"]}
        assert installs == {"alpha": "1.0", "beta": "2.1"}
        # pip resolved from the PEP 658 .metadata files (pip 23 then downloads the wheels of
        # a dry run anyway; uv below does not)
        metadata = [i for i, p in enumerate(log) if p.endswith(".whl.metadata")]
        wheels = [i for i, p in enumerate(log) if p.endswith(".whl")]
        assert len(metadata) == 2 and max(metadata) < min(wheels)
        log.clear()
        uv = subprocess.run(
            [str(Path(sys.executable).parent / "uv"), "pip", "compile", "--quiet", "--no-cache",
             "--no-header", "--python", sys.executable, "--python-version", "3.12",
             "--index-url", f"{url}/", "-"],
            input="alpha\n", capture_output=True, text=True, timeout=120,
            env={**os.environ, "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never"})
        assert uv.returncode == 0, uv.stderr
        assert [line.split()[0] for line in uv.stdout.splitlines()
                if line and not line.startswith(" ")] == ["alpha==1.0", "beta==2.1"]
        assert not any(p.endswith(".whl") for p in log)  # resolved without any wheel
        assert sum(p.endswith(".whl.metadata") for p in log) == 2
        download = subprocess.run(
            [*pip, "download", "--no-deps", "--quiet", "-d", str(tmp_path / "dl"),
             "--index-url", f"{url}/", "beta"], capture_output=True, text=True, timeout=120)
        assert download.returncode == 0, download.stderr
    got = tmp_path / "dl" / "beta-2.1-py3-none-any.whl"
    assert got.read_bytes() == repo.files[got.name].read_bytes()


def test_same_tree_same_cid_whatever_the_file_order(repo: Repo, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    first = publish(capsys, "--root", str(repo.data))
    # a copy written in reverse order (other inode and directory order)
    copy = tmp_path / "copy" / "data"
    for path in sorted(repo.data.rglob("*"), reverse=True):
        if path.is_file():
            target = copy / path.relative_to(repo.data)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    second = publish(capsys, "--root", str(copy))
    assert first[0] == second[0] == 0
    assert first[1] == second[1]


# ---- incremental publishing ----------------------------------------------------------------

def test_one_changed_declaration_changes_only_its_path(repo: Repo, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    site1, car1 = tmp_path / "site1", tmp_path / "one.car"
    code, _out1, err = publish(capsys, "--root", str(repo.data), "--out", str(site1),
                              "--car", str(car1))
    assert code == 0, err
    before = car_blocks(car1)
    # upgrade beta: a new wheel, its declaration replaces the old one
    for old in (repo.data).rglob("beta-2.1-*.toml"):
        old.unlink()
    repo.add("beta", "2.2", extras=("fast",), dependencies=('gamma.pkg<1; extra == "fast"',))
    site2, car2 = tmp_path / "site2", tmp_path / "two.car"
    code, out2, err = publish(capsys, "--root", str(repo.data), "--out", str(site2),
                              "--car", str(car2))
    assert code == 0, err
    after = car_blocks(car2)
    changed = set(after) - set(before)
    page = f"_browse/{page_path('beta')}"
    on_path = {file_cid(site2 / p, PROFILE)[0] for p in (
        "beta", "beta/index.html", "beta/beta-2.2-py3-none-any.whl",
        "beta/beta-2.2-py3-none-any.whl.metadata", "manifest.json", ".",
        # the site: beta's page, its search shard, the front page (the manifest's CID)
        page, os.path.dirname(page), "_browse/p", f"_browse/search/{shard_of(prefix('beta'))}.js",
        "_browse/search", "_browse/index.html", "_browse/site.json", "_browse")}
    # the blocks on beta's path to the root, and the manifest (it describes every project)
    assert changed == on_path
    for project in ("alpha", "delta", "gamma-pkg"):
        assert file_cid(site1 / project, PROFILE) == file_cid(site2 / project, PROFILE)

    # incremental: same root CID, only beta read, a delta CAR with exactly the new blocks
    repo.log.clear()
    shutil.rmtree(tmp_path / "cache")
    car3 = tmp_path / "delta.car"
    code, out3, err = publish(capsys, "--root", str(repo.data), "--previous",
                              str(site1 / "manifest.json"), "--car", str(car3))
    assert code == 0, err
    assert out3[-1] == out2[-1]
    assert "projects: 4 (reused: 3)" in out3[0]
    assert repo.log == ["/beta-2.2-py3-none-any.whl"]  # no other wheel fetched
    assert set(car_blocks(car3)) == changed


def test_previous_manifest_errors_are_one_line(repo: Repo, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text('{"format": "something-else"}')
    code, out, err = publish(capsys, "--root", str(repo.data), "--previous", str(bad))
    assert code == 1 and out == []
    assert err == (f"ipwhl publish: {bad}: invalid manifest (format 'something-else', "
                   "expected 'ipwhl-manifest/1')\n")
    code, _out, err = publish(capsys, "--root", str(repo.data), "--previous", str(bad),
                              "--out", str(tmp_path / "site"))
    assert code == 1 and "cannot reuse projects from --previous" in err
    # --out replaces a published tree, never another directory
    code, _out, err = publish(capsys, "--root", str(repo.data), "--out", str(repo.data))
    assert (code, err) == (1, f"ipwhl publish: {repo.data}: exists and is not a published "
                              "tree (no manifest.json); refusing to replace it\n")
    site = tmp_path / "site"
    assert publish(capsys, "--root", str(repo.data), "--out", str(site))[0] == 0
    assert publish(capsys, "--root", str(repo.data), "--out", str(site))[0] == 0


ALPHA = "alpha-1.0-py3-none-any.whl"
# Hostile inputs, item 12: a previous manifest whose line of a reused project (alpha: its
# declarations did not change) is not one a publish writes; (old text, new, message)
BAD_REUSED_LINES = [
    ('"beta>=2"', '"beta>=2 ;;; bad"', f"projects.alpha.wheels.{ALPHA}.dependencies[0]: "
     "'beta>=2 ;;; bad' is not a PEP 508 requirement"),
    ('"version":"1.0"', '"version":"9.9"',
     f"projects.alpha.wheels.{ALPHA}.version is '9.9' but the file name says '1.0'"),
    (f'"{ALPHA}":', '"../../evil":', "projects.alpha.wheels: '../../evil' is not a wheel "
     "file name"),
    ('"requires-python":">=3.8"', '"requires-python":">=3.x"',
     f"projects.alpha.wheels.{ALPHA}.requires-python: '>=3.x' is not a PEP 440 specifier "
     "set"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_REUSED_LINES,
                         ids=["dependency", "version", "file name", "requires-python"])
def test_an_invalid_line_of_the_previous_manifest_is_not_copied(
        repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        old: str, new: str, message: str) -> None:
    site = tmp_path / "site"
    assert publish(capsys, "--root", str(repo.data), "--out", str(site))[0] == 0
    data = (site / "manifest.json").read_bytes()
    [alpha] = [line for line in data.splitlines() if line.startswith(b'  "alpha": ')]
    assert old.encode() in alpha
    bad = tmp_path / "previous.json"
    bad.write_bytes(data.replace(alpha, alpha.replace(old.encode(), new.encode())))
    car = tmp_path / "delta.car"
    code, out, err = publish(capsys, "--root", str(repo.data), "--previous", str(bad),
                             "--car", str(car))
    assert (code, out) == (1, [])
    assert err.startswith(f"ipwhl publish: {bad}: invalid manifest ({message}")
    assert err.count("\n") == 1 and not car.exists()


# ---- a wheel that is not the declared one --------------------------------------------------

def test_cid_mismatch_stops_publishing_and_leaves_nothing(repo: Repo, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    other = make_wheel(tmp_path / "other", "epsilon", "9.9")
    wrong = file_cid(other, PROFILE)[0]
    path = repo.add("epsilon", "1.0", content_id=wrong)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = publish(capsys, "--root", str(repo.data), "--out", str(out_dir / "site"),
                             "--car", str(out_dir / "site.car"))
    assert code == 1 and out == []
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err and wrong in err and "epsilon-1.0-py3-none-any.whl" in err
    assert list(out_dir.iterdir()) == []  # no tree, no CAR, no temporary file


def test_a_declared_file_that_is_not_a_wheel_stops_publishing(
        repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the declared CID is right, but the bytes are no zip archive: no METADATA to serve
    fake = repo.wheels / "epsilon-1.0-py3-none-any.whl"
    fake.write_bytes(b"not a zip archive\n" * 100)
    path = write_declaration(repo.data, fake, f"{repo.base}/{fake.name}", requires_python=None)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = publish(capsys, "--root", str(repo.data), "--out", str(out_dir / "site"),
                             "--car", str(out_dir / "site.car"))
    assert (code, out) == (1, [])
    err = without_summary(err)
    assert err == (f"ipwhl publish: {path}: epsilon-1.0-py3-none-any.whl: not a zip archive, "
                   "or a corrupt one (File is not a zip file); nothing was published\n")
    assert list(out_dir.iterdir()) == []


def test_a_wheel_over_max_wheel_size_stops_publishing(
        repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """IW508 at publish: the wheel's size as read, against repository.toml's limit."""
    largest = max(repo.files.values(), key=lambda p: p.stat().st_size)
    size = largest.stat().st_size
    settings = repo.data / "repository.toml"
    settings.write_text(settings.read_text() + f"max-wheel-size = {size}\n")
    assert publish(capsys, "--root", str(repo.data))[0] == 0  # at the limit: accepted
    settings.write_text(settings.read_text().replace(f"= {size}\n", f"= {size - 1}\n"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = publish(capsys, "--root", str(repo.data), "--out", str(out_dir / "site"),
                             "--car", str(out_dir / "site.car"))
    over = [path for name, wheel in repo.files.items() if wheel.stat().st_size == size
            for path in repo.data.rglob(name.replace(".whl", ".toml"))]  # (ties: delta's)
    assert (code, out) == (1, [])
    assert err in {f"ipwhl publish: {path}: IW508 size: the wheel is {size} B, more than the "
                   f"repository's max-wheel-size of {size - 1} B; nothing was published\n"
                   for path in over}
    assert list(out_dir.iterdir()) == []


def test_a_tree_with_problems_is_not_published(repo: Repo, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    assert publish(capsys, "--root", str(repo.data), "--out", str(site))[0] == 0
    previous = site / "manifest.json"
    # a broken declaration in one project: caught with --previous too (its digest changed)
    (bad,) = repo.data.rglob("alpha-1.0-*.toml")
    bad.write_text(bad.read_text().replace("content-id", "contentid"))
    for extra in ([], ["--previous", str(previous)]):
        code, out, err = publish(capsys, "--root", str(repo.data), *extra)
        assert code == 1 and out == []
        assert err.startswith(f"ipwhl publish: {bad}: IW102 content-id: missing required key ")
        assert err.endswith(" (and 1 more problem); run `ipwhl check` and fix the tree before "
                            "publishing\n")


def test_a_cache_that_cannot_be_mapped_publishes_the_same(
        repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # wheels are mapped from the cache; a file system that refuses mmap gets them read
    mapped = tmp_path / "mapped"
    first = publish(capsys, "--root", str(repo.data), "--out", str(mapped / "site"),
                    "--car", str(mapped / "ipwhl.car"))

    def refusing(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENODEV, "No such device")
    monkeypatch.setattr(mmap, "mmap", refusing)
    read = tmp_path / "read"
    second = publish(capsys, "--root", str(repo.data), "--out", str(read / "site"),
                     "--car", str(read / "ipwhl.car"))
    assert first[0] == second[0] == 0
    assert first[1] == second[1]
    assert tree_files(mapped / "site") == tree_files(read / "site")
    assert car_blocks(mapped / "ipwhl.car") == car_blocks(read / "ipwhl.car")

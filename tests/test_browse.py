"""The browse site (``/_browse/``): what its pages say, that every link resolves in an
``--out`` tree opened as files, and that a publish on top of a previous release rebuilds
only what changed yet gives the full publish's CID and a delta CAR of exactly the new
blocks.

Truths we did not produce: real projects' METADATA (``tests/data/browse/``), the wheel
tags and preference order of ``packaging``'s own tag list and pip's rules, git for the
changes page's baseline, and the CAR of a full publish for the delta.  The browser tests
(``test_browse_browser.py``) check the same tree in Chromium and against pip.
"""

from __future__ import annotations

import html.parser
import json
import os
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipwhl_checks.cli import main
from ipwhl_checks.errors import PublishError
from ipwhl_checks.ipld.car import read_car
from ipwhl_checks.ipld.cid import cid_text
from ipwhl_checks.publish.browse import Baseline, integration, page_path, read_state
from ipwhl_checks.publish.browse.facts import Chooser, Meta, read_meta
from ipwhl_checks.publish.browse.graph import all_dependents, updated_dependents
from ipwhl_checks.publish.browse.state import LAYOUT, Header, Link, Record, render_state
from ipwhl_checks.publish.build import PublishOptions, PublishResult, publish
from ipwhl_checks.publish.committed import committed_tree
from ipwhl_checks.publish.manifest import FileEntry, WheelEntry
from ipwhl_checks.publish.previous import read_previous
from ipwhl_checks.release import integration as release_integration
from ipwhl_checks.repo.layout import prefix
from ipwhl_checks.repo.settings import Settings
from ipwhl_checks.unixfs import DagBuilder

from .browseutil import (
    ENVIRONMENTS,
    INTEGRATION,
    METADATA,
    PLATFORMS,
    PYTHONS,
    WHEELS,
    build_site_repo,
    integration_extra,
    integration_results,
)

ROOT = Path(__file__).resolve().parent.parent


class _Tags(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def tags(path: Path) -> _Tags:
    parser = _Tags()
    parser.feed(path.read_text())
    parser.close()
    return parser


def matrix(page: Path) -> dict[str, str]:
    """{environment: the wheel its cell names ('' for none)} of a project page."""
    return {a["data-env"] or "": a.get("data-wheel") or "" for t, a in tags(page).tags
            if t == "td" and "data-wheel" in a}


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return build_site_repo(tmp_path)


def run(data: Path, **options: object) -> PublishResult:
    return publish(data, PublishOptions(allow_file=True, **options))  # type: ignore[arg-type]


# ---- what a page says ----------------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "summary", "license", "home", "changelog", "links"), [
    ("requests", "Python HTTP for Humans.", "Apache-2.0", "", "",
     ["Documentation", "Source"]),
    ("typing_extensions", "Backported and Experimental Type Hints for Python 3.9+", "PSF-2.0",
     "https://github.com/python/typing_extensions",
     "https://github.com/python/typing_extensions/blob/main/CHANGELOG.md",
     ["Documentation", "Source", "Issues"]),
    ("six", "Python 2 and 3 compatibility utilities", "MIT",
     "https://github.com/benjaminp/six", "", []),
    # no License field: the trove classifier's last part
    ("colorama", "Cross-platform colored terminal text.", "BSD License",
     "https://github.com/tartley/colorama", "", []),
    ("platformdirs", "A small Python package for determining appropriate platform-specific "
     "dirs, e.g. a `user data dir`.", "MIT", "https://github.com/tox-dev/platformdirs",
     "https://platformdirs.readthedocs.io/en/latest/changelog.html",
     ["Documentation", "Source", "Issues"]),
    ("jinja2", "A very fast and expressive template engine.", "BSD License", "",
     "https://jinja.palletsprojects.com/changes/", ["Documentation", "Source", "Funding"]),
])
def test_meta_of_real_metadata(fixture: str, summary: str, license: str, home: str,
                               changelog: str, links: list[str]) -> None:
    meta = read_meta((METADATA / f"{fixture}.METADATA").read_bytes())
    assert (meta.summary, meta.license, meta.home, meta.changelog) == (
        summary, license, home, changelog)
    assert [label for label, _url in meta.urls] == links


@pytest.mark.parametrize("data", [
    *(path.read_bytes() for path in sorted(METADATA.glob("*.METADATA"))),
    b"Name: x\r\nSummary: folded\r\n  over two lines\r\nLicense: MIT\r\n\r\nbody",
    b"Summary: once\nSummary: twice\nHome-page: https://x.test\n\n",
    b"Project-URL: Home, https://a.test\nProject-URL: Home, https://b.test\n\n",
    b"Project-URL: Changes,https://a.test/c\nProject-URL: Docs , https://a.test/d \n",
    b"License: BSD\n        Copyright (c) someone\n        All rights reserved.\n\n",
    b"Summary: caf\xe9 latin-1\n\n",
    b"Provides-Extra: Socks\nProvides-Extra: use_chardet\nClassifier: License :: MIT\n",
    b"",
])
def test_the_fast_header_reader_agrees_with_packaging(data: bytes) -> None:
    """What the pages show of METADATA is read from its header lines directly; it is what
    packaging's parse_email gives (STYLE: a fast path beside its plain version)."""
    assert read_meta(data) == read_meta(data, plain=True)


def test_metadata_cannot_inject_markup_or_script_links() -> None:
    meta = read_meta(b"Metadata-Version: 2.1\nName: x\nVersion: 1\n"
                     b"Summary: <script>alert(1)</script>\nHome-page: javascript:alert(1)\n"
                     b"Project-URL: Changelog, https://x.test/\"onmouseover=alert(1)\n"
                     b"Project-URL: Source, https://x.test/source\n"
                     b"License: " + b"A" * 500 + b"\n\n")
    assert meta.home == meta.changelog == ""  # not http(s), or a quote in the URL
    assert meta.urls == (("Source", "https://x.test/source"),)
    assert len(meta.license) == 120 and meta.license.endswith("\u2026")
    from ipwhl_checks.publish.browse.facts import Project
    from ipwhl_checks.publish.browse.pages import Context, project_page
    from ipwhl_checks.publish.manifest import ProjectEntry
    wheel = WheelEntry("x-1-py3-none-any.whl", "1", "bafk", 1, 1, "ab" * 32,
                       FileEntry("bafkm", 1, 1, "cd" * 32), None, (), (), "s", "d")
    entry = ProjectEntry("x", "bafy", 1, "d", FileEntry("bafki", 1, 1, "ef" * 32), (wheel,))
    settings = Settings(pythons=("3.12",), platforms=("win_amd64",))
    page = project_page(Project(entry, meta), Context(Chooser(settings.environments),
                                                      ("3.12",), ("win_amd64",)), [], [])
    assert b"<script>alert" not in page and b"javascript:" not in page
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _wheel(filename: str, requires_python: str | None = None) -> WheelEntry:
    version = filename.split("-")[1]
    return WheelEntry(filename, version, "bafk", 1, 1, "00", FileEntry("bafkm", 1, 1, "00"),
                      requires_python, (), (), "s", "d")


NUMPY_LIKE = [
    "n-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "n-2.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
    "n-2.0-cp312-abi3-win_amd64.whl",
    "n-2.0-cp312-cp312-win_amd64.whl",
    "n-2.0-py3-none-any.whl",
    "n-2.0-cp311-cp311-macosx_11_0_arm64.whl",
    "n-2.0-cp311-cp311-macosx_15_0_arm64.whl",  # needs macOS 15: not on macosx_14_0
]


@pytest.mark.parametrize(("files", "requires", "environment", "expected"), [
    # the newest glibc tag the machine accepts beats an older one (PEP 600 order)
    (NUMPY_LIKE, {}, "cp311-manylinux_2_28_x86_64",
     "n-2.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"),
    # a wheel for the very Python beats abi3, abi3 beats pure
    (NUMPY_LIKE, {}, "cp312-win_amd64", "n-2.0-cp312-cp312-win_amd64.whl"),
    (NUMPY_LIKE, {}, "cp311-win_amd64", "n-2.0-py3-none-any.whl"),
    (NUMPY_LIKE, {}, "cp312-manylinux_2_28_x86_64", "n-2.0-py3-none-any.whl"),
    (NUMPY_LIKE, {}, "cp311-macosx_14_0_arm64", "n-2.0-cp311-cp311-macosx_11_0_arm64.whl"),
    # the newest version a Python may have (data-requires-python), even if pure
    (["o-1.0-cp311-cp311-win_amd64.whl", "o-2.0-py3-none-any.whl"], {"o-2.0": ">=3.12"},
     "cp311-win_amd64", "o-1.0-cp311-cp311-win_amd64.whl"),
    (["o-1.0-cp311-cp311-win_amd64.whl", "o-2.0-py3-none-any.whl"], {"o-2.0": ">=3.12"},
     "cp312-win_amd64", "o-2.0-py3-none-any.whl"),
    (["o-1.0-cp311-cp311-win_amd64.whl"], {}, "cp312-win_amd64", None),
    (["o-1.0-py3-none-any.whl"], {"o-1.0": "<3"}, "cp312-win_amd64", None),
])
def test_the_wheel_pip_takes(files: list[str], requires: dict[str, str], environment: str,
                             expected: str | None) -> None:
    settings = Settings(pythons=("3.11", "3.12"), platforms=(
        "manylinux_2_28_x86_64", "macosx_14_0_arm64", "win_amd64"))
    env = settings.environment(environment)
    wheels = [_wheel(f, requires.get("-".join(f.split("-")[:2]))) for f in files]
    chooser = Chooser([env])
    (chosen,) = chooser.serving(wheels)
    assert (chosen.filename if chosen else None) == expected
    # the same answer whatever the order of the files
    (again,) = Chooser([env]).serving(list(reversed(wheels)))
    assert again == chosen


def test_dependents_updated_from_the_changed_projects_alone() -> None:
    before = {"a": {"x", "y"}, "b": {"x"}, "c": {"y", "gone"}}
    after = {"a": {"x"}, "b": {"x", "z"}, "d": {"y", "gone"}}  # c removed, d added
    old, new = all_dependents(before), all_dependents(after)
    changes = {n: (frozenset(before.get(n, ())), frozenset(after.get(n, ())))
               for n in ("a", "b", "c", "d")}
    updated = updated_dependents(changes, lambda n: old.get(n, ()), also=["a", "b", "c", "d"])
    assert updated == {n: new.get(n, ()) for n in updated}
    assert set(updated) == {"a", "b", "c", "d", "y", "z", "gone"}  # not x: as it was


# ---- the site of a publish -------------------------------------------------------------------

def _links(tree: Path) -> Iterator[tuple[Path, str, str]]:
    """(page, attribute, URL) of every link, stylesheet, script, form and SVG link of every
    HTML page in *tree*."""
    for page in sorted(tree.rglob("*.html")):
        for tag, attrs in tags(page).tags:
            for attr in ("href", "src", "action"):
                value = attrs.get(attr)
                if value is not None:
                    yield page, f"{tag}.{attr}", value


def check_links(tree: Path) -> list[str]:
    """Every relative link of the tree's pages that names no file (the URL's path part).
    A link of the site to a directory counts as broken (opened as files, it would show a
    listing); the PEP 503 pages link directories with an index.html, as pip wants."""
    broken = []
    for page, attr, value in _links(tree):
        parts = urlsplit(value)
        if parts.scheme in ("http", "https"):
            assert attr == "a.href", f"{page}: an asset from elsewhere: {value}"
            continue
        assert not parts.scheme and not parts.netloc, f"{page}: {value}"
        if not parts.path:
            continue  # "#anchor"
        target = (page.parent / unquote(parts.path)).resolve()
        if "_browse" not in page.relative_to(tree).parts and (target / "index.html").is_file():
            target = target / "index.html"
        if not target.is_file() or not target.is_relative_to(tree.resolve()):
            broken.append(f"{page.relative_to(tree)}: {attr}={value}")
    return broken


def test_every_link_of_the_site_names_a_file(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = run(data, out=out, extra=integration_extra())
    assert check_links(out) == []
    browse = out / "_browse"
    names = sorted({w[0] for w in WHEELS})
    assert sorted(p.stem for p in browse.glob("p/*/*.html")) == names
    for name in names:
        assert (browse / page_path(name)).is_file()
    # the PEP 503 root page: one anchor per project, and a form (which no client reads)
    anchors = [a["href"] for t, a in tags(out / "index.html").tags if t == "a"]
    assert anchors == [f"{n}/" for n in names]
    forms = [a["action"] for t, a in tags(out / "index.html").tags if t == "form"]
    assert forms == ["_browse/index.html"]
    # two small assets, nothing else loaded
    assets = {v for _p, attr, v in _links(browse) if attr in ("link.href", "script.src")}
    assert {Path(v).name for v in assets} == {"site.css", "site.js"}
    # the front page's figures are the manifest's
    text = "".join(tags(browse / "index.html").text)
    m = result.manifest
    assert f"{len(m.projects)}projects" in text.replace(" ", "")
    assert f"{m.wheel_count}wheels" in text.replace(" ", "")
    assert result.manifest_cid in text and f"{m.total_bytes:,}" in text
    assert (out / "integration" / "cp312-manylinux_2_28_x86_64.json").read_bytes() == \
        integration_results()


def test_project_pages(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    run(data, out=out, extra=integration_extra())
    browse = out / "_browse"
    assert matrix(browse / page_path("fastcore")) == {
        "cp311-manylinux_2_28_x86_64":
            "fastcore-2.0-cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "cp311-macosx_14_0_arm64": "",
        "cp311-win_amd64": "fastcore-2.0-cp311-abi3-win_amd64.whl",
        "cp312-manylinux_2_28_x86_64": "fastcore-2.0-cp312-cp312-manylinux_2_28_x86_64.whl",
        "cp312-macosx_14_0_arm64": "",
        "cp312-win_amd64": "fastcore-2.0-cp311-abi3-win_amd64.whl",
    }
    assert matrix(browse / page_path("oldlib")) == {
        env: f"oldlib-{'1.0' if env.startswith('cp311') else '2.0'}-py3-none-any.whl"
        for env in ENVIRONMENTS}
    page = tags(browse / page_path("webkit-lite"))
    text = " ".join(page.text)
    hrefs = [a.get("href") or "" for t, a in page.tags if t == "a"]
    assert "Python HTTP for Humans." in text and "Apache-2.0" in text  # its METADATA's
    assert "../" + page_path("fastcore").removeprefix("p/") in hrefs  # a dependency
    assert "../" + page_path("tool-cli").removeprefix("p/") in hrefs  # a dependent
    assert "pysocks" in text and not any("pysocks" in h for h in hrefs)  # not in the tree
    assert "docs" in text  # defined by the wheel, not supported here
    assert "import-failed" in text and "ModuleNotFoundError" in text and "more" not in text
    assert "../../../integration/cp312-manylinux_2_28_x86_64.json" in hrefs
    assert "../../../webkit-lite/webkit_lite-1.4-py3-none-any.whl" in hrefs
    colorama = " ".join(tags(browse / page_path("colorama")).text)
    assert "Required by (2)" in colorama  # fastcore (for an extra) and webkit-lite
    # the test suites' outcomes (fastcore's names its first failure)
    assert "Test suite" in colorama and "passed" in colorama
    fastcore = " ".join(tags(browse / page_path("fastcore")).text)
    assert "tests-failed" in fastcore and "tests/test_x.py::test_y" in fastcore


def test_the_same_tree_gives_the_same_site(data: Path, tmp_path: Path) -> None:
    first = run(data, out=tmp_path / "one")
    copy = tmp_path / "copy"
    for path in sorted(data.rglob("*"), reverse=True):  # other inodes, other order
        if path.is_file():
            target = copy / path.relative_to(data)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    second = run(copy, out=tmp_path / "two")
    assert first.root_cid == second.root_cid
    for path in (tmp_path / "one" / "_browse").rglob("*"):
        if path.is_file():
            other = tmp_path / "two" / path.relative_to(tmp_path / "one")
            assert other.read_bytes() == path.read_bytes(), path
    # ipfs add -r of the --out tree gives the root CID (the site included)
    done = subprocess.run([os.sys.executable, "-m", "ipwhl_checks", "cid", "--profile",
                           "unixfs-v1-2025", str(tmp_path / "one")], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == first.root_cid


def test_a_repository_without_projects(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "repository.toml").write_text("python = ['3.12']\nplatforms = ['win_amd64']\n")
    result = run(data, out=tmp_path / "site")
    done = subprocess.run([os.sys.executable, "-m", "ipwhl_checks", "cid", "--profile",
                           "unixfs-v1-2025", str(tmp_path / "site")], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == result.root_cid  # (no empty directory in the tree)
    assert check_links(tmp_path / "site") == []
    again = run(data, previous=read_previous(result.manifest_bytes),
                previous_site=result.site_state)
    assert again.root_cid == result.root_cid


# ---- incremental -------------------------------------------------------------------------

def car_blocks(path: Path) -> set[str]:
    with path.open("rb") as f:
        return {str(cid) for cid, _data, _offset in read_car(f)}


def _change(data: Path, tmp: Path) -> None:
    """oldlib 2.0 -> 2.1, newpkg added (it needs colorama), tool-cli removed (webkit-lite and
    oldlib lose a dependent)."""
    base = tmp / "more"
    for old in data.rglob("oldlib-2.0-*.toml"):
        old.unlink()
    shutil.rmtree(next(data.rglob("tool-cli")))
    added = build_site_repo(base, [
        ("oldlib", "2.1", "py3-none-any", ">=3.12", (), (), "six"),
        ("newpkg", "0.1", "py3-none-any", None, (), ("colorama",), "jinja2")])
    for path in added.rglob("*.toml"):
        if path.name != "repository.toml":
            target = data / path.relative_to(added)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())


def test_a_publish_on_top_of_a_release_remakes_only_what_changed(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = tmp_path / "one"
    assert main(["publish", "--root", str(data), "--out", str(one), "--car",
                 str(tmp_path / "one.car"), "--allow-file"]) == 0
    _change(data, tmp_path)
    two = tmp_path / "two"
    assert main(["publish", "--root", str(data), "--out", str(two), "--car",
                 str(tmp_path / "two.car"), "--allow-file"]) == 0
    full = capsys.readouterr().out.splitlines()[-1]
    new_blocks = car_blocks(tmp_path / "two.car") - car_blocks(tmp_path / "one.car")
    pages = {p.relative_to(one) for p in (one / "_browse" / "p").rglob("*.html")}
    same = {p for p in pages if (two / p).is_file() and (two / p).read_bytes() ==
            (one / p).read_bytes()}
    # changed: oldlib (new version, lost a dependent), webkit-lite (lost one), colorama
    # (gained one), tool-cli (gone); newpkg is new
    assert {p.stem for p in pages - same} == {"oldlib", "webkit-lite", "colorama", "tool-cli"}
    assert (one / "_browse" / "projects.html").read_bytes() != \
        (two / "_browse" / "projects.html").read_bytes()  # other names

    # on top of the first: the site.json beside its manifest; no wheel of an unchanged
    # project is read (the cache and their files are gone)
    shutil.rmtree(tmp_path / "cache")
    for name in ("fastcore", "colorama", "webkit-lite"):
        for wheel in (tmp_path / "wheels").glob(f"{name.replace('-', '_')}-*.whl"):
            wheel.unlink()
    delta = tmp_path / "delta.car"
    assert main(["publish", "--root", str(data), "--previous", str(one / "manifest.json"),
                 "--car", str(delta), "--allow-file"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == full
    assert "projects: 5 (reused: 3)" in out[0]
    assert car_blocks(delta) == new_blocks


def test_without_the_previous_site_the_same_tree(data: Path, tmp_path: Path) -> None:
    """A previous manifest without its site.json (published before the site existed, or
    copied alone): projects are reused all the same, their pages made from the cached
    wheels' METADATA; the CID is the full publish's."""
    first = run(data)
    previous = read_previous(first.manifest_bytes)
    _change(data, tmp_path)
    full = run(data, car=tmp_path / "full.car")
    alone = run(data, previous=previous, car=tmp_path / "alone.car")
    assert alone.root_cid == full.root_cid and alone.reused_projects == 3
    with_site = run(data, previous=previous, previous_site=first.site_state,
                    car=tmp_path / "delta.car")
    assert with_site.root_cid == full.root_cid
    assert car_blocks(tmp_path / "delta.car") <= car_blocks(tmp_path / "alone.car")
    # a site.json of another release is not used
    other = run(data).site_state
    assert run(data, previous=previous, previous_site=other).root_cid == full.root_cid


def test_integration_results_move_only_the_pages_whose_rows_change(
        data: Path, tmp_path: Path) -> None:
    first = run(data, extra=integration_extra())
    previous = read_previous(first.manifest_bytes)
    # the next run: another manifest CID, the same outcomes but one
    results = integration_results(**{"manifest-cid": "bafkreibbbb"})
    results = results.replace(b'"outcome": "import-failed"', b'"outcome": "passed"')
    full = run(data, extra=integration_extra(results), out=tmp_path / "full")
    again = run(data, extra=integration_extra(results), previous=previous,
                previous_site=first.site_state, car=tmp_path / "delta.car")
    assert again.root_cid == full.root_cid
    state = read_state(again.site_state)
    assert state is not None
    webkit = state.record("webkit-lite")
    old = read_state(first.site_state)
    assert old is not None and webkit is not None
    changed = {n for n in state.index if state.record(n).page != old.record(n).page}
    assert changed == {"webkit-lite"}
    assert "passed" in (tmp_path / "full" / "_browse" / page_path("webkit-lite")).read_text()


def test_out_replaces_a_tree_with_its_site_and_results(data: Path, tmp_path: Path) -> None:
    """--out replaces the tree it wrote, site and integration results included, but not
    a file its site.json does not name."""
    out = tmp_path / "site"
    first = run(data, out=out, extra=integration_extra())
    assert run(data, out=out).root_cid != first.root_cid  # (no results: none published)
    assert not (out / "integration").exists()
    assert run(data, out=out, extra=integration_extra()).root_cid == first.root_cid
    (out / "integration" / "notes.json").write_text("{}\n")
    with pytest.raises(PublishError, match=r"'integration/notes\.json' is not in its"):
        run(data, out=out)
    assert (out / "integration" / "notes.json").is_file()


def test_results_known_by_their_cid_alone_link_the_site(data: Path) -> None:
    """``ipwhl verify`` without a gateway knows the results by their CIDs: their pages
    cannot be made, so the site is linked by the CID the tag names, to the same root."""
    full = run(data, extra=integration_extra())
    [(path, content)] = integration_extra().items()
    node = DagBuilder(full.profile).add_bytes(content)
    by_cid = {path: (cid_text(node.raw), node.size)}
    with pytest.raises(PublishError, match="known by its CID alone"):
        run(data, extra=by_cid)
    linked = run(data, extra=by_cid, site=(full.site_cid, full.site_size))
    assert (linked.root_cid, linked.site_state) == (full.root_cid, b"")


def test_the_format_is_the_releases() -> None:
    """The pages read the format ipwhl_checks.release.integration defines and checks."""
    assert (integration.FORMAT, integration.DIRECTORY) == (
        release_integration.FORMAT, release_integration.DIRECTORY)
    parsed = release_integration.parse_results(integration_results(), "x")
    shown = integration.read_results(integration_results(), "x")
    assert shown.environment == parsed.environment
    assert set(release_integration.UNEXPECTED) | integration.GOOD == set(
        release_integration.OUTCOMES)


@pytest.mark.parametrize(("results", "error"), [
    (b"{", "/integration/cp312-manylinux_2_28_x86_64.json: integration results are not JSON"),
    (b'{"format": "other"}', "integration results of format 'other'"),
    (integration_results(environment="../x"), "environment '../x' is not an environment name"),
    (integration_results(projects=[]), "'projects' must be an object"),
    (integration_results(projects={"x": {}}), "projects.x: no 'outcome' string"),
    (integration_results(environment="cp311-win_amd64"),
     "the results of cp311-win_amd64 must be named cp311-win_amd64.json"),
])
def test_bad_integration_results(data: Path, results: bytes, error: str) -> None:
    with pytest.raises(PublishError, match=error.replace("(", r"\(").replace(".", r"\.")):
        run(data, extra=integration_extra(results))


# ---- the changes page --------------------------------------------------------------------

def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_changes_since_the_previous_release(data: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Maintainer\n\temail = maintainer@ipwhl.test\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "data")
    _git(tmp_path, "commit", "-q", "-m", "one")
    first = publish(committed_tree(data), PublishOptions(allow_file=True))
    _change(data, tmp_path)
    _git(tmp_path, "add", "-A", "data")
    _git(tmp_path, "commit", "-q", "-m", "two")
    baseline = Baseline(committed_tree(data, "HEAD~1"))
    assert baseline.commit == first.manifest.source_commit
    full = publish(committed_tree(data), PublishOptions(
        allow_file=True, changes_since=baseline, out=tmp_path / "site"))
    incremental = publish(committed_tree(data), PublishOptions(
        allow_file=True, changes_since=baseline, previous=read_previous(first.manifest_bytes),
        previous_site=first.site_state))
    assert incremental.root_cid == full.root_cid
    # the same from the command line
    assert main(["publish", "--root", str(data), "--commit", "HEAD", "--changes-since",
                 "HEAD~1", "--allow-file"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == full.root_cid
    page = tags(tmp_path / "site" / "_browse" / "changes.html")
    rows = {a["data-change"] for t, a in page.tags if t == "tr" and "data-change" in a}
    assert rows == {"added", "removed", "upgraded"}
    text = " ".join(page.text)
    assert "newpkg" in text and "tool-cli" in text and "2.0" in text and "2.1" in text
    assert "1 added, 1 upgraded, 1 removed" in (tmp_path / "site" / "_browse" /
                                                "index.html").read_text()
    assert check_links(tmp_path / "site") == []
    # without a baseline, no changes page
    assert not (tmp_path / "plain").exists()
    run(data, out=tmp_path / "plain")
    assert not (tmp_path / "plain" / "_browse" / "changes.html").exists()


# ---- the state file ------------------------------------------------------------------------

@pytest.mark.parametrize(("edit", "error"), [
    (lambda s: s.replace(b'"layout"', b'"layuot"'), "the keys"),
    (lambda s: s.replace(b'"tested": "",', b'"tested": 3,'), "tested must be a string"),
    (lambda s: s.replace(b'\n }\n}\n', b'\n}\n'), "not the canonical layout"),
    (lambda s: s.replace(b'"coverage": [[', b'"coverage": [["x",', 1), "coverage"),
    (lambda s: s.replace(b'  "', b'   "', 1), "not canonical"),
])
def test_a_broken_state_says_so(data: Path, edit: object, error: str) -> None:
    state = run(data).site_state
    broken = edit(state)  # type: ignore[operator]
    assert broken != state
    with pytest.raises(PublishError, match=error):
        read_state(broken, "prev/site.json")


@settings(max_examples=200, deadline=None)
@given(text=st.text(), names=st.lists(st.text(), max_size=3), n=st.integers(0, 2**40))
def test_a_state_line_is_the_json_encoders(text: str, names: list[str], n: int) -> None:
    """Record.line composes the compact JSON by hand; json's encoder is the truth."""
    meta = Meta(summary=text, license=text[:3], home="https://x.test/" + text,
                changelog="", urls=tuple((t, text) for t in names), provides=tuple(names))
    record = Record(version=text, wheels=n, files="0f" * 8, source=text, meta=meta,
                    page=Link("bafkrei" + "a" * 52, n, tuple(names)), deps=tuple(names),
                    rdeps=tuple(reversed(names)), covers=(n, n // 3), tested=text)
    expected = json.dumps(record.value(), ensure_ascii=True, sort_keys=True,
                          separators=(",", ":"))
    assert record.line("7c/x") == f'  "7c/x": {expected}'.encode()


def test_a_state_of_another_format_is_not_used(data: Path) -> None:
    state = run(data).site_state
    assert read_state(state.replace(b"ipwhl-browse/1", b"ipwhl-browse/9")) is None
    one = read_state(state)
    assert one is not None and sorted(one.index) == sorted({w[0] for w in WHEELS})
    record = one.record("fastcore")
    assert record is not None and record.deps == ("colorama",)
    assert record.rdeps == ("webkit-lite",)


def test_the_assets_ship_with_the_package() -> None:
    """pyproject's package data names the files the site copies (a wheel of the tooling
    must carry them)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = config["tool"]["setuptools"]["package-data"]["ipwhl_checks.publish.browse"]
    static = ROOT / "ipwhl_checks" / "publish" / "browse" / "static"
    assert sorted(shipped) == sorted(f"static/{p.name}" for p in static.iterdir())
    assert PYTHONS and PLATFORMS  # (the fixture's environments, used by the browser tests)


# ---- hostile inputs: METADATA, integration results, a previous state ----------------------

_FIELDS = st.sampled_from(["Summary", "License", "License-Expression", "Home-page",
                           "Classifier", "Provides-Extra", "Project-URL", "Name", "Version"])
_VALUES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"),
                  max_size=30) | st.sampled_from(
    ["https://x.test/a", "Changelog, https://x.test/c", "Homepage, https://x.test/h",
     "License :: OSI Approved :: MIT License", "javascript:alert(1)", "UNKNOWN", " tests"])


@settings(max_examples=1000, deadline=None)
@given(lines=st.lists(st.tuples(_FIELDS, _VALUES, st.booleans()), max_size=8),
       body=st.binary(max_size=20))
def test_metadata_read_fast_is_read_by_packaging(lines: list[tuple[str, str, bool]],
                                                 body: bytes) -> None:
    """Any METADATA header: the fast reader gives what packaging's parse_email gives, and
    what a page shows is one line of text and web links only."""
    head = "".join(f"{k}: {v}\n" + (" continued\n" if more else "") for k, v, more in lines)
    data = b"Metadata-Version: 2.4\n" + head.encode() + b"\n" + body
    meta = read_meta(data)
    assert meta == read_meta(data, plain=True)
    for text in (meta.summary, meta.license, meta.home, meta.changelog):
        assert "\n" not in text
    for url in (meta.home, meta.changelog, *(u for _label, u in meta.urls)):
        assert url == "" or url.lower().startswith(("http://", "https://"))


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(top=st.dictionaries(st.sampled_from(["format", "environment", "projects", "x"]), _JSON),
       projects=st.dictionaries(st.text(max_size=8), _JSON | st.fixed_dictionaries(
           {"outcome": st.text(max_size=8)}, optional={"version": _JSON, "detail": _JSON,
                                                       "tests": _JSON}), max_size=3))
def test_integration_results_are_read_or_refused(top: dict[str, object],
                                                 projects: dict[str, object]) -> None:
    """Any JSON: the pages' reader gives rows of one short line each, or one PublishError."""
    for doc in (top, {**INTEGRATION, **top}, {**INTEGRATION, "projects": projects}):
        try:
            results = integration.read_results(json.dumps(doc).encode(), "r.json")
        except PublishError as e:
            assert str(e).startswith("r.json: ")
            continue
        for row in results.projects.values():
            for text in (row.version, row.outcome, row.detail, row.tests, row.tests_detail):
                assert "\n" not in text and len(text) <= 160


def _state() -> bytes:
    meta = Meta(summary="s", license="MIT", home="https://x.test/", changelog="", urls=(),
                provides=("a",))
    lines = [Record(version="1", wheels=1, files="0f" * 8, source="0f" * 8, meta=meta,
                    page=Link("bafkrei" + "a" * 52, 9), deps=("y",) if name == "x" else (),
                    rdeps=("x",) if name == "y" else (), covers=(1, 0), tested="")
             .line(f"{prefix(name)}/{name}") for name in sorted(["x", "y"], key=prefix)]
    header = Header(layout=LAYOUT, manifest="sha256:" + "0" * 64, environments=("e",),
                    coverage=((2, 0),), names="sha256:" + "1" * 64, tested="",
                    links={"index.html": Link("bafkrei" + "b" * 52, 5)},
                    extra={"integration/e.json": Link("bafkrei" + "c" * 52, 7)}, dangling={})
    return render_state(header, lines)


_STATE = _state()


@settings(max_examples=400, deadline=None)
@given(at=st.integers(0, len(_STATE) - 1), byte=st.integers(0, 255),
       cut=st.integers(1, len(_STATE)))
def test_a_previous_state_is_read_or_refused(at: int, byte: int, cut: int) -> None:
    """A previous site.json with any byte changed, or cut short: read (each project's line
    checked when asked for), set aside (another format) or refused with one PublishError."""
    assert read_state(_STATE) is not None
    for data in (_STATE[:at] + bytes([byte]) + _STATE[at + 1:], _STATE[:cut]):
        try:
            state = read_state(data, "prev/site.json")
            if state is not None:
                for name in state.index:
                    state.record(name)
                    state.row(name)
                    state.page(name)
        except PublishError as e:
            assert str(e).startswith("prev/site.json: invalid site state")

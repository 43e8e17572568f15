"""``ipwhl add`` under the repository's ``max-wheel-size``: larger wheels are passed over.

The index gives each file's size (PEP 700, JSON pages): a wheel over the limit is not
downloaded, and pip's next choice (or none) is taken on the environments it would have
served.  An HTML page gives no size: the wheel is downloaded, found too large, and nothing
is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwhl_checks.cli import main as ipwhl
from ipwhl_checks.repo.layout import declaration_path

from .conftest import new_data_root, without_summary
from .indexserver import IndexServer, use_index
from .wheelmaker import make_wheel

LIMIT = 4000
SETTINGS = ("profile = 'unixfs-v1-2025'\npython = ['3.12']\n"
            "platforms = ['manylinux_2_28_x86_64', 'win_amd64']\n"
            f"max-wheel-size = {LIMIT}\n")
LINUX = "cp312-cp312-manylinux_2_28_x86_64"
OLD_LINUX = "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"
# name, version, tag, large: the large wheels hold 8 kB of incompressible bytes
CATALOGUE = [
    ("hefty", "1.0", LINUX, True),  # pip's choice on Linux, too large: the next one serves
    ("hefty", "1.0", OLD_LINUX, False),
    ("hefty", "1.0", "cp312-cp312-win_amd64", False),
    ("linuxbig", "1.0", LINUX, True),  # too large, nothing else for Linux
    ("linuxbig", "1.0", "cp312-cp312-win_amd64", False),
    ("huge", "2.0", "py3-none-any", True),  # only too large
    ("huge", "1.0", "py3-none-any", False),
    ("needshuge", "1.0", "py3-none-any", False),
]
NOISE = {"payload.bin": b"".join(hashlib.sha256(bytes([i])).digest() for i in range(256))}


def _wheels(directory: Path) -> list[Path]:
    wheels = []
    for name, version, tag, large in CATALOGUE:
        deps = ["huge"] if name == "needshuge" else []
        wheels.append(make_wheel(directory, name, version, tag=tag, dependencies=deps,
                                 files=NOISE if large else None))
    return wheels


def _index(tmp: Path, *, json: bool) -> Iterator[IndexServer]:
    with IndexServer(tmp / "index", json=json) as server:
        for wheel in _wheels(tmp / "w"):
            server.publish(wheel)
        yield server


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    yield from _index(tmp_path_factory.mktemp("size"), json=True)


@pytest.fixture(scope="module")
def html_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    yield from _index(tmp_path_factory.mktemp("size-html"), json=False)


def _root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer) -> Path:
    use_index(monkeypatch, tmp_path, index)
    return new_data_root(tmp_path, SETTINGS)


def _declared(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*.toml") if p.name != "repository.toml")


def _large(index: IndexServer) -> list[str]:
    found = [p.name for p in (index.root / "files").glob("*.whl")
             if p.stat().st_size > LIMIT]
    assert len(found) == 3  # the truth the cases stand on: the files themselves
    return found


def test_the_next_choice_serves_where_pip_s_is_too_large(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = _root(tmp_path, monkeypatch, index)
    assert ipwhl(["add", "--root", str(root), "hefty==1.0"]) == 0
    assert _declared(root) == [f"hefty-1.0-{OLD_LINUX}.toml",
                               "hefty-1.0-cp312-cp312-win_amd64.toml"]
    assert without_summary(capsys.readouterr().err) == ""
    assert not any(f"/files/{name}" in index.requests for name in _large(index))


def test_an_environment_only_a_large_wheel_serves_is_left_uncovered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = _root(tmp_path, monkeypatch, index)
    assert ipwhl(["add", "--root", str(root), "linuxbig==1.0"]) == 0
    assert _declared(root) == ["linuxbig-1.0-cp312-cp312-win_amd64.toml"]
    size = (index.root / "files" / f"linuxbig-1.0-{LINUX}.whl").stat().st_size
    assert without_summary(capsys.readouterr().err) == (
        "ipwhl add: warning: linuxbig 1.0: no wheel for cp312-manylinux_2_28_x86_64 (over the "
        f"repository's max-wheel-size of 4.0 kB: linuxbig-1.0-{LINUX}.whl "
        f"({size / 1000:.1f} kB))\n")


def test_a_release_of_only_large_wheels_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = _root(tmp_path, monkeypatch, index)
    assert ipwhl(["add", "--root", str(root), "huge==2.0"]) == 1
    size = (index.root / "files" / "huge-2.0-py3-none-any.whl").stat().st_size
    assert without_summary(capsys.readouterr().err) == (
        "ipwhl add: huge 2.0: no wheel for any supported environment (over the repository's "
        f"max-wheel-size of 4.0 kB: huge-2.0-py3-none-any.whl ({size / 1000:.1f} kB))\n")
    assert _declared(root) == []


def test_a_name_takes_the_newest_release_within_the_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = _root(tmp_path, monkeypatch, index)
    assert ipwhl(["add", "--root", str(root), "huge"]) == 0
    assert _declared(root) == ["huge-1.0-py3-none-any.toml"]
    assert without_summary(capsys.readouterr().err) == (
        "ipwhl add: warning: huge: took 1.0, the newest release with a wheel for every "
        "supported environment; skipped 2.0 (wheels over max-wheel-size 4.0 kB)\n")
    assert not any(f"/files/{name}" in index.requests for name in _large(index))


def test_a_name_takes_a_release_the_limit_leaves_partial(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    """No release of linuxbig has a Linux wheel within the limit: the newest is taken for
    the environments it covers (partial coverage)."""
    root = _root(tmp_path, monkeypatch, index)
    assert ipwhl(["add", "--root", str(root), "linuxbig"]) == 0
    assert _declared(root) == ["linuxbig-1.0-cp312-cp312-win_amd64.toml"]
    assert without_summary(capsys.readouterr().err).startswith(
        "ipwhl add: warning: linuxbig 1.0: no wheel for cp312-manylinux_2_28_x86_64 (over the "
        "repository's max-wheel-size of 4.0 kB: ")


def test_the_closure_takes_the_newest_release_within_the_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer) -> None:
    root = _root(tmp_path, monkeypatch, index)
    assert ipwhl(["add", "--root", str(root), "--recursive", "needshuge==1.0"]) == 0
    assert _declared(root) == ["huge-1.0-py3-none-any.toml", "needshuge-1.0-py3-none-any.toml"]


def test_without_sizes_on_the_page_the_download_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, html_index: IndexServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = _root(tmp_path, monkeypatch, html_index)
    assert ipwhl(["add", "--root", str(root), "huge==2.0"]) == 1
    size = (html_index.root / "files" / "huge-2.0-py3-none-any.whl").stat().st_size
    assert without_summary(capsys.readouterr().err) == (
        f"ipwhl add: huge 2.0: huge-2.0-py3-none-any.whl is {size / 1000:.1f} kB, more than "
        "the repository's max-wheel-size of 4.0 kB\n")
    assert not declaration_path(root, "huge-2.0-py3-none-any.whl").exists()

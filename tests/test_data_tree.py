"""The bundled repository in ``data/`` passes every offline check, as committed.

``data/`` is generated with ``ipwhl add --recursive`` (README, "The bundled repository");
this test keeps it green while it changes: the real ``ipwhl check`` over the committed
tree must report nothing, and the tree must stay the real, useful repository issue 7 asks
for (at least 150 projects, sources naming no host, this project's own dependencies in it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ipwhl_checks.checks.run import check_tree
from ipwhl_checks.cli import main
from ipwhl_checks.repo.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
MIN_PROJECTS = 150


def _declarations() -> list[Path]:
    return sorted(DATA.glob("*/*/*.toml"))


def _own_requirements() -> list[str]:
    """This project's build, runtime and test dependencies, read from pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        pyproject = tomllib.load(f)
    project = pyproject["project"]
    names = [*pyproject["build-system"]["requires"], *project["dependencies"],
             *project["optional-dependencies"]["test"]]
    return sorted({canonicalize_name(Requirement(n).name) for n in names})


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The offline check must not need the network: any connection attempt fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the offline check tried to connect: {args!r}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


def test_offline_check_of_committed_data_is_clean() -> None:
    assert [str(p) for p in check_tree(DATA)] == []


def test_cli_check_exits_zero_on_committed_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--root", str(DATA)]) == 0
    assert capsys.readouterr().out == ""


def test_data_is_a_real_repository() -> None:
    projects = {p.parent.name for p in _declarations()}
    assert len(projects) >= MIN_PROJECTS, sorted(projects)
    settings = load_settings(DATA)
    assert settings.profile == "unixfs-v1-2025"
    assert len(settings.environments) == 20


@pytest.mark.parametrize("project", _own_requirements())
def test_own_dependencies_are_in_the_repository(project: str) -> None:
    """This project's environment installs from its own published CID."""
    assert list(DATA.glob(f"*/{project}/*.toml")), project


def test_sources_name_no_host() -> None:
    """Every source refers to the user's index (``index:project/file``), never to a URL."""
    bad = []
    for path in _declarations():
        with path.open("rb") as f:
            source = tomllib.load(f)["source"]
        if not source.startswith(f"index:{path.parent.name}/"):
            bad.append(f"{path.relative_to(ROOT)}: {source}")
    assert bad == []


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="not a git checkout")
def test_no_declaration_is_ignored_by_git() -> None:
    """A project named like an ignore pattern (``build``) is still committed."""
    ignored = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--ignored", "--", "data"],
        capture_output=True, text=True, check=True).stdout
    assert [line for line in ignored.splitlines() if line.startswith("!!")] == []

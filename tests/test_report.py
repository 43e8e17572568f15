"""How problems reach people: one line per cause, root causes first, ids on every line.

A table of small trees written as real files, each with some declarations broken the way
a person breaks them (a mistyped key), checked by ``ipwhl check`` and by both pre-commit
hooks; then the case that asked for it, one typo in requests' declaration in a copy of
the bundled ``data/``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ipwhl_checks.checks.registry import all_checks
from ipwhl_checks.cli import main
from ipwhl_checks.commands.hooks import check_declarations_main, check_dependencies_main

from .declmaker import declaration, write_tree

ROOT = Path(__file__).resolve().parent.parent
ALL = "all 4 supported environments"  # CPython 3.11 and 3.12 on manylinux_2_28_x86_64, win_amd64
TYPO = "IW101 dependancies: unknown key, did you mean 'dependencies'?"
LINUX = "manylinux_2_28_x86_64"


def _path(filename: str) -> str:
    return str(declaration(filename).path)


def _wheels(project: str, version: str = "1.0", *, skip: tuple[str, ...] = ()) -> list[str]:
    return [f"{project}-{version}-cp3{m}-cp3{m}-{p}.whl" for m in (11, 12)
            for p in (LINUX, "win_amd64") if f"cp3{m}-{p}" not in skip]


LIB = "lib-1.0-py3-none-any.whl"
APP = "app-1.0-py3-none-any.whl"
TOOL = "tool-2.0-py3-none-any.whl"
LIB_311_WIN = "lib-1.0-cp311-cp311-win_amd64.whl"

# (id, {wheel: dependencies}, the wheels whose declaration has the typo, expected lines)
CASES = [
    ("a broken dependency is one line on it", {LIB: [], APP: ["lib"], TOOL: ["lib>=1"]}, [LIB], [
        f"{_path(LIB)}: {TYPO}",
        f"{_path(LIB)}: IW401 this declaration is invalid, so 'lib' is not in the repository "
        f"(on {ALL}), and 2 projects depend on it: app, tool"]),
    ("one broken wheel of several", {**{w: [] for w in _wheels("lib")}, APP: ["lib"]},
     [LIB_311_WIN], [
         f"{_path(LIB_311_WIN)}: {TYPO}",
         f"{_path(LIB_311_WIN)}: IW404 this declaration is invalid, so no declaration of 'lib' "
         "is installable (on cp311-win_amd64), and 1 project depends on it: app"]),
    ("a gap the broken wheel would not fill is reported as it is",
     {**{w: [] for w in _wheels("lib", skip=("cp312-win_amd64",))}, APP: ["lib"]},
     [LIB_311_WIN], [
         f"{_path(LIB_311_WIN)}: {TYPO}",
         f"{_path(LIB_311_WIN)}: IW404 this declaration is invalid, so no declaration of 'lib' "
         "is installable (on cp311-win_amd64), and 1 project depends on it: app",
         f"{_path(APP)}: IW404 dependency 'lib': no declaration of 'lib' is installable "
         "(on cp312-win_amd64)"]),
    ("every wheel broken", {**{w: [] for w in _wheels("lib")}, APP: ["lib"]}, _wheels("lib"), [
        f"{_path(_wheels('lib')[0])}: {TYPO}",
        f"{_path(_wheels('lib')[0])}: IW401 this and 3 other declarations of 'lib' are "
        f"invalid, so 'lib' is not in the repository (on {ALL}), and 1 project depends on it: "
        "app",
        *(f"{_path(w)}: {TYPO}" for w in _wheels("lib")[1:])]),
    ("many dependents are counted", {LIB: [], **{f"a{i}-1.0-py3-none-any.whl": ["lib"]
                                                 for i in range(7)}}, [LIB], [
        f"{_path(LIB)}: {TYPO}",
        f"{_path(LIB)}: IW401 this declaration is invalid, so 'lib' is not in the repository "
        f"(on {ALL}), and 7 projects depend on it: a0, a1, a2, a3, a4 and 2 more"]),
    ("the wheels of a release are one line", {w: ["missing"] for w in _wheels("app")}, [], [
        f"{_path(_wheels('app')[0])}: IW401 dependency 'missing': project 'missing' is not in "
        f"the repository (on {ALL}, in 4 declarations of 'app')"]),
    ("environments are named together",
     {w: ['pywin32; sys_platform == "win32"'] for w in _wheels("app")}, [], [
         f"{_path(_wheels('app')[1])}: IW401 dependency 'pywin32; sys_platform == \"win32\"': "
         "project 'pywin32' is not in the repository (on {cp311,cp312}-win_amd64, in 2 "
         "declarations of 'app')"]),
    ("root causes first", {APP: ["missing"], "zz-1.0-py3-none-any.whl": []},
     ["zz-1.0-py3-none-any.whl"], [
         f"{_path('zz-1.0-py3-none-any.whl')}: {TYPO}",
         f"{_path(APP)}: IW401 dependency 'missing': project 'missing' is not in the "
         f"repository (on {ALL})"]),
]


def _write(tmp_path: Path, wheels: dict[str, list[str]], broken: list[str]) -> Path:
    data = write_tree(tmp_path / "data", [declaration(w, dependencies=deps, root=".")
                                          for w, deps in wheels.items()])
    for wheel in broken:
        path = tmp_path / _path(wheel)
        path.write_text(path.read_text().replace("dependencies =", "dependancies ="))
    return data


@pytest.mark.parametrize(("wheels", "broken", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_one_line_per_cause(tmp_path, monkeypatch, capsys, wheels, broken, expected):
    _write(tmp_path, wheels, broken)
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines() == expected
    # the hooks print the same lines: each its own part of them, in the same order
    assert check_dependencies_main([]) == 1
    assert capsys.readouterr().out.splitlines() == [e for e in expected if ": IW4" in e]
    if broken:
        assert check_declarations_main([_path(w) for w in broken]) == 1
        assert capsys.readouterr().out.splitlines() == [e for e in expected if ": IW1" in e]


def test_a_misnamed_declaration_is_the_cause_too(tmp_path, monkeypatch, capsys):
    """A declaration whose file name is not a wheel's (IW202) declares no wheel, but its
    directory says which project it was meant for."""
    data = _write(tmp_path, {LIB: [], APP: ["lib"]}, [])
    misnamed = Path(_path(LIB)).with_name("lib-1.0.toml")
    (tmp_path / _path(LIB)).rename(tmp_path / misnamed)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--root", data.name]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{misnamed}: IW202 not named <wheel-stem>.toml after a wheel: Invalid wheel filename "
        "(wrong number of parts): 'lib-1.0'",
        f"{misnamed}: IW401 this declaration is invalid, so 'lib' is not in the repository "
        f"(on {ALL}), and 1 project depends on it: app"]


def test_json_has_one_object_per_line_of_text(tmp_path, monkeypatch, capsys):
    _write(tmp_path, {**{w: [] for w in _wheels("lib")}, APP: ["lib"]}, [LIB_311_WIN])
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("[{") and out.endswith("}]\n")
    assert len(out.splitlines()) == 2  # one object per line: grep and diff still work
    assert json.loads(out) == [
        {"path": _path(LIB_311_WIN), "id": "IW101", "project": "lib", "environments": [],
         "message": TYPO.removeprefix("IW101 ")},
        {"path": _path(LIB_311_WIN), "id": "IW404", "project": "lib",
         "environments": ["cp311-win_amd64"],
         "message": "this declaration is invalid, so no declaration of 'lib' is installable "
                    "(on cp311-win_amd64), and 1 project depends on it: app"},
    ]


def test_json_of_a_clean_tree_is_an_empty_array(tmp_path, monkeypatch, capsys):
    _write(tmp_path, {LIB: []}, [])
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_list_checks(capsys):
    assert main(["check", "--list-checks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(all_checks())
    assert lines[1] == "IW101 unknown key: the declaration has a key the schema does not know."
    assert "IW404 not installable: the repository has the project, but no wheel of it " \
           "installs on an environment where the dependency is needed." in lines
    assert main(["check", "--explain", "iw101"]) == 0  # ids are not case-sensitive
    assert capsys.readouterr().out.startswith("IW101 unknown key")


# --- the issue's case: one typo in requests' declaration, on the bundled tree -------------

REQUESTS = "data/7c/requests/requests-2.34.2-py3-none-any.toml"


@pytest.fixture(scope="module")
def typo_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled tree where requests says ``dependancies``."""
    top = tmp_path_factory.mktemp("typo")
    shutil.copytree(ROOT / "data", top / "data")
    path = top / REQUESTS
    path.write_text(path.read_text().replace("\ndependencies =", "\ndependancies ="))
    return top


def test_one_typo_in_requests_is_two_lines(typo_tree, monkeypatch, capsys):
    """It was 24: the typo sorted into the middle of 23 lines saying, of the projects that
    depend on requests (tiktoken once per wheel), that requests is not in the repository."""
    monkeypatch.chdir(typo_tree)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert f"```text\n{out}```\n" in (ROOT / "README.md").read_text()  # as the README shows
    assert out.splitlines() == [
        f"{REQUESTS}: {TYPO}",
        f"{REQUESTS}: IW401 this declaration is invalid, so 'requests' is not in the "
        "repository (on all 20 supported environments), and 32 projects depend on it: "
        "adal, axiom-py, azure-core, cachecontrol, cohere and 27 more"]

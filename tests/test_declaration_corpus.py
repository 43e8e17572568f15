"""The corpus of bad and good data trees in tests/data/declarations (see make_corpus.py).

One table, four ways in: the library (:func:`check_tree`), the command (``ipwhl check``
through ``cli.main``), its ``--format json`` and the per-file pre-commit hook.  Each bad
case asserts the exact lines, written by hand in ``expected.txt``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from ipwhl_checks.checks.run import check_tree
from ipwhl_checks.cli import main
from ipwhl_checks.commands.hooks import check_declarations_main

CORPUS = Path(__file__).parent / "data" / "declarations"
BAD = sorted(p.name for p in (CORPUS / "bad").iterdir())
GOOD = sorted(p.name for p in (CORPUS / "good").iterdir())


def _tree(kind: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Copy the case to tmp_path, chdir there; return its expected lines."""
    shutil.copytree(CORPUS / kind / name / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    expected = CORPUS / kind / name / "expected.txt"
    return expected.read_text(encoding="utf-8").splitlines() if expected.exists() else []


def test_the_corpus_is_big_enough():
    assert len(BAD) >= 30
    assert len(GOOD) >= 5
    for name in BAD:
        assert (CORPUS / "bad" / name / "expected.txt").read_text().strip(), name


@pytest.mark.parametrize("name", BAD)
def test_bad_tree_problems(name, tmp_path, monkeypatch):
    expected = _tree("bad", name, tmp_path, monkeypatch)
    assert [str(p) for p in check_tree(Path("data"))] == expected


@pytest.mark.parametrize("name", BAD)
def test_bad_tree_command(name, tmp_path, monkeypatch, capsys):
    expected = _tree("bad", name, tmp_path, monkeypatch)
    assert main(["check"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == expected
    assert err == ""


@pytest.mark.parametrize("name", BAD)
def test_bad_tree_json(name, tmp_path, monkeypatch, capsys):
    """The same problems, in the same order, one JSON object each: the line is
    ``path: id message``; the project is the wheel's the file is named after, else its
    directory's, and none for a file outside a project directory."""
    expected = _tree("bad", name, tmp_path, monkeypatch)
    assert main(["check", "--format", "json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert [f"{o['path']}: {o['id']} {o['message']}" for o in found] == expected
    for o in found:
        assert list(o) == ["path", "id", "project", "environments", "message"]
        assert o["project"] == _project(o["path"])
        assert o["environments"] == []


def _project(path: str) -> str | None:
    parts = path.split("/")  # data/<prefix>/<project>/<stem>.toml
    if len(parts) != 4:
        return None
    try:
        return parse_wheel_filename(parts[3].removesuffix(".toml") + ".whl")[0]
    except InvalidWheelFilename:
        return canonicalize_name(parts[2])


@pytest.mark.parametrize("name", BAD)
def test_bad_tree_per_file_hook(name, tmp_path, monkeypatch, capsys):
    expected = _tree("bad", name, tmp_path, monkeypatch)
    files = sorted({line.split(": ", 1)[0] for line in expected})
    assert check_declarations_main(files) == 1
    assert capsys.readouterr().out.splitlines() == expected


@pytest.mark.parametrize("name", GOOD)
def test_good_tree(name, tmp_path, monkeypatch, capsys):
    _tree("good", name, tmp_path, monkeypatch)
    assert check_tree(Path("data")) == []
    assert main(["check"]) == 0
    files = [str(p) for p in Path("data").rglob("*.toml") if p.name != "repository.toml"]
    assert check_declarations_main(files) == 0
    assert capsys.readouterr().out == ""


def test_bad_file_among_good_ones_is_reported_alone(tmp_path, monkeypatch, capsys):
    """The checks of one file do not stop the others (every problem of the tree is found)."""
    _tree("good", "extras-and-markers", tmp_path, monkeypatch)
    bad = Path("data/78/x/x-1.0-py3-none-any.toml")
    bad.parent.mkdir(parents=True)
    bad.write_text("source = 'index:x/x-1.0-py3-none-any.whl'\ncontent-id = 'nope'\n")
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{bad}: IW104 content-id: 'nope' is not a CID (No known multibase code is a prefix "
        "of the given string.)"]

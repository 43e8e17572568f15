"""The canonical formatter: golden before/after files, the fixer contract, atomic writes.

The golden files in tests/data/declarations/fmt were written by hand from the rules in
``ipwhl_checks.repo.fmt``; the meaning of each output is checked with ``tomllib`` (the reader
the checks use, independent of tomlkit, which writes).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from ipwhl_checks.cli import main
from ipwhl_checks.errors import DeclarationError
from ipwhl_checks.repo.fmt import format_file, format_text, render, write_declaration

from .conftest import ipwhl_argv, umask

GOLDEN = Path(__file__).parent / "data" / "declarations" / "fmt"
CASES = sorted(p.name for p in GOLDEN.iterdir())
CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
DECL = "data/78/x/x-1.0-py3-none-any.toml"


def _golden(name: str) -> tuple[str, str]:
    before = (GOLDEN / name / "before.toml").read_bytes().decode("utf-8")
    after = (GOLDEN / name / "after.toml").read_bytes().decode("utf-8")
    return before, after


@pytest.mark.parametrize("name", CASES)
def test_golden(name):
    before, after = _golden(name)
    assert format_text(before) == after
    assert format_text(after) == after  # canonical text is a fixed point


@pytest.mark.parametrize("name", CASES)
def test_formatting_keeps_the_meaning(name):
    before, after = _golden(name)
    old, new = tomllib.loads(before), tomllib.loads(after)
    assert new["source"] == old["source"] and new["content-id"] == old["content-id"]
    assert sorted(set(new["extras"])) == new["extras"] == sorted(set(old.get("extras", [])))
    if "requires-python" in old:
        try:
            assert SpecifierSet(new["requires-python"]) == SpecifierSet(old["requires-python"])
        except ValueError:
            assert new["requires-python"] == old["requires-python"]
    assert list(new) == [k for k in ("source", "content-id", "requires-python", "extras",
                                     "dependencies") if k in new]

    def meaning(texts: list[str]) -> set[str]:
        out = set()
        for text in texts:
            try:
                out.add(str(Requirement(text)))
            except ValueError:
                out.add(text)
        return out

    assert meaning(new["dependencies"]) == meaning(old.get("dependencies", []))


def test_render_accepts_packaging_objects():
    text = render("https://example.invalid/x", CID, SpecifierSet(">=3.8"), ["b", "a"],
                  [Requirement("idna >= 2"), "certifi"])
    assert text == (
        f"source = 'https://example.invalid/x'\ncontent-id = '{CID}'\n"
        "requires-python = '>=3.8'\nextras = ['a', 'b']\n"
        "dependencies = [\n    'certifi',\n    'idna>=2',\n]\n")


@pytest.mark.parametrize(("text", "message"), [
    ("source = 'x\n", "cannot format: invalid TOML: Expected \"'\" (at end of document)"),
    (f"source = 'x'\ncontentid = '{CID}'\n", "cannot format: unknown key 'contentid'"),
    (f"source = 1\ncontent-id = '{CID}'\n", "cannot format: source must be a string"),
    (f"source = 'x'\ncontent-id = '{CID}'\nrequires-python = 3\n",
     "cannot format: requires-python must be a string"),
    (f"source = 'x'\ncontent-id = '{CID}'\nextras = 'a'\n",
     "cannot format: extras must be an array of strings"),
    (f"source = 'x'\ncontent-id = '{CID}'\ndependencies = [1]\n",
     "cannot format: dependencies must be an array of strings"),
    ("source = 'x'\n", "cannot format: content-id must be a string"),
])
def test_what_cannot_be_formatted(text, message):
    with pytest.raises(DeclarationError) as e:
        format_text(text)
    assert str(e.value) == message


def test_format_file_rewrites_atomically_and_keeps_the_mode(tmp_path):
    before, after = _golden("key-order")
    path = tmp_path / "x-1.0-py3-none-any.toml"
    path.write_text(before)
    path.chmod(0o640)
    assert format_file(path, write=False) is True
    assert path.read_text() == before
    assert format_file(path) is True
    assert path.read_text() == after
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left behind
    mtime = path.stat().st_mtime_ns
    assert format_file(path) is False
    assert path.stat().st_mtime_ns == mtime  # a canonical file is not written at all


def test_format_file_refuses_a_bad_file_and_leaves_it(tmp_path):
    path = tmp_path / "x.toml"
    path.write_bytes(b"source = '\xff'\n")
    with pytest.raises(DeclarationError, match=r"x\.toml: cannot format: not UTF-8 text$"):
        format_file(path)
    assert path.read_bytes() == b"source = '\xff'\n"


def test_write_declaration_creates_directories_and_reports_changes(tmp_path):
    path = tmp_path / "data/78/x/x-1.0-py3-none-any.toml"
    values = {"source": "https://example.invalid/x", "content_id": CID,
              "dependencies": ["idna"]}
    assert write_declaration(path, **values) is True
    assert write_declaration(path, **values) is False
    assert tomllib.loads(path.read_text()) == {
        "source": "https://example.invalid/x", "content-id": CID, "extras": [],
        "dependencies": ["idna"]}


def _fmt_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / DECL
    path.parent.mkdir(parents=True)
    (tmp_path / "data/repository.toml").write_text("profile = 'unixfs-v1-2025'\n")
    shutil.copy(GOLDEN / "key-order" / "before.toml", path)
    return path


def test_fmt_command_is_a_fixer(tmp_path, monkeypatch, capsys):
    path = _fmt_tree(tmp_path, monkeypatch)
    settings = (tmp_path / "data/repository.toml").read_text()
    assert main(["fmt", "--check"]) == 1
    assert capsys.readouterr().out == f"{DECL}: not in canonical form\n"
    assert main(["fmt"]) == 1  # rewrote a file: fail, like pre-commit's fixers
    assert capsys.readouterr().out == f"{DECL}: reformatted\n"
    assert path.read_text() == _golden("key-order")[1]
    assert main(["fmt", DECL]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "data/repository.toml").read_text() == settings  # not a declaration


def test_fmt_command_reports_what_it_cannot_format(tmp_path, monkeypatch, capsys):
    path = _fmt_tree(tmp_path, monkeypatch)
    path.write_text("source = [\n")
    assert main(["fmt", DECL]) == 1
    out, err = capsys.readouterr()
    assert out == (f"{DECL}: cannot format: invalid TOML: Invalid value "
                   "(at end of document)\n")
    assert err == ""
    assert main(["fmt", "data/nope.toml"]) == 2
    assert "no such file or directory: 'data/nope.toml'" in capsys.readouterr().err
    (tmp_path / "README.md").write_text("# not a declaration\n")
    assert main(["fmt", "README.md"]) == 2
    assert capsys.readouterr().err == ("ipwhl fmt: error: not a declaration (a .toml file) "
                                       "or a directory: 'README.md'\n")


def test_fmt_command_on_a_full_disk_leaves_the_file(tmp_path, monkeypatch):
    path = _fmt_tree(tmp_path, monkeypatch)
    dependencies = "".join(f'"dependency-number-{i}>=1.0" ,' for i in range(40))
    text = (f"content-id = '{CID}'\nsource = 'index:x/x-1.0-py3-none-any.whl'\n"
            f"extras = []\ndependencies = [{dependencies}]\n")  # its canonical form > 1 KiB
    path.write_text(text)
    done = subprocess.run(ipwhl_argv("fmt", small_files=True), capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (
        1, f"{DECL}: cannot write (File too large)\n", "")
    assert path.read_text() == text
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


@pytest.mark.parametrize("mask", [0o027, 0o002, 0o077])
def test_fmt_keeps_the_mode_of_the_files_it_rewrites(tmp_path, monkeypatch, capsys, mask):
    """fmt creates no file: the one it rewrites (a new file renamed over it) keeps its
    permissions, whatever the umask, as an editor's save would."""
    path = _fmt_tree(tmp_path, monkeypatch)
    path.chmod(0o664)
    with umask(mask):
        assert main(["fmt"]) == 1  # it rewrote the file
    assert capsys.readouterr().out == f"{DECL}: reformatted\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    assert os.listdir(path.parent) == [path.name]

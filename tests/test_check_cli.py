"""The ``ipwhl check`` contract (paths, exit codes, output lines), the hook entry points,
the check registry, and one test that keeps the README, the hooks file and the console
scripts listing the same things."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from ipwhl_checks.checks.registry import all_checks, explain
from ipwhl_checks.cli import main
from ipwhl_checks.commands.hooks import check_declarations_main, check_dependencies_main

from .conftest import ROOT, run_ipwhl

CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
SETTINGS = "profile = 'unixfs-v1-2025'\npython = ['3.12']\nplatforms = ['win_amd64']\n"
A = "data/61/a/a-1.0-py3-none-any.toml"
A2 = "data/61/a/a-2.0-py3-none-any.toml"
B = "data/62/b/b-1.0-py3-none-any.toml"
C = "data/63/c/c-1.0-py3-none-any.toml"


def _declaration(path: str, dependencies: str = "[]") -> str:
    """The declaration at *path*, its source the URL of its wheel."""
    stem = Path(path).stem
    return (f"source = 'https://example.invalid/{stem}.whl'\ncontent-id = '{CID}'\n"
            f"extras = []\ndependencies = {dependencies}\n")


def _tree(root: Path, files: dict[str, str]) -> None:
    (root / "data").mkdir()
    (root / "data/repository.toml").write_text(SETTINGS)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """a and b are bad files; c is valid but depends on a project the tree lacks."""
    _tree(tmp_path, {A: "source = 'x'\n", B: "source = 2\ncontent-id = 'x'\n",
                     C: _declaration(C, "['d']")})
    monkeypatch.chdir(tmp_path)
    return tmp_path


MISSING_D = f"{C}: IW401 dependency 'd': project 'd' is not in the repository (on cp312-win_amd64)"


def test_whole_tree(tree, capsys):
    assert main(["check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{A}: IW102 content-id: missing required key",
        f"{A}: IW103 source: invalid source 'x' (expected 'index:PROJECT/FILENAME' or an "
        "absolute https, http or file URL)",
        f"{B}: IW103 source: expected a string, got an integer",
        f"{B}: IW104 content-id: 'x' is not a CID (No known multibase code is a prefix of the "
        "given string.)",
        MISSING_D,
    ]


def test_paths_limit_the_file_checks_but_not_the_dependency_check(tree, capsys):
    assert main(["check", A]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{A}: IW102 content-id: missing required key",
        f"{A}: IW103 source: invalid source 'x' (expected 'index:PROJECT/FILENAME' or an "
        "absolute https, http or file URL)", MISSING_D]
    assert main(["check", "data/62"]) == 1  # a directory: every file under it
    assert capsys.readouterr().out.splitlines()[-1] == MISSING_D


def test_root_option_and_clean_exit(tmp_path, capsys):
    _tree(tmp_path, {A: _declaration(A)})
    assert main(["check", "--root", str(tmp_path / "data")]) == 0
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(("argv", "message"), [
    (["check", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["check", "data/61/a/missing.toml"], "no such file or directory: 'data/61/a/missing.toml'"),
    (["check", "--root", "nowhere"], "the data root is not a directory: 'nowhere'"),
    (["check", "--explain", "IW111"], "unknown check id 'IW111'; did you mean 'IW110' or "
     "'IW101' or 'IW501'? ('ipwhl check --list-checks' lists them)"),
    (["check", "--explain", "IW999"], "unknown check id 'IW999'; did you mean 'IW109'? "
     "('ipwhl check --list-checks' lists them)"),
    (["check", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
])
def test_usage_errors_exit_2(tree, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_path_outside_the_root_is_a_usage_error(tree, tmp_path, capsys):
    (tmp_path / "elsewhere.toml").write_text("")
    assert main(["check", "elsewhere.toml"]) == 2
    assert "not under the data root 'data': 'elsewhere.toml'" in capsys.readouterr().err


def test_bad_settings_is_one_line_without_traceback(tmp_path):
    _tree(tmp_path, {})
    (tmp_path / "data/repository.toml").write_text("profile = 'unixfs-v3'\n")
    result = run_ipwhl("check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == ("ipwhl check: data/repository.toml: unknown profile "
                             "'unixfs-v3' (expected unixfs-v0-2015 or unixfs-v1-2025)\n")


def test_malformed_files_never_give_a_traceback(tmp_path):
    _tree(tmp_path, {A: "\x00\x01 = [[[", B: "", "data/62/b/b-1.0-py3-none-any.whl": "PK"})
    (tmp_path / "data/zz.toml").write_bytes(b"\xff\xfe")
    result = run_ipwhl("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stdout.splitlines()) == 5


def test_per_file_hook_reads_only_the_projects_it_is_given(tmp_path, monkeypatch, capsys):
    _tree(tmp_path, {A: _declaration(A), A2: _declaration(A2), B: "garbage",
                     C: _declaration(C, "['d']")})
    monkeypatch.chdir(tmp_path)
    assert check_declarations_main([A2]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{A}: IW302 installable together with '{A2}' on cp312-any"]
    assert check_declarations_main([C, "data/gone.toml"]) == 0  # deleted files: nothing
    assert check_declarations_main([]) == 0


def test_dependency_hook_reports_dependencies_only(tree, capsys):
    assert check_dependencies_main(["--root", "data"]) == 1
    assert capsys.readouterr().out.splitlines() == [MISSING_D]


def test_every_check_is_documented():
    checks = all_checks()
    assert {"IW100", "IW108", "IW201", "IW205", "IW301", "IW401"} <= set(checks)
    for check in checks:
        assert re.fullmatch(r"IW[1-5]\d\d", check)
        text = explain(check)
        assert text.startswith(f"{check} ")
        assert "Why" in text and "Fix" in text, check


def test_every_check_id_has_one_owner():
    # the registry merges the modules' tables: an id two modules claim would hide one check
    # (IW109 was claimed by the integration file and by the source check on two branches)
    from ipwhl_checks.checks import clash, deps, online, overlap
    from ipwhl_checks.repo import declaration, integration, layout

    owners: dict[str, list[str]] = {}
    for module in (declaration, layout, overlap, deps, online, clash, integration):
        for check in module.CHECKS:
            owners.setdefault(check, []).append(module.__name__)
    assert {c: o for c, o in owners.items() if len(o) > 1} == {}
    assert set(owners) == set(all_checks())


def test_explain(capsys):
    assert main(["check", "--explain", "IW101"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("IW101 unknown key: the declaration has a key the schema does not")
    assert "\nWhy: a misspelt key" in out


def test_readme_hooks_and_scripts_agree():
    readme = (ROOT / "README.md").read_text()
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert [h["id"] for h in hooks] == [
        "ipwhl-format", "ipwhl-check", "ipwhl-dependencies", "ipwhl-sources"]
    for hook in hooks:
        assert hook["id"].startswith("ipwhl-")
        assert f"`{hook['id']}`" in readme, hook["id"]
        assert hook["entry"].split()[0] in scripts, hook["entry"]
    assert next(h for h in hooks if h["id"] == "ipwhl-dependencies")["pass_filenames"] is False
    for check in all_checks():
        assert f"`{check}`" in readme, check
    listed = set(re.findall(r"`(IW\d\d\d)`", readme))
    assert listed == set(all_checks())


def test_online_flag_calls_the_online_checks(tmp_path, capsys):
    _tree(tmp_path, {})  # no declarations: nothing to download, no network
    assert main(["check", "--online", "--root", str(tmp_path / "data")]) == 0
    assert capsys.readouterr().out == ""


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # reading it would wait for a writer that never comes


def _symlink(path: Path) -> None:
    target = path.parent.parent.parent / "elsewhere.toml"
    target.write_text(_declaration(A))
    path.symlink_to(target)  # git would commit the link, not the declaration


def _symlinked_project(path: Path) -> None:
    target = path.parent.parent.parent / "elsewhere"
    target.mkdir()
    (target / path.name).write_text(_declaration(A))
    path.parent.symlink_to(target, target_is_directory=True)


SPECIAL = [  # (what to make, where, the command, where it speaks, what it says first)
    (_fifo, A, ["check"], "stdout", f"{A}: IW100 cannot read (not a regular file)"),
    (_fifo, A, ["fmt"], "stdout", f"{A}: cannot read (not a regular file)"),
    (_fifo, A, ["publish"], "stderr", f"ipwhl publish: {A}: cannot read (not a regular file)"),
    (_fifo, "data/repository.toml", ["check"], "stderr",
     "ipwhl check: data/repository.toml: cannot read settings (not a regular file)"),
    (_symlink, A, ["check"], "stdout", f"{A}: IW100 cannot read (is a symbolic link)"),
    (_symlink, A, ["fmt"], "stdout", f"{A}: cannot read (is a symbolic link)"),
    (_symlink, A, ["publish"], "stderr", f"ipwhl publish: {A}: cannot read (is a symbolic link)"),
    (_symlinked_project, A, ["check"], "stdout", "data/61/a: IW201 stray file"),
    (_symlinked_project, A, ["publish"], "stderr", "ipwhl publish: data/61/a: IW201 stray file"),
]


@pytest.mark.parametrize(("make", "where", "command", "stream", "says"), SPECIAL, ids=[
    "fifo-check", "fifo-fmt", "fifo-publish", "fifo-settings", "symlink-check", "symlink-fmt",
    "symlink-publish", "symlinked-project-check", "symlinked-project-publish"])
def test_what_is_not_a_regular_file_in_the_tree_is_reported(tmp_path, make, where, command,
                                                            stream, says):
    """Not waited on (a FIFO), not followed (a symbolic link: a publish from the commit
    refuses it, so the checks before the commit do too)."""
    _tree(tmp_path, {C: _declaration(C)})
    (tmp_path / where).unlink(missing_ok=True)
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    if make is _symlinked_project:
        (tmp_path / where).parent.rmdir()
    make(tmp_path / where)
    done = subprocess.run([sys.executable, "-m", "ipwhl_checks", *command], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert getattr(done, stream).splitlines()[0].startswith(says)

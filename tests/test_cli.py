"""The ``ipwhl`` dispatcher: commands, their help and examples, usage errors, and the data
tree found from any directory of the data repository."""

from __future__ import annotations

import argparse
import importlib
import shlex
import subprocess
from pathlib import Path

import pytest

from ipwhl_checks.cli import COMMANDS, EXAMPLES, main
from ipwhl_checks.commands._common import find_root
from ipwhl_checks.commands.hooks import check_declarations_main, check_dependencies_main
from ipwhl_checks.errors import UsageError

from .conftest import ipwhl_argv, run_ipwhl
from .declmaker import declaration, write_tree


def test_help_lists_every_command():
    out = run_ipwhl("--help").stdout
    for name in COMMANDS:
        assert name in out
    assert "examples:\n  ipwhl add --recursive" in out


@pytest.mark.parametrize(("typed", "hint"), [
    ("chek", "did you mean 'check'?"),
    ("lcok", "did you mean 'lock'?"),
    ("publsh", "did you mean 'publish'?"),
    ("verfiy", "did you mean 'verify'?"),
    ("nonsense", "the commands are: check, fmt, resolve, cid, car, add, outdated, upgrade, "
                 "coverage, "
                 "publish, release, verify, serve, lock, use, diff, integrate"),
])
def test_unknown_command_says_what_was_meant(capsys, typed, hint):
    assert main([typed, "--root", "data"]) == 2
    usage, error = capsys.readouterr().err.splitlines()
    assert usage.startswith("usage: ipwhl ")
    assert error == f"ipwhl: error: unknown command {typed!r}; {hint}"


def test_every_command_has_examples():
    assert set(EXAMPLES) == set(COMMANDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_examples_parse_and_are_in_the_help(name, capsys):
    """Each example is a command line the command's own parser takes (a shell redirection
    aside), and ``--help`` ends with them."""
    module = importlib.import_module(f"ipwhl_checks.commands.{COMMANDS[name][0]}")
    parser = argparse.ArgumentParser(prog=f"ipwhl {name}", exit_on_error=False)
    module.add_arguments(parser)
    for line, what in EXAMPLES[name]:
        words = shlex.split(line)
        assert words[:2] == ["ipwhl", name] and what
        if ">" in words:
            words = words[: words.index(">")]
        parser.parse_args(words[2:])  # raises (or exits) if it does not
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert "\nexamples:\n" in out
    for line, _what in EXAMPLES[name]:
        assert f"  {line}" in out


@pytest.mark.parametrize("hook", [check_declarations_main, check_dependencies_main])
def test_hooks_help_has_an_example(hook, capsys):
    assert hook(["--help"]) == 0
    assert "\nexample:\n  ipwhl-check-" in capsys.readouterr().out


# --- usage errors: exit code 2, one line ---------------------------------------------------

CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
USAGE = [
    (["car", "site"], "ipwhl car: error: missing -o OUT.car (or use --verify FILE.car)"),
    (["car", "--verify", "x.car", "-o", "y.car"], "ipwhl car: error: --verify takes a CAR file "
     "and no -o"),
    (["add", "--index-url", "http://127.0.0.1:9/", "demo>>1"], "ipwhl add: error: 'demo>>1' "
     "is not a SPEC: expected NAME, NAME==VERSION, NAME[EXTRA]>=VERSION..., a wheel URL or a "
     "local wheel file ("),
    (["add", "--index-url", "http://127.0.0.1:9/", "demo=="], "ipwhl add: error: 'demo==' "
     "is not a SPEC: expected NAME, NAME==VERSION, NAME[EXTRA]>=VERSION..., a wheel URL or a "
     "local wheel file ("),
    (["add", "--index-url", "http://127.0.0.1:9/", "demo==1; os_name == 'nt'"], "ipwhl add: "
     "error: \"demo==1; os_name == 'nt'\" is not a SPEC: a project SPEC names no URL or marker"),
    (["resolve", "--env", "bogus", "demo"], "ipwhl resolve: error: unknown environment "
     "'bogus' (expected one of: cp311-manylinux_2_28_x86_64"),
    (["resolve", "--env", "cp312-beos_x86", "demo"], "ipwhl resolve: error: unknown "
     "environment 'cp312-beos_x86': unknown platform 'beos_x86'"),
    # before anything is fetched: no gateway listens on port 9
    (["lock", "--cid", CID, "--gateway", "http://127.0.0.1:9", "--env", "bogus", "demo"],
     "ipwhl lock: error: unknown environment 'bogus' (expected one of: "),
    (["check", "--root", "nowhere"], "ipwhl check: error: the data root is not a directory: "
     "'nowhere'"),
]


@pytest.mark.parametrize(("argv", "message"), USAGE, ids=[" ".join(u[0]) for u in USAGE])
def test_usage_errors_exit_2(tmp_path, monkeypatch, capsys, argv, message):
    write_tree(tmp_path / "data", [])
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(message) and len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # nothing written


# --- the data tree, found from any directory of the data repository -----------------------

def _repository(top: Path, git: bool) -> Path:
    top.mkdir()
    if git:
        subprocess.run(["git", "init", "-q", str(top)], check=True)
    bad = declaration("lib-1.0-py3-none-any.whl", root=".")
    write_tree(top / "data", [declaration("app-1.0-py3-none-any.whl", root=".",
                                          dependencies=["lib"]), bad])
    path = top / "data" / bad.path
    path.write_text(path.read_text().replace("content-id", "contentid"))
    (top / "docs" / "notes").mkdir(parents=True)
    return top


# (a git repository?, where from, the data root found, or the error)
WHERE = [
    (True, ".", "data"),
    (True, "data", "."),
    (True, "data/37/lib", "../.."),
    (True, "docs/notes", "../../data"),
    (False, ".", "data"),
    (False, "docs/notes", "no data tree: no 'data' directory in the current directory (not in "
                          "a git work tree); give one with --root DIR"),
]


@pytest.mark.parametrize(("git", "where", "found"), WHERE)
def test_find_root(tmp_path, monkeypatch, git, where, found):
    top = _repository(tmp_path / "repo", git)
    monkeypatch.chdir(top / where)
    if found.startswith("no data tree"):
        with pytest.raises(UsageError) as caught:
            find_root()
        assert str(caught.value) == found
    else:
        assert find_root() == Path(found)


def test_the_search_stops_at_the_git_top_level(tmp_path, monkeypatch):
    """A repository inside another (a submodule: ``.git`` is a file) is a world of its own:
    the outer repository's data tree is not this one's."""
    top = _repository(tmp_path / "repo", True)
    inner = top / "docs" / "inner"
    (inner / "sub").mkdir(parents=True)
    (inner / ".git").write_text("gitdir: ../../.git/modules/inner\n")
    monkeypatch.chdir(inner / "sub")
    with pytest.raises(UsageError) as caught:
        find_root()
    assert str(caught.value) == (f"no data tree: no 'data' directory here or above, up to the "
                                 f"git top level {str(inner)!r}; give one with --root DIR")


def test_commands_run_from_inside_the_data_tree(tmp_path):
    """The issue's case: from data/7c/, every command said "the data root is not a
    directory: 'data'".  Now they find it, and name files relative to where they run."""
    top = _repository(tmp_path / "repo", True)
    here = top / "data" / "37"
    lib = "lib/lib-1.0-py3-none-any.toml"
    done = subprocess.run(ipwhl_argv("check"), cwd=here, capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines() == [
        f"../37/{lib}: IW101 contentid: unknown key, did you mean 'content-id'?",
        f"../37/{lib}: IW102 content-id: missing required key",
        f"../37/{lib}: IW401 this declaration is invalid, so 'lib' is not in the repository "
        "(on all 4 supported environments), and 1 project depends on it: app"]
    assert subprocess.run(ipwhl_argv("check", lib), cwd=here, capture_output=True, text=True,
                          timeout=60).stdout == done.stdout
    fmt = subprocess.run(ipwhl_argv("fmt", "--check"), cwd=top / "docs", capture_output=True,
                         text=True, timeout=60)
    assert fmt.stdout.startswith("../data/")
    resolve = subprocess.run(ipwhl_argv("resolve", "--env", "cp312-win_amd64", "app"),
                             cwd=here, capture_output=True, text=True, timeout=60)
    assert "left out 1 invalid file of '..'" in resolve.stderr


def test_hooks_find_the_data_tree_too(tmp_path, monkeypatch, capsys):
    top = _repository(tmp_path / "repo", True)
    monkeypatch.chdir(top / "docs" / "notes")
    assert check_dependencies_main([]) == 1
    assert capsys.readouterr().out.startswith(
        "../../data/37/lib/lib-1.0-py3-none-any.toml: IW401 this declaration is invalid")
    monkeypatch.chdir(tmp_path)  # not in a git work tree, and no data/ here
    assert check_dependencies_main([]) == 2
    assert capsys.readouterr().err == (
        "ipwhl-check-dependencies: error: no data tree: no 'data' directory in the current "
        "directory (not in a git work tree); give one with --root DIR\n")

"""``ipwhl cid``: the single line ``ipfs add -Q --only-hash [-r] PATH`` prints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ipwhl_checks.cli import main

from .conftest import run_ipwhl

V0, V1 = "unixfs-v0-2015", "unixfs-v1-2025"
HELLO = {V0: "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD",
         V1: "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"}
EMPTY_DIR = {V0: "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn",
             V1: "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"}


@pytest.fixture
def hello(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "hello"
    path.write_bytes(b"hello world")
    return path


@pytest.mark.parametrize("profile", [V0, V1])
def test_prints_one_line(profile, hello, capsys):
    assert main(["cid", "--profile", profile, str(hello)]) == 0
    assert capsys.readouterr().out == HELLO[profile] + "\n"


def test_default_is_kubo_default(hello, capsys):
    assert main(["cid", str(hello)]) == 0
    assert capsys.readouterr().out == HELLO[V0] + "\n"


@pytest.mark.parametrize("where", ["data/repository.toml", "repository.toml"])
def test_profile_of_the_data_repository(where, hello, capsys, tmp_path, monkeypatch):
    settings = tmp_path / where
    settings.parent.mkdir(exist_ok=True)
    settings.write_text("profile = 'unixfs-v1-2025'\n")
    (tmp_path / "deep").mkdir()
    monkeypatch.chdir(tmp_path / "deep")
    assert main(["cid", str(hello)]) == 0
    assert main(["cid", "--profile", V0, str(hello)]) == 0
    assert capsys.readouterr().out == f"{HELLO[V1]}\n{HELLO[V0]}\n"


@pytest.mark.parametrize("profile", [V0, V1])
def test_directory_recursive_and_hidden(profile, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "d"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "HEAD").write_bytes(b"ref")
    assert main(["cid", "--profile", profile, str(root)]) == 0
    assert capsys.readouterr().out == EMPTY_DIR[profile] + "\n"  # only dot-files inside
    assert main(["cid", "--profile", profile, "--hidden", str(root)]) == 0
    assert capsys.readouterr().out.strip() not in ("", EMPTY_DIR[profile])


def test_bad_inputs_one_line_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    cases = {"missing": "missing: no such file or directory",
             "fifo": "fifo: is a special file (fifo, socket or device)"}
    for name, message in cases.items():
        assert main(["cid", str(tmp_path / name)]) == 1
        captured = capsys.readouterr()
        assert captured.out == "" and message in captured.err
        assert len(captured.err.splitlines()) == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path, capsys):
    path = tmp_path / "secret"
    path.write_bytes(b"x")
    path.chmod(0)
    assert main(["cid", str(path)]) == 1
    assert "secret: cannot read (Permission denied)" in capsys.readouterr().err


def test_unknown_profile_is_a_usage_error(hello):
    assert main(["cid", "--profile", "unixfs-v9", str(hello)]) == 2


def test_real_command(hello):
    result = run_ipwhl("cid", "--profile", V1, str(hello), cwd=hello.parent)
    assert (result.returncode, result.stdout, result.stderr) == (0, HELLO[V1] + "\n", "")

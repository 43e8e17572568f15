"""The cyclic garbage collector is paused once per command, at its entry point: around the
command's run in ``ipwhl`` and in the pre-commit hooks, never by the library; a server
(``KEEP_GC = True``) keeps it on.  See ipwhl_checks/util/nogc.py."""

from __future__ import annotations

import gc
import importlib
from pathlib import Path

import pytest

from ipwhl_checks.checks.run import check_tree
from ipwhl_checks.cli import COMMANDS, main
from ipwhl_checks.commands import cid, hooks, serve
from ipwhl_checks.errors import DeclarationError, IpwhlError

from .declmaker import declaration, write_tree


@pytest.fixture(autouse=True)
def _collector_on():
    assert gc.isenabled()
    yield
    assert gc.isenabled()  # whatever happened, the collector is on again


def _recorder(seen: list[bool], result: int | BaseException = 0):
    def run(*args: object, **kwargs: object) -> int:
        seen.append(gc.isenabled())
        if isinstance(result, BaseException):
            raise result
        return result
    return run


def test_a_command_runs_with_the_collector_paused(monkeypatch, tmp_path):
    seen: list[bool] = []
    monkeypatch.setattr(cid, "run", _recorder(seen))
    assert main(["cid", str(tmp_path)]) == 0
    assert seen == [False]


@pytest.mark.parametrize(("error", "code"), [(IpwhlError("no"), 1), (KeyboardInterrupt(), 130)])
def test_the_collector_is_on_again_after_a_failed_command(error, code, monkeypatch, tmp_path):
    seen: list[bool] = []
    monkeypatch.setattr(cid, "run", _recorder(seen, error))
    assert main(["cid", str(tmp_path)]) == code
    assert seen == [False]


def test_a_server_keeps_the_collector_on(monkeypatch):
    seen: list[bool] = []
    monkeypatch.setattr(serve, "run", _recorder(seen))
    assert main(["serve", "x.car"]) == 0
    assert seen == [True]


def test_only_the_server_keeps_the_collector_on():
    keep = {name for name, (module, _help) in COMMANDS.items()
            if getattr(importlib.import_module(f"ipwhl_checks.commands.{module}"),
                       "KEEP_GC", False)}
    assert keep == {"serve"}


def test_the_hooks_run_with_the_collector_paused(monkeypatch, tmp_path):
    seen: list[bool] = []
    monkeypatch.setattr(hooks, "load_tree", _recorder(seen, DeclarationError("stop")))
    (tmp_path / "a.toml").write_text("")
    assert hooks.check_declarations_main(["--root", str(tmp_path), str(tmp_path / "a.toml")]) == 1
    assert hooks.check_dependencies_main(["--root", str(tmp_path)]) == 1
    assert seen == [False, False]


def test_the_library_leaves_the_collector_alone(monkeypatch, tmp_path):
    """Called directly, the checks run with the collector as the caller left it."""
    root = write_tree(tmp_path / "data", [declaration("a-1.0-py3-none-any.whl", root=".")])
    seen: list[bool] = []
    real = gc.disable
    monkeypatch.setattr(gc, "disable", lambda: (seen.append(True), real()))
    assert check_tree(Path(root)) == []
    assert seen == []


def test_only_the_entry_points_pause_the_collector() -> None:
    """The GC is a process-wide knob: set once per command (cli, the hook mains), never
    from inside the library."""
    package = Path(__file__).resolve().parent.parent / "ipwhl_checks"
    users = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                   if "paused_gc" in p.read_text() and p.name != "nogc.py")
    assert users == ["cli.py", "commands/hooks.py"]

"""``ipwhl integrate``: real wheels, a real published tree, real uv and real subprocesses.

The tree is built once for the module from wheels made here (:mod:`tests.wheelmaker`),
each a case with an outcome we know: a package that imports its declared dependency
(passed), one that imports a module nothing declares (import failed, naming it), one that
hangs at import (timed out), one that fetches a page from a server of ours at import
(blocked: the server sees nothing), one listed as a known failure that passes (the run
fails), one listed that fails (expected), one with no wheel for this interpreter
(skipped), and two projects that write the same file (IW507 and ``--together``).  The
tree is published by the library (``ipwhl publish`` itself refuses the clash, as tested
here).
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwhl_checks.checks.run import integration_problems
from ipwhl_checks.cli import main
from ipwhl_checks.integrate.modules import top_level_modules
from ipwhl_checks.integrate.sandbox import Sandbox
from ipwhl_checks.publish.build import PublishOptions, publish
from ipwhl_checks.release.integration import parse_results
from ipwhl_checks.repo.tree import load_tree

from .conftest import ipwhl_argv, made_by_a_plain_open, running, umask
from .gatewayutil import gateway
from .test_publish import serve, write_declaration
from .wheelmaker import make_wheel

PY = f"cp{sys.version_info.major}{sys.version_info.minor}"


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def listener() -> Iterator[tuple[int, list[str]]]:
    """A server on 127.0.0.1 that a sandboxed import must never reach."""
    hits: list[str] = []
    handler = type("Handler", (_Counting,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with running(server) as port:
        yield port, hits


CASES: dict[str, tuple[dict[str, bytes], tuple[str, ...]]] = {
    # name: (files besides <name>/__init__.py, dependencies)
    "dep": ({}, ()),
    "good": ({"good/__init__.py": b"import dep\n"}, ("dep>=1",)),
    "needy": ({"needy/__init__.py": b"import undeclared_helper\n"}, ()),
    "hangs": ({"hangs/__init__.py": b"import time\nwhile True:\n    time.sleep(1)\n"}, ()),
    "listed": ({}, ()),
    "broken": ({"broken/__init__.py": b"raise RuntimeError('needs a display')\n"}, ()),
    "clash-a": ({"shared/__init__.py": b"A = 1\n"}, ()),
    "clash-b": ({"shared/__init__.py": b"B = 2\n"}, ()),
    "tested": ({"tested/tests/__init__.py": b"",
                "tested/tests/test_it.py": b"import unittest, tested\n"
                                           b"class T(unittest.TestCase):\n"
                                           b"    def test_ok(self):\n"
                                           b"        self.assertEqual(tested.__version__, "
                                           b"'1.0')\n"}, ()),
}
INTEGRATION = """\
[known-failures]
listed = "needs a GPU"
broken = "needs a display"

[tests.tested]
command = "python -m unittest -q tested.tests.test_it"
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory,
         listener: tuple[int, list[str]]) -> Iterator[Path]:
    """The published tree of the cases (``--out``), its data tree beside it."""
    top = tmp_path_factory.mktemp("integrate")
    port, _hits = listener
    cases = dict(CASES)
    cases["netty"] = ({"netty/__init__.py": (
        "import urllib.request\n"
        f"urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=5).read()\n").encode()},
        ())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(top / "cache"))
        wheels, data = top / "wheels", top / "data"
        data.mkdir()
        (data / "repository.toml").write_text(
            f"profile = 'unixfs-v1-2025'\npython = ['{sys.version_info.major}."
            f"{sys.version_info.minor}']\nplatforms = ['manylinux_2_28_x86_64']\n")
        (data / "integration.toml").write_text(INTEGRATION)
        with serve(wheels) as (base, _log):
            wheels.mkdir()
            for name, (files, deps) in cases.items():
                wheel = make_wheel(wheels, name, "1.0", files=files, dependencies=deps)
                write_declaration(data, wheel, f"{base}/{wheel.name}", requires_python=None,
                                  dependencies=deps)
            windows = make_wheel(wheels, "winonly", "1.0", tag=f"{PY}-{PY}-win_amd64")
            write_declaration(data, windows, f"{base}/{windows.name}", requires_python=None)
            publish(data, PublishOptions(out=top / "site"))
        yield top


def integrate(site: Path, *args: str) -> tuple[int, list[str], dict[str, object]]:
    out = site / f"results-{len(list(site.glob('results-*')))}.json"
    code = main(["integrate", "--site", str(site / "site"), "--root", str(site / "data"),
                 "--json", str(out), *args])
    return code, [], json.loads(out.read_text())


def test_each_case_has_its_outcome(site: Path, listener: tuple[int, list[str]],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, _, results = integrate(site, "--timeout", "6", "dep", "good", "needy", "hangs",
                                 "netty", "listed", "broken", "winonly")
    out = capsys.readouterr().out
    assert code == 1
    projects = results["projects"]
    assert isinstance(projects, dict)
    outcomes = {name: p["outcome"] for name, p in projects.items()}
    assert outcomes == {"dep": "passed", "good": "passed", "needy": "import-failed",
                        "hangs": "timed-out", "netty": "import-failed",
                        "listed": "unexpected-pass", "broken": "expected-failure",
                        "winonly": "skipped"}
    assert projects["needy"]["detail"] == (
        "needy: ModuleNotFoundError: No module named 'undeclared_helper'")
    assert projects["good"]["modules"] == ["good"]
    assert "URLError" in projects["netty"]["detail"] or "OSError" in projects["netty"]["detail"]
    assert listener[1] == []  # the import never reached the server
    assert projects["broken"]["detail"] == \
        "needs a display (import-failed: broken: RuntimeError: needs a display)"
    assert "needy 1.0: import failed: needy: ModuleNotFoundError: No module named " \
        "'undeclared_helper'" in out
    assert "listed 1.0: unexpectedly passed: listed as a known failure (needs a GPU)" in out
    assert ("8 projects: 2 passed, 1 expected failure, 1 skipped, 2 import failed, 1 timed out, "
            "1 unexpectedly passed") in out
    # the file is what release publishes
    data = (site / "results-0.json").read_bytes()
    parsed = parse_results(data, "results")
    assert parsed.summary == {"passed": 2, "expected-failure": 1, "skipped": 1,
                              "import-failed": 2, "timed-out": 1, "unexpected-pass": 1}
    assert results["sandbox"] == Sandbox(0).network


@pytest.mark.parametrize("mask", [0o027, 0o002], ids=["027", "002"])
def test_the_results_get_the_permissions_of_the_umask(site: Path, tmp_path: Path,
                                                      mask: int) -> None:
    """--json FILE: what a plain ``open`` gives under the umask, as every file the tool
    creates (a project without a wheel here: skipped, no environment to make)."""
    out = tmp_path / "results.json"
    with umask(mask):
        assert main(["integrate", "--site", str(site / "site"), "--root", str(site / "data"),
                     "--json", str(out), "winonly"]) == 0
    assert json.loads(out.read_text())["summary"] == {"skipped": 1}
    assert made_by_a_plain_open(out, mask=mask) == {}


def test_clean_projects_pass_and_exit_zero(site: Path) -> None:
    code, _, results = integrate(site, "--tests", "good", "dep", "tested")
    assert code == 0
    projects = results["projects"]
    assert isinstance(projects, dict)
    assert projects["tested"]["tests"]["outcome"] == "passed"
    assert results["summary"] == {"passed": 3}


def test_together_and_the_static_check_find_the_clash(site: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    code, _, results = integrate(site, "--together", "clash-a", "clash-b", "dep")
    assert code == 1
    together = results["together"]
    assert isinstance(together, dict)
    assert together["outcome"] == "failed"
    assert "'shared/__init__.py' is written by clash_a-1.0 and clash_b-1.0" in together["detail"]
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(site / "cache"))
        assert main(["check", "--online", "--root", str(site / "data")]) == 1
        out = capsys.readouterr().out.splitlines()
        assert [line for line in out if "shared" in line] == [
            f"{site}/data/{_prefix('clash-a')}/clash-a/clash_a-1.0-py3-none-any.toml: IW507 writes "
            f"'site-packages/shared/__init__.py' as '{site}/data/{_prefix('clash-b')}/clash-b/"
            f"clash_b-1.0-py3-none-any.toml' does, both installable on "
            f"{PY}-manylinux_2_28_x86_64"]
        assert main(["publish", "--root", str(site / "data"), "--out",
                     str(site / "refused")]) == 1
        assert "IW507 writes 'site-packages/shared/__init__.py'" in capsys.readouterr().err
        assert not (site / "refused").exists()


def _prefix(project: str) -> str:
    return f"{sum(map(ord, project)) % 256:02x}"


def test_a_missing_interpreter_is_a_usage_error(site: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["integrate", "--site", str(site / "site"), "--python",
                 str(site / "no-python")]) == 2
    assert capsys.readouterr().err.startswith("ipwhl integrate: error: --python: no interpreter")


@pytest.mark.parametrize(("installed", "modules"), [
    (["site-packages/a/__init__.py", "site-packages/a/b.py"], ["a"]),
    (["site-packages/m.py", "site-packages/_private.py"], ["m"]),
    (["site-packages/_only.py"], ["_only"]),
    (["site-packages/ext.cpython-311-x86_64-linux-gnu.so", "site-packages/x.pth"], ["ext"]),
    (["site-packages/google/auth/__init__.py", "site-packages/google/oauth2/__init__.py"],
     ["google.auth", "google.oauth2"]),
    (["site-packages/tests/__init__.py", "site-packages/pkg/__init__.py"], ["pkg"]),
    (["site-packages/pkg-stubs/__init__.pyi", "scripts/tool"], []),
])
def test_top_level_modules(installed: list[str], modules: list[str]) -> None:
    assert top_level_modules(installed) == modules


def test_the_sandbox_has_no_network(tmp_path: Path, listener: tuple[int, list[str]]) -> None:
    sandbox = Sandbox(1024)
    port, hits = listener
    code = ("import socket; s = socket.socket(); s.settimeout(5); "
            f"s.connect(('127.0.0.1', {port}))")
    done = sandbox.run([sys.executable, "-c", code], cwd=tmp_path,
                       env=sandbox.environment(tmp_path, [], {}),
                       deadline=time.monotonic() + 30)
    if sandbox.network == "network namespace":
        assert done.returncode == 1 and "Error" in done.stderr
    assert hits == []


def test_a_stopped_sandbox_kills_what_runs(tmp_path: Path) -> None:
    sandbox = Sandbox(0)
    timer = threading.Timer(0.5, sandbox.stop)
    timer.start()
    start = time.monotonic()
    with pytest.raises(Exception, match="stopped"):
        sandbox.run([sys.executable, "-c", "import time; time.sleep(60)"], cwd=tmp_path,
                    env=sandbox.environment(tmp_path, [], {}),
                    deadline=time.monotonic() + 60)
    assert time.monotonic() - start < 5


def test_from_a_car_and_through_a_gateway(site: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    car = tmp_path / "tree.car"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(site / "cache"))
        result = publish(site / "data", PublishOptions(car=car))
    # a cold wheel cache: the wheels come out of the CAR (verified), then the gateway
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path / "cold"))
        assert main(["integrate", "--car", str(car), "good", "dep"]) == 0
        assert "2 projects: 2 passed" in capsys.readouterr().out
        mp.setenv("XDG_CACHE_HOME", str(tmp_path / "colder"))
        with gateway(car) as (host, _log):
            assert main(["integrate", "--gateway", f"http://{host}", "--cid",
                         result.root_cid, "good", "dep"]) == 0
            assert "2 projects: 2 passed" in capsys.readouterr().out
            assert main(["integrate", "--gateway", f"http://{host}", "good"]) == 2
            assert "--gateway needs --cid" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "problems"), [
    ('[known-failures]\nalpha = "needs a GPU"\n', []),
    ('[known-failures]\nnope = "needs a GPU"\n',
     ["IW406 known-failures.nope: 'nope' is not a project of the repository"]),
    ('[known-failures]\nalpha = ""\n',
     ["IW109 known-failures.alpha: expected the reason, a non-empty string"]),
    ('[known-failure]\n', ["IW109 known-failure: unknown key, did you mean 'known-failures'?"]),
    ('[tests.alpha]\ncommand = "pytest --pyargs alpha"\nrequires = ["pytest"]\n',
     ["IW406 tests.alpha.requires: 'pytest' is not a project of the repository"]),
    ('[tests.alpha]\ncommand = "pytest \'unclosed"\ntimeout = -1\n',
     ["IW109 tests.alpha.command: \"pytest 'unclosed\" is not shell words (No closing "
      "quotation)", "IW109 tests.alpha.timeout: expected a positive number of seconds"]),
    ('[tests.Alpha]\ncommand = "/bin/true"\n',
     ["IW109 tests.Alpha: project name not normalized, expected 'alpha'",
      "IW109 tests.Alpha.command: '/bin/true' is a path; name an executable of the "
      "project's environment (pytest, python)"]),
    ("not toml = [", ["IW109 invalid TOML: Expected '=' after a key in a key/value pair "
                      "(at line 1, column 5)"]),
])
def test_the_integration_file_is_checked(tmp_path: Path, text: str, problems: list[str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    wheel = make_wheel(tmp_path / "wheels", "alpha", "1.0")
    data.mkdir()
    (data / "repository.toml").write_text("profile = 'unixfs-v1-2025'\n")
    write_declaration(data, wheel, "https://example.org/alpha-1.0-py3-none-any.whl",
                      requires_python=None)
    (data / "integration.toml").write_text(text)
    tree = load_tree(data)
    found = [f"{p.check} {p.message}" for p in integration_problems(tree)]
    assert found == problems
    assert main(["check", "--root", str(data)]) == (1 if problems else 0)
    out = capsys.readouterr().out
    assert out == "".join(f"{data}/integration.toml: {p}\n" for p in sorted(problems))


@pytest.mark.parametrize(("how", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGINT"])
def test_a_stopped_run_stops_at_once_and_leaves_nothing(site: Path, tmp_path: Path,
                                                        how: int, code: int) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(site / "cache")}
    process = subprocess.Popen(
        ipwhl_argv("integrate", "--site", str(site / "site"), "--timeout", "120", "hangs",
                   default_sigint=True),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp.glob("ipwhl-integrate-*/projects/pycache/*")):
            assert time.monotonic() < deadline, "the import never started"
            time.sleep(0.05)
        time.sleep(0.5)
        process.send_signal(how)
        start = time.monotonic()
        _out, err = process.communicate(timeout=30)
        assert time.monotonic() - start < 2
    finally:
        process.kill()
    assert process.returncode == code, err
    assert list(tmp.iterdir()) == []
    running = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "while True" not in running and str(tmp) not in running

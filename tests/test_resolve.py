"""``ipwhl resolve``: the install set on one environment, and why an impossible one is.

One table of cases is shared by the unit tests (:func:`resolve`), the command-level tests
(``main(["resolve", ...])`` on a real tree written to disk) and the truth we did not
produce: the same requests given to uv (``uv pip compile --python-platform``) and to pip
(``pip install --dry-run --report`` on the running interpreter) over real wheels with the
same metadata, offline from a local directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ipwhl_checks.cli import main
from ipwhl_checks.errors import ResolutionError, SettingsError
from ipwhl_checks.install.resolve import CurrentEnvironment, resolve, target_environment
from ipwhl_checks.repo.settings import Settings

from .declmaker import declaration, write_tree
from .wheelmaker import make_wheel, wheel_filename

PYTHONS = ("3.11", "3.12")
PLATFORMS = ("manylinux_2_28_x86_64", "win_amd64")
SETTINGS = Settings(pythons=PYTHONS, platforms=PLATFORMS)
CHARSET = "charset_normalizer-3.3.2-cp3{}-cp3{}-{}.whl"
MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"

# (name, version, tag, requires-python, extras, dependencies)
REPO = [
    ("requests", "2.32.3", "py3-none-any", ">=3.8", ["socks", "use-chardet-on-py3"],
     ["charset-normalizer<4,>=2", "idna<4,>=2.5", "urllib3<3,>=1.21.1", "certifi>=2017.4.17",
      'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
      'chardet<6,>=3.0.2; extra == "use-chardet-on-py3"']),
    ("idna", "3.7", "py3-none-any", ">=3.5", [], []),
    ("urllib3", "2.2.2", "py3-none-any", ">=3.8", ["socks"],
     ['pysocks!=1.5.7,<2.0,>=1.5.6; extra == "socks"']),
    ("certifi", "2024.7.4", "py3-none-any", ">=3.6", [], []),
    *(("charset-normalizer", "3.3.2", f"cp3{m}-cp3{m}-{p}", ">=3.7.0", [], [])
      for m in (11, 12) for p in (MANYLINUX, "win_amd64")),
    ("pysocks", "1.7.1", "py3-none-any", None, [], []),
    ("click", "8.1.7", "py3-none-any", ">=3.7", [], ['colorama; platform_system == "Windows"']),
    ("colorama", "0.4.6", "py2.py3-none-any", None, [], []),
    ("tomli", "2.0.1", "py3-none-any", ">=3.7", [], []),
    ("app", "1.0", "py3-none-any", None, [], ['tomli>=1.1; python_version < "3.12"', "click>=8"]),
    ("a", "1.0", "py3-none-any", None, [], ["b<2"]),
    ("a", "2.0", "py3-none-any", None, [], ["b>=2"]),
    ("b", "1.0", "py3-none-any", None, [], []),
    ("b", "2.0", "py3-none-any", None, [], []),
    ("winonly", "1.0", "cp312-cp312-win_amd64", None, [], []),
    ("needswin", "1.0", "py3-none-any", None, [], ["winonly>=1"]),
    ("legacy", "1.0", "py3-none-any", None, [], ["idna<3"]),
    ("needsmissing", "1.0", "py3-none-any", None, [], ["missingdep>=1"]),
    ("x", "1.0", "py3-none-any", "<3.12", [], []),
    ("x", "2.0", "py3-none-any", ">=3.12", [], []),
]
DECLARATIONS = [
    declaration(wheel_filename(n, v, t), requires_python=rp, extras=e, dependencies=deps)
    for n, v, t, rp, e, deps in REPO
]


def _line(name: str, version: str, filename: str | None = None) -> str:
    return f"{name} {version} {filename or wheel_filename(name, version)}"


LINUX12, WIN11 = "cp312-manylinux_2_28_x86_64", "cp311-win_amd64"
REQUESTS_BASE = [_line("certifi", "2024.7.4"), _line("idna", "3.7"),
                 _line("requests", "2.32.3"), _line("urllib3", "2.2.2")]

# (id, environment, requirements, install set or the explanation of the failure)
CASES = [
    ("requests", LINUX12, ["requests"], sorted([
        *REQUESTS_BASE, _line("charset-normalizer", "3.3.2", CHARSET.format(12, 12, MANYLINUX))])),
    ("extras", WIN11, ["requests[socks]"], sorted([
        *REQUESTS_BASE, _line("pysocks", "1.7.1"),
        _line("charset-normalizer", "3.3.2", CHARSET.format(11, 11, "win_amd64"))])),
    ("extras of a dependency", LINUX12, ["urllib3[socks]>=2"],
     [_line("pysocks", "1.7.1"), _line("urllib3", "2.2.2")]),
    ("marker on python", "cp311-manylinux_2_28_x86_64", ["app"],
     [_line("app", "1.0"), _line("click", "8.1.7"), _line("tomli", "2.0.1")]),
    ("marker on platform", "cp312-win_amd64", ["app"], [
        _line("app", "1.0"), _line("click", "8.1.7"),
        _line("colorama", "0.4.6", "colorama-0.4.6-py2.py3-none-any.whl")]),
    ("requested marker false", LINUX12, ['winonly; sys_platform == "win32"'], []),
    ("backtracking", LINUX12, ["a", "b<2"], [_line("a", "1.0"), _line("b", "1.0")]),
    ("newest", LINUX12, ["a", "b"], [_line("a", "2.0"), _line("b", "2.0")]),
    ("requires-python", WIN11, ["x"], [_line("x", "1.0")]),
    ("requires-python newer", "cp312-win_amd64", ["x"], [_line("x", "2.0")]),
    ("version not there", LINUX12, ["requests", "idna<3"], ResolutionError(
        "no install set on cp312-manylinux_2_28_x86_64: 'idna<3' (requested) cannot be met: "
        "the repository has idna 3.7 there")),
    ("dependency's version not there", LINUX12, ["requests", "legacy"], ResolutionError(
        "no install set on cp312-manylinux_2_28_x86_64: 'idna<3' (required by legacy 1.0) "
        "cannot be met: the repository has idna 3.7 there")),
    ("conflict of two packages", LINUX12, ["a>=2", "b<2"], ResolutionError(
        "no install set on cp312-manylinux_2_28_x86_64: 'b<2' (requested) conflicts with "
        "'b>=2' (required by a 2.0): the repository has b 2.0, 1.0 there")),
    ("missing project", LINUX12, ["nothere"], ResolutionError(
        "no install set on cp312-manylinux_2_28_x86_64: 'nothere' (requested) cannot be met: "
        "'nothere' is not in the repository")),
    ("missing dependency", LINUX12, ["needsmissing"], ResolutionError(
        "no install set on cp312-manylinux_2_28_x86_64: 'missingdep>=1' (required by "
        "needsmissing 1.0) cannot be met: 'missingdep' is not in the repository")),
    ("no wheel for the environment", LINUX12, ["idna", "winonly>=1"], ResolutionError(
        "no install set on cp312-manylinux_2_28_x86_64: 'winonly' has no wheel for "
        "cp312-manylinux_2_28_x86_64 (the repository's winonly 1.0 covers cp312-win_amd64)")),
    ("no wheel for the Python", WIN11, ["winonly"], ResolutionError(
        "no install set on cp311-win_amd64: 'winonly' has no wheel for cp311-win_amd64 (the "
        "repository's winonly 1.0 covers cp312-win_amd64)")),
    ("a dependency without a wheel there", LINUX12, ["needswin"], ResolutionError(
        "no install set on cp312-manylinux_2_28_x86_64: 'winonly>=1' (required by needswin "
        "1.0) cannot be met: 'winonly' has no wheel for cp312-manylinux_2_28_x86_64 (the "
        "repository's winonly 1.0 covers cp312-win_amd64)")),
    ("requires-python excludes", WIN11, ["x>=2"], ResolutionError(
        "no install set on cp311-win_amd64: 'x>=2' (requested) cannot be met: the repository "
        "has x 1.0 there")),
    ("missing extra", LINUX12, ["idna[foo]"], ResolutionError(
        "no install set on cp312-manylinux_2_28_x86_64: 'idna[foo]' (requested) cannot be met: "
        "the repository has idna 3.7 (without extra 'foo') there")),
]
# uv and pip warn about an extra a package does not declare and install it without; we refuse.
STRICTER_THAN_INSTALLERS = {"missing extra"}


def _run(env_name, requirements):
    environment = target_environment(SETTINGS, env_name)
    found = resolve(DECLARATIONS, environment, [Requirement(r) for r in requirements],
                    SETTINGS.environments)
    return [f"{d.project} {d.version} {d.filename}" for d in found]


@pytest.mark.parametrize(("env_name", "requirements", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_resolve(env_name, requirements, expected):
    if isinstance(expected, Exception):
        with pytest.raises(ResolutionError) as info:
            _run(env_name, requirements)
        assert str(info.value) == str(expected)
    else:
        assert _run(env_name, requirements) == expected


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo") / "data"
    return write_tree(root, DECLARATIONS, pythons=PYTHONS, platforms=PLATFORMS)


@pytest.mark.parametrize(("env_name", "requirements", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_command(tree, capsys, env_name, requirements, expected):
    code = main(["resolve", "--root", str(tree), "--env", env_name, *requirements])
    out, err = capsys.readouterr()
    if isinstance(expected, Exception):
        assert (code, out, err) == (1, "", f"ipwhl resolve: {expected}\n")
    else:
        assert (code, out.splitlines(), err) == (0, expected, "")


@pytest.mark.parametrize(("argv", "message"), [
    (["--env", "cp312-beos_x86"], "ipwhl resolve: error: unknown environment "
     "'cp312-beos_x86': unknown platform 'beos_x86'"),
    (["--env", "py3"], "ipwhl resolve: error: unknown environment 'py3' (expected one of: "
     "cp311-manylinux_2_28_x86_64, cp311-win_amd64, cp312-manylinux_2_28_x86_64, "
     "cp312-win_amd64)"),
    # (its tags would take minutes to enumerate, as an unbounded repository.toml's did)
    (["--env", "cp3200000000-win_amd64"], "ipwhl resolve: error: unknown environment "
     "'cp3200000000-win_amd64' (expected one of: "),
    (["--env", "cp312-manylinux_2_99999999_x86_64"], "ipwhl resolve: error: unknown environment "
     "'cp312-manylinux_2_99999999_x86_64': unknown platform"),
])
def test_command_unknown_environment(tree, capsys, argv, message):
    """A usage error (exit code 2), like any other argument the command cannot take."""
    assert main(["resolve", "--root", str(tree), *argv, "idna"]) == 2
    assert capsys.readouterr().err.startswith(message)


def test_command_usage_errors(tree, capsys):
    assert main(["resolve", "--root", str(tree), "--env", LINUX12, "idna>>3"]) == 2
    assert "'idna>>3' is not a valid requirement" in capsys.readouterr().err
    assert main(["resolve", "--env", LINUX12]) == 2  # no requirement
    assert main(["resolve", "idna"]) == 2  # no --env
    assert main(["resolve", "--root", str(tree / "nope"), "--env", LINUX12, "idna"]) == 2


def test_environment_beyond_the_settings(tree, capsys):
    """Another CPython on a known platform: cp310 is not supported by the tree, but named."""
    assert main(["resolve", "--root", str(tree), "--env", "cp310-win_amd64", "idna"]) == 0
    assert capsys.readouterr().out == _line("idna", "3.7") + "\n"
    with pytest.raises(SettingsError):
        target_environment(SETTINGS, "cp310-solaris")


# --- the truth: uv and pip on real wheels with the same metadata --------------------------

@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """The repository as real wheels in one directory, next to a cache for uv."""
    directory = tmp_path_factory.mktemp("wheels")
    for name, version, tag, requires_python, extras, dependencies in REPO:
        make_wheel(directory, name, version, tag=tag, requires_python=requires_python,
                   extras=extras, dependencies=dependencies)
    return directory


def _offline_env(wheels: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(UV_OFFLINE="1", UV_NO_CONFIG="1", UV_CACHE_DIR=str(wheels.with_name("uv-cache")),
               PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


_UV_PLATFORMS = {"manylinux_2_28_x86_64": "x86_64-manylinux_2_28",
                 "win_amd64": "x86_64-pc-windows-msvc"}


@pytest.mark.parametrize(("env_name", "requirements", "expected"),
                         [c[1:] for c in CASES if c[0] not in STRICTER_THAN_INSTALLERS],
                         ids=[c[0] for c in CASES if c[0] not in STRICTER_THAN_INSTALLERS])
def test_same_as_uv(wheels, tmp_path, env_name, requirements, expected):
    python, platform = env_name.split("-", 1)
    uv = Path(sys.executable).with_name("uv")
    (tmp_path / "requirements.in").write_text("\n".join(requirements) + "\n")
    done = subprocess.run(
        [str(uv), "pip", "compile", "--python", sys.executable, "--no-index",
         "--find-links", str(wheels), "--offline",
         "--python-platform", _UV_PLATFORMS[platform], "--python-version",
         f"{python[2]}.{python[3:]}", "--no-header", "--no-annotate", "--quiet",
         str(tmp_path / "requirements.in")],
        capture_output=True, text=True, env=_offline_env(wheels), timeout=120)
    if isinstance(expected, Exception):
        assert done.returncode != 0, done.stdout
        return
    assert done.returncode == 0, done.stderr
    pins = sorted(line.replace("==", " ").split(" ", 1)
                  for line in done.stdout.splitlines() if line and not line.startswith("#"))
    assert [[canonicalize_name(n), v] for n, v in pins] == [
        line.split(" ")[:2] for line in expected]


def test_same_as_pip_on_this_interpreter(wheels, tmp_path):
    """`--env current` agrees with pip's own choice, wheel files included."""
    requirements = ["requests[socks]", "app", "a", "b<2"]
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--no-index", "--find-links", str(wheels), "--report", str(report), *requirements],
        check=True, env=_offline_env(wheels), timeout=300)
    chosen = sorted(
        (canonicalize_name(item["metadata"]["name"]), item["metadata"]["version"],
         item["download_info"]["url"].rsplit("/", 1)[1])
        for item in json.loads(report.read_text())["install"])
    found = resolve(DECLARATIONS, CurrentEnvironment(), [Requirement(r) for r in requirements])
    assert [(d.project, str(d.version), d.filename) for d in found] == chosen


def test_without_the_environments_the_wheels_tags_are_named():
    """``ipwhl lock`` knows the published wheels, not the repository's environments."""
    with pytest.raises(ResolutionError) as info:
        resolve(DECLARATIONS, target_environment(SETTINGS, LINUX12), [Requirement("winonly")])
    assert str(info.value) == (
        "no install set on cp312-manylinux_2_28_x86_64: 'winonly' has no wheel for "
        "cp312-manylinux_2_28_x86_64 (the repository's winonly 1.0 covers cp312-cp312-win_amd64)")


def test_command_current_environment(tree, capsys):
    assert main(["resolve", "--root", str(tree), "--env", "current", "idna", "x"]) == 0
    x = "1.0" if sys.version_info < (3, 12) else "2.0"  # x's versions split at Python 3.12
    assert capsys.readouterr().out.splitlines() == [_line("idna", "3.7"), _line("x", x)]


def test_command_leaves_out_invalid_files(tmp_path, capsys):
    root = write_tree(tmp_path / "data", [d for d in DECLARATIONS if d.project == "idna"])
    (root / "notes.txt").write_text("not a declaration\n")
    assert main(["resolve", "--root", str(root), "--env", LINUX12, "idna"]) == 0
    out, err = capsys.readouterr()
    assert out == _line("idna", "3.7") + "\n"
    assert err == (f"ipwhl resolve: warning: left out 1 invalid file of {str(root)!r} "
                   "(see 'ipwhl check')\n")

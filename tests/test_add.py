"""``ipwhl add`` against a real local index: pip's choices, closure, upgrades, all-or-nothing."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ipwhl_checks.cli import main as ipwhl
from ipwhl_checks.repo.fmt import render
from ipwhl_checks.repo.layout import declaration_path
from ipwhl_checks.repo.settings import Environment, load_settings
from ipwhl_checks.sources.wheel import read_wheel
from ipwhl_checks.unixfs import file_cid

from .conftest import (
    made_by_a_plain_open,
    new_data_root,
    online_check,
    run_ipwhl,
    umask,
    without_summary,
)
from .indexserver import IndexServer, Status, use_index
from .wheelmaker import make_wheel

SETTINGS = ("profile = 'unixfs-v1-2025'\npython = ['3.11', '3.12']\n"
            "platforms = ['manylinux_2_28_x86_64', 'macosx_14_0_arm64', 'win_amd64']\n")
FAST_DEPS = ["purelib>=1.0", 'winhelper; sys_platform == "win32"']
# name, version, tag, requires-python, extras, dependencies
CATALOGUE = [
    ("fastlib", "0.9", "py3-none-any", None, [], []),
    ("fastlib", "1.0", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", None, [],
     FAST_DEPS),
    ("fastlib", "1.0", "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64", None, [],
     FAST_DEPS),
    ("fastlib", "1.0", "cp312-cp312-manylinux_2_28_x86_64", None, [], FAST_DEPS),
    ("fastlib", "1.0", "cp311-cp311-macosx_11_0_arm64", None, [], FAST_DEPS),
    ("fastlib", "1.0", "cp312-cp312-macosx_11_0_arm64", None, [], FAST_DEPS),
    ("fastlib", "1.0", "cp311-abi3-win_amd64", None, [], FAST_DEPS),
    ("purelib", "1.0", "py3-none-any", ">=3.8", [], []),
    ("purelib", "1.1", "py3-none-any", ">=3.8", ["fast"], ['speedups>=1; extra == "fast"']),
    ("purelib", "2.0", "py3-none-any", ">=3.12", [], []),  # not on 3.11: not for the closure
    ("speedups", "1.0", "py3-none-any", None, [], []),
    ("winhelper", "0.5", "py3-none-win_amd64", None, [], []),
    # no release covers every environment (partial coverage); 3.0 is an sdist
    ("partial", "1.0", "cp312-cp312-manylinux_2_28_x86_64", None, [], []),
    ("partial", "2.0", "cp312-cp312-win_amd64", None, [], []),
    ("orphan", "1.0", "py3-none-any", None, [], ["ghost>=1"]),  # ghost: not on the index
    ("needy", "1.0", "py3-none-any", None, [], ["purelib>=5"]),
    # extras: 'test' needs an sdist-only project, 'all' asks for socky's own 'socks'
    ("socky", "1.0", "py3-none-any", None, ["all", "socks", "test"],
     ["purelib>=1.0", 'pysocks>=1; extra == "socks"', 'sdistonly>=1; extra == "test"',
      'socky[socks]; extra == "all"']),
    ("socky", "1.1", "py3-none-any", None, ["socks"],
     ["purelib>=1.0", 'pysocks>=1; extra == "socks"']),
    ("socky", "1.2", "py3-none-any", None, [], ["purelib>=1.0"]),
    ("pysocks", "1.0", "py3-none-any", None, [], []),
    ("fastuser", "1.0", "py3-none-any", None, [], ["purelib[fast]>=1"]),
    # pip's choices overlap: the compiled cp311 wheels and the pure one (chosen on 3.12)
    # both install on CPython 3.11; the pure wheel alone covers every environment
    ("debuggy", "1.0", "cp311-cp311-manylinux_2_17_x86_64", None, [], []),
    ("debuggy", "1.0", "cp311-cp311-macosx_11_0_arm64", None, [], []),
    ("debuggy", "1.0", "cp311-cp311-win_amd64", None, [], []),
    ("debuggy", "1.0", "py3-none-any", None, [], []),
    ("needsdebuggy", "1.0", "py3-none-any", None, [], ["debuggy"]),
    # no choice apart: Linux needs the first wheel, Windows the second, both install on macOS
    ("clash", "1.0", "py3-none-macosx_11_0_arm64.manylinux_2_17_x86_64", None, [], []),
    ("clash", "1.0", "py3-none-macosx_11_0_arm64.win_amd64", None, [], []),
    ("needsclash", "1.0", "py3-none-any", None, [], ["clash"]),
]
FAST = {  # pip's choice on each environment
    "cp311-manylinux_2_28_x86_64": "fastlib-1.0-cp311-cp311-manylinux_2_17_x86_64."
                                   "manylinux2014_x86_64.whl",
    "cp312-manylinux_2_28_x86_64": "fastlib-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
    "cp311-macosx_14_0_arm64": "fastlib-1.0-cp311-cp311-macosx_11_0_arm64.whl",
    "cp312-macosx_14_0_arm64": "fastlib-1.0-cp312-cp312-macosx_11_0_arm64.whl",
    "cp311-win_amd64": "fastlib-1.0-cp311-abi3-win_amd64.whl",
    "cp312-win_amd64": "fastlib-1.0-cp311-abi3-win_amd64.whl",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    tmp = tmp_path_factory.mktemp("add")
    with IndexServer(tmp / "index") as server:
        for name, version, tag, rp, extras, deps in CATALOGUE:
            server.publish(make_wheel(tmp / "w", name, version, tag=tag, requires_python=rp,
                                      extras=extras, dependencies=deps), requires_python=rp)
        server.publish(make_wheel(tmp / "w", "purelib", "1.2"), yanked=True)  # not chosen
        server.publish(make_wheel(tmp / "w", "pulled", "1.0"), yanked=True)  # all yanked
        for name in ("sdistonly-1.0.tar.gz", "purelib-3.0.tar.gz", "partial-3.0.tar.gz"):
            sdist = tmp / "w" / name
            sdist.write_bytes(b"an sdist")
            server.publish(sdist)
        yield server


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer) -> Path:
    use_index(monkeypatch, tmp_path, index)
    data = new_data_root(tmp_path, SETTINGS)
    return data


def files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.toml"))
            if p.name != "repository.toml"}


def add(root: Path, *args: str) -> int:
    return ipwhl(["add", "--root", str(root), *args])


def _pip_choice(index: IndexServer, env: Environment, tmp: Path) -> str:
    out = tmp / env.name
    platforms = [a for p in env.platform_tags for a in ("--platform", p)]
    major, minor = env.python_version
    subprocess.run([sys.executable, "-m", "pip", "--isolated", "download", "--no-deps",
                    "--only-binary=:all:", "--index-url", index.index_url, "-d", str(out),
                    "--python-version", f"{major}.{minor}", "--implementation", "cp",
                    "--abi", f"cp{major}{minor}", *platforms, "fastlib==1.0"],
                   check=True, capture_output=True, timeout=120)
    (wheel,) = out.iterdir()
    return wheel.name


def test_pip_agrees_with_the_expected_choices(index: IndexServer, tmp_path: Path) -> None:
    # The truth this file relies on, from pip itself: `pip download` on the environments
    # where the choice is not obvious (manylinux aliases and glibc versions, abi3).
    hard = ["cp311-manylinux_2_28_x86_64", "cp312-manylinux_2_28_x86_64", "cp312-win_amd64"]
    (tmp_path / "repository.toml").write_text(SETTINGS)
    envs = [load_settings(tmp_path).environment(name) for name in hard]
    with ThreadPoolExecutor(3) as pool:
        chosen = list(pool.map(lambda e: _pip_choice(index, e, tmp_path), envs))
    assert chosen == [FAST[e] for e in hard]


def test_add_writes_one_declaration_per_distinct_wheel(root: Path, index: IndexServer,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert add(root, "purelib==1.1", "winhelper==0.5") == 0  # fastlib's dependencies
    capsys.readouterr()
    assert add(root, "fastlib==1.0") == 0
    wanted = sorted(set(FAST.values()))
    paths = [declaration_path(root, f) for f in wanted]
    out, err = capsys.readouterr()
    assert out == "".join(f"added {p}\n" for p in sorted(paths)) + (
        "fastlib 1.0: new, 5 declarations added\n"
        "1 project added or updated: 5 declarations added\n")
    assert without_summary(err) == ""
    expected = {}
    for filename, path in zip(wanted, paths, strict=True):
        wheel = index.root / "files" / filename
        info = read_wheel(wheel)
        expected[str(path.relative_to(root))] = render(
            f"index:fastlib/{filename}", file_cid(wheel, "unixfs-v1-2025")[0],
            info.requires_python, info.extras, info.dependencies)
    assert {k: v for k, v in files(root).items() if "fastlib" in k} == expected
    # What add wrote passes the online checks against the same index.
    assert online_check(root, *paths) == 0


def test_recursive_adds_the_closure_and_the_tree_checks_clean(
        root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(root, "--recursive", "fastlib==1.0") == 0
    names = sorted(Path(p).name for p in files(root))
    assert names == sorted([*(f.replace(".whl", ".toml") for f in set(FAST.values())),
                            "purelib-1.1-py3-none-any.toml",  # 2.0 lacks Python 3.11
                            # not speedups: nothing asks for purelib's extra 'fast'
                            "winhelper-0.5-py3-none-win_amd64.toml"])
    assert "ipwhl add: warning: winhelper 0.5: no wheel for cp311-manylinux_2_28_x86_64, " \
        "cp311-macosx_14_0_arm64, cp312-manylinux_2_28_x86_64, cp312-macosx_14_0_arm64\n" \
        in capsys.readouterr().err
    assert ipwhl(["check", "--root", str(root)]) == 0  # overlaps and dependencies: clean


def test_upgrade_removes_the_old_version(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(root, "purelib==1.1", "winhelper==0.5") == 0  # fastlib 1.0's dependencies
    assert add(root, "fastlib==0.9") == 0
    old = declaration_path(root, "fastlib-0.9-py3-none-any.whl")
    assert old.is_file()
    capsys.readouterr()
    assert add(root, "fastlib==1.0") == 0
    assert not old.exists()
    out = capsys.readouterr().out
    assert f"removed {old}\n" in out
    assert out.endswith("fastlib 0.9 -> 1.0: 5 declarations added, 1 removed\n"
                        "1 project added or updated: 5 declarations added, 1 removed\n")
    assert all("fastlib-1.0" in name for name in files(root) if "fastlib" in name)


def test_environments_without_a_wheel_are_named(root: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert add(root, "partial==1.0") == 0
    assert without_summary(capsys.readouterr().err) == (
        "ipwhl add: warning: partial 1.0: no wheel for cp311-manylinux_2_28_x86_64, "
        "cp311-macosx_14_0_arm64, cp311-win_amd64, cp312-macosx_14_0_arm64, "
        "cp312-win_amd64\n")
    wheel = "partial-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"
    assert list(files(root)) == [str(declaration_path(root, wheel).relative_to(root))]


FAILURES = [
    (["purelib==1.0", "sdistonly==1.0"],
     "ipwhl add: sdistonly 1.0: no wheel on {index} (only an sdist, which cannot enter IPWHL)"),
    (["purelib==9.9"], "ipwhl add: purelib 9.9: no wheel on {index} (no such release)"),
    (["purelib>=5"], "ipwhl add: purelib>=5: no release in >=5 on {index} has a wheel for "
     "any supported environment"),
    (["partial>=3"], "ipwhl add: partial>=3: no release in >=3 on {index} has a wheel for any "
     "supported environment (3.0 (only an sdist))"),
    (["pulled"], "ipwhl add: pulled: no release on {index} has a wheel for any supported "
     "environment (1.0 (yanked))"),
    (["fastlbi==1.0"], "ipwhl add: no project 'fastlbi' on {index} (HTTP 404 for "
     "{index}fastlbi/); did you mean 'fastlib'?"),
    (["--recursive", "socky[test]==1.0"], "ipwhl add: sdistonly: no release with wheels on "
     "{index} satisfies sdistonly>=1; extra == \"test\" (a dependency of socky 1.0)"),
    (["nosuch==1.0"], "ipwhl add: no project 'nosuch' on {index} (HTTP 404 for {index}nosuch/)"),
    (["--recursive", "orphan==1.0"], "ipwhl add: no project 'ghost' on {index} (HTTP 404 for "
     "{index}ghost/) (a dependency of orphan 1.0)"),
    (["--recursive", "needy==1.0"], "ipwhl add: purelib: no release with wheels on {index} "
     "satisfies purelib>=5 (a dependency of needy 1.0)"),
    (["speedups==1.0", "purelib==1.0", "--fault"],  # the second download fails: no writes
     "ipwhl add: cannot download {files}purelib-1.0-py3-none-any.whl: HTTP 500 Internal "
     "Server Error (after 1 attempt)"),
    (["{tmp}/local-1.0-py3-none-any.whl"], "ipwhl add: a local wheel needs --source URL (where "
     "it is published): '{tmp}/local-1.0-py3-none-any.whl'"),
    (["{tmp}/local-1.0-py3-none-any.whl", "--source", "https://example.org/other-1.0-py3-none"
      "-any.whl"], "ipwhl add: --source names 'other-1.0-py3-none-any.whl' but the wheel is "
     "'local-1.0-py3-none-any.whl'"),
    (["purelib==1.0", "--source", "https://example.org/purelib-1.0-py3-none-any.whl"],
     "ipwhl add: --source goes with exactly one local wheel file"),
    (["http://example.org/purelib-1.0-py3-none-any.whl"],
     "ipwhl add: refusing 'http://example.org/purelib-1.0-py3-none-any.whl': plain http is only "
     "allowed to this machine, use https"),
]


@pytest.mark.parametrize(("args", "message"), FAILURES)
def test_failure_writes_nothing(root: Path, index: IndexServer, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str], args: list[str],
                                message: str) -> None:
    assert add(root, "fastlib==0.9") == 0
    before = files(root)
    capsys.readouterr()
    make_wheel(tmp_path, "local", "1.0")
    if "--fault" in args:
        index.fault("/files/purelib-1.0-py3-none-any.whl", Status(500))
    args = [a.replace("{tmp}", str(tmp_path)) for a in args if a != "--fault"]
    usage = message.startswith("ipwhl add: error: ")  # a SPEC it cannot understand
    assert add(root, *args) == (2 if usage else 1)
    assert capsys.readouterr().err == message.format(
        index=index.index_url, files=index.url + "/files/", tmp=tmp_path) + "\n"
    assert files(root) == before
    assert not list(root.rglob("*.tmp"))


def test_wheel_url_and_local_wheel(root: Path, index: IndexServer, tmp_path: Path) -> None:
    url = index.file_url("speedups-1.0-py3-none-any.whl")
    assert add(root, url) == 0
    local = make_wheel(tmp_path / "dist", "local", "1.0", dependencies=["speedups"])
    published = "https://wheels.example.org/local-1.0-py3-none-any.whl"
    assert add(root, str(local), "--source", published) == 0
    def rel(filename: str) -> str:
        return str(declaration_path(root, filename).relative_to(root))

    assert files(root) == {
        rel("speedups-1.0-py3-none-any.whl"): render(
            url, file_cid(index.root / "files" / "speedups-1.0-py3-none-any.whl",
                          "unixfs-v1-2025")[0], None, [], []),
        rel("local-1.0-py3-none-any.whl"): render(
            published, file_cid(local, "unixfs-v1-2025")[0], None, [], ["speedups"]),
    }


def test_add_as_a_user_runs_it(root: Path) -> None:
    # PIP_INDEX_URL (set by the fixture) is the only place the index is named.
    result = run_ipwhl("add", "--root", str(root), "speedups==1.0")
    path = declaration_path(root, "speedups-1.0-py3-none-any.whl")
    assert (result.returncode, result.stdout, without_summary(result.stderr)) == (
        0, f"added {path}\nspeedups 1.0: new, 1 declaration added\n"
           "1 project added or updated: 1 declaration added\n", "")
    assert "source = 'index:speedups/speedups-1.0-py3-none-any.whl'\n" in path.read_text()


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_declarations_get_the_permissions_of_the_umask(root: Path, mask: int) -> None:
    """What a plain ``open`` (``mkdir``) would give them and their new directories, as
    every file the tool creates."""
    with umask(mask):
        assert add(root, "speedups==1.0") == 0
    path = declaration_path(root, "speedups-1.0-py3-none-any.whl")
    assert path.is_file()
    assert made_by_a_plain_open(path.parent.parent, mask=mask) == {}


def test_content_id_follows_the_repository_profile(root: Path, index: IndexServer) -> None:
    (root / "repository.toml").write_text(SETTINGS.replace("unixfs-v1-2025", "unixfs-v0-2015"))
    assert add(root, "speedups==1.0") == 0
    wheel = index.root / "files" / "speedups-1.0-py3-none-any.whl"
    cid = file_cid(wheel, "unixfs-v0-2015")[0]
    assert cid.startswith("Qm")  # CIDv0, dag-pb: what `ipfs add` gives by default
    path = declaration_path(root, wheel.name)
    assert f"content-id = '{cid}'\n" in path.read_text()
    assert online_check(root, path) == 0
    assert ipwhl(["check", "--root", str(root)]) == 0


def test_a_failed_write_writes_nothing(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # purelib's project directory cannot be made (a file is in the way): speedups, staged
    # first, is not written either.
    speedups = declaration_path(root, "speedups-1.0-py3-none-any.whl")
    blocker = declaration_path(root, "purelib-1.0-py3-none-any.whl").parent
    assert sorted([speedups.parent, blocker])[0] == speedups.parent  # staged first
    blocker.parent.mkdir(parents=True)
    blocker.write_text("in the way")
    assert add(root, "speedups==1.0", "purelib==1.0") == 1
    err = without_summary(capsys.readouterr().err)
    assert err == ("ipwhl add: cannot write the declarations, nothing written: "
                   f"{blocker / 'purelib-1.0-py3-none-any.toml'}: Not a directory\n")
    assert not speedups.parent.exists()
    assert sorted(p.name for p in root.rglob("*")) == sorted(
        ["repository.toml", blocker.parent.name, blocker.name])


def test_yanked_files(root: Path) -> None:
    # PEP 592: a yanked file is chosen only for an exact pin with nothing else to choose;
    # the closure passes over yanked purelib 1.2 (fastlib needs purelib>=1.0).
    assert add(root, "pulled==1.0") == 0
    assert add(root, "--recursive", "fastlib==1.0") == 0
    names = {Path(p).name for p in files(root)}
    assert {"pulled-1.0-py3-none-any.toml", "purelib-1.1-py3-none-any.toml"} <= names


SOCKS = 'pysocks>=1; extra == "socks"'
FAST_EXTRA = 'speedups>=1; extra == "fast"'
# Curated extras: (first adds, the add, {declaration stem: (extras, dependencies)} of the
# tree after it, the add's warnings, what the offline check then says)
EXTRA_CASES = [
    ("the wheel's extras are not followed", [], ["--recursive", "socky==1.0"],
     {"socky-1.0": ([], ["purelib>=1.0"]), "purelib-1.1": ([], [])}, [], ""),
    ("an extra named in the SPEC", [], ["--recursive", "socky[socks]==1.0"],
     {"socky-1.0": (["socks"], ["purelib>=1.0", SOCKS]), "purelib-1.1": ([], []),
      "pysocks-1.0": ([], [])}, [], ""),
    ("an extra asking for another of its project", [],
     ["socky[all]==1.0", "pysocks==1.0", "purelib==1.1"],
     {"socky-1.0": (["all", "socks"], ["purelib>=1.0", SOCKS, 'socky[socks]; extra == "all"']),
      "pysocks-1.0": ([], []), "purelib-1.1": ([], [])}, [], ""),
    ("a dependency asks for an extra", [], ["--recursive", "fastuser==1.0"],
     {"fastuser-1.0": ([], ["purelib[fast]>=1"]), "purelib-1.1": (["fast"], [FAST_EXTRA]),
      "speedups-1.0": ([], [])}, [], ""),
    ("a dependency asks for an extra of a project in the tree", ["purelib==1.1"],
     ["--recursive", "fastuser==1.0"],
     {"fastuser-1.0": ([], ["purelib[fast]>=1"]), "purelib-1.1": (["fast"], [FAST_EXTRA]),
      "speedups-1.0": ([], [])}, [], ""),
    ("not without --recursive", ["purelib==1.1"], ["fastuser==1.0"],
     {"fastuser-1.0": ([], ["purelib[fast]>=1"]), "purelib-1.1": ([], [])}, [],
     "{fastuser}: IW403 dependency 'purelib[fast]>=1': '{purelib}' does not declare extra "
     "'fast' (on all 6 supported environments)\n"),
    ("the tree asks for an extra of the project added", ["fastuser==1.0"],
     ["--recursive", "purelib==1.1"],
     {"fastuser-1.0": ([], ["purelib[fast]>=1"]), "purelib-1.1": (["fast"], [FAST_EXTRA]),
      "speedups-1.0": ([], [])}, [], ""),
    ("an upgrade keeps the extras", ["socky[socks]==1.0", "pysocks==1.0", "purelib==1.1"],
     ["socky==1.1"],
     {"socky-1.1": (["socks"], ["purelib>=1.0", SOCKS]), "pysocks-1.0": ([], []),
      "purelib-1.1": ([], [])}, [], ""),
    ("an upgrade to a wheel without the extra", ["socky[socks]==1.0", "purelib==1.1"],
     ["socky==1.2"], {"socky-1.2": ([], ["purelib>=1.0"]), "purelib-1.1": ([], [])},
     ["socky 1.2: the wheel does not provide extra 'socks' (declared by socky 1.0)"], ""),
    ("an extra the wheel lacks", [], ["purelib[Nope]==1.1"], {"purelib-1.1": ([], [])},
     ["purelib 1.1: the wheel does not provide extra 'nope' (asked for by "
      "'purelib[Nope]==1.1')"], ""),
]


def _declared(root: Path) -> dict[str, tuple[list[str], list[str]]]:
    found = {}
    for path in root.rglob("*-py3-none-any.toml"):
        table = tomllib.loads(path.read_text())
        stem = path.name.removesuffix("-py3-none-any.toml")
        found[stem] = (table["extras"], sorted(table["dependencies"]))
    return found


@pytest.mark.parametrize(("before", "args", "tree", "warnings", "check"),
                         [c[1:] for c in EXTRA_CASES], ids=[c[0] for c in EXTRA_CASES])
def test_curated_extras(root: Path, capsys: pytest.CaptureFixture[str], before: list[str],
                        args: list[str], tree: dict[str, tuple[list[str], list[str]]],
                        warnings: list[str], check: str) -> None:
    if before:  # (a setup: the tree may lack a dependency meanwhile, which add says)
        assert add(root, *before) in (0, 1)
    capsys.readouterr()
    assert add(root, *args) == (1 if check else 0)
    advice = ("ipwhl add: the tree now fails ipwhl check (1 problem above): add what the "
              "dependencies need (ipwhl add --recursive SPEC, or ipwhl add NAME for each "
              "project named) (in git, git restore and git clean of the data tree undo the "
              "add)\n") if check else ""
    assert without_summary(capsys.readouterr().err) == "".join(
        f"ipwhl add: warning: {w}\n" for w in warnings) + advice
    assert _declared(root) == {k: (e, sorted(d)) for k, (e, d) in tree.items()}
    # What add wrote is what the online check expects of these wheels and extras ...
    assert online_check(root) == 0
    capsys.readouterr()
    # ... and the offline dependency check follows exactly the declared extras.
    assert ipwhl(["check", "--root", str(root)]) == (1 if check else 0)
    paths = {p.name.split("-")[0]: str(p) for p in root.rglob("*.toml")}
    assert capsys.readouterr().out == check.format(**paths)


def test_extras_added_to_a_project_in_the_tree_rewrite_it_in_place(
        root: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(root, "purelib==1.1") == 0
    purelib = declaration_path(root, "purelib-1.1-py3-none-any.whl")
    before = purelib.read_text()
    capsys.readouterr()
    assert add(root, "--recursive", "fastuser==1.0") == 0
    fastuser = declaration_path(root, "fastuser-1.0-py3-none-any.whl")
    speedups = declaration_path(root, "speedups-1.0-py3-none-any.whl")
    lines = {fastuser: "added", purelib: "updated", speedups: "added"}
    assert capsys.readouterr().out == "".join(f"{lines[p]} {p}\n" for p in sorted(lines)) + (
        "fastuser 1.0: new, 1 declaration added\n"
        "purelib 1.1: 1 declaration updated\n"
        "speedups 1.0: new, 1 declaration added\n"
        "3 projects added or updated: 2 declarations added, 1 updated\n")
    after = purelib.read_text()
    assert after == before.replace("extras = []\ndependencies = []\n",
                                   f"extras = ['fast']\ndependencies = [\n    '{FAST_EXTRA}',\n]\n")
    # The same wheel: the source and CID lines are unchanged.
    assert after.splitlines()[:2] == before.splitlines()[:2]


PURELIB_SKIPPED = ("ipwhl add: warning: purelib: took 1.1, the newest release with a wheel for "
                   "every supported environment; skipped 3.0 (only an sdist), 2.0 (no wheel "
                   "for cp311-manylinux_2_28_x86_64, cp311-macosx_14_0_arm64, cp311-win_amd64)"
                   ", 1.2 (yanked)\n")
# SPEC -> the declarations it writes (stems), what it says on standard error
NEWEST = [
    ("purelib", ["purelib-1.1"], PURELIB_SKIPPED),
    ("purelib>=1", ["purelib-1.1"], PURELIB_SKIPPED),
    ("purelib<1.1", ["purelib-1.0"], ""),
    ("purelib==1.*", ["purelib-1.1"], "ipwhl add: warning: purelib: took 1.1, the newest "
     "release with a wheel for every supported environment; skipped 1.2 (yanked)\n"),
    ("PureLib>=1.1,<2", ["purelib-1.1"], "ipwhl add: warning: purelib: took 1.1, the newest "
     "release with a wheel for every supported environment; skipped 1.2 (yanked)\n"),
    ("purelib==2.0", ["purelib-2.0"], "ipwhl add: warning: purelib 2.0: no wheel for "
     "cp311-manylinux_2_28_x86_64, cp311-macosx_14_0_arm64, cp311-win_amd64\n"),  # pinned
]


@pytest.mark.parametrize(("spec", "stems", "err"), NEWEST, ids=[c[0] for c in NEWEST])
def test_a_spec_without_a_pin_takes_the_newest_release_with_every_wheel(
        root: Path, capsys: pytest.CaptureFixture[str], spec: str, stems: list[str],
        err: str) -> None:
    assert add(root, spec) == 0
    assert sorted(Path(p).name.removesuffix("-py3-none-any.toml") for p in files(root)) \
        == stems
    assert without_summary(capsys.readouterr().err) == err


PARTIAL_1 = ("ipwhl add: warning: partial 1.0: no wheel for cp311-manylinux_2_28_x86_64, "
             "cp311-macosx_14_0_arm64, cp311-win_amd64, cp312-macosx_14_0_arm64, "
             "cp312-win_amd64\n")
PARTIAL_2 = ("ipwhl add: warning: partial 2.0: no wheel for cp311-manylinux_2_28_x86_64, "
             "cp311-macosx_14_0_arm64, cp311-win_amd64, cp312-manylinux_2_28_x86_64, "
             "cp312-macosx_14_0_arm64\n")
# (partial coverage) the tree before, SPEC -> the release declared, standard error
PARTIAL = [
    ([], "partial", "2.0", "ipwhl add: warning: partial: took 2.0, the newest release with a "
     "wheel for some supported environment (none has one for every supported environment); "
     "skipped 3.0 (only an sdist)\n" + PARTIAL_2),
    (["partial==1.0"], "partial", "1.0", "ipwhl add: warning: partial: took 1.0, the newest "
     "release with a wheel for every environment partial 1.0 covers; skipped 3.0 (only an "
     "sdist), 2.0 (no wheel for cp312-manylinux_2_28_x86_64)\n" + PARTIAL_1),
    (["partial==1.0"], "partial>=2", "2.0", "ipwhl add: warning: partial: took 2.0, the newest "
     "release with a wheel for some supported environment (none has one for every "
     "environment partial 1.0 covers); skipped 3.0 (only an sdist)\n" + PARTIAL_2),
    (["partial==2.0"], "partial<3", "2.0", PARTIAL_2),
]


@pytest.mark.parametrize(("before", "spec", "version", "err"), PARTIAL,
                         ids=[" ".join([*c[0], c[1]]) for c in PARTIAL])
def test_without_a_release_for_every_environment_the_newest_partial_one_is_taken(
        root: Path, capsys: pytest.CaptureFixture[str], before: list[str], spec: str,
        version: str, err: str) -> None:
    """A project may cover only some environments: with no release in range for every one
    (or, for a project in the tree, for every one it covers), the newest release with a
    wheel for some is declared, and the newer ones passed over are named."""
    if before:
        assert add(root, *before) == 0
    capsys.readouterr()
    assert add(root, spec) == 0
    assert [Path(p).name.split("-")[1] for p in files(root)] == [version]
    assert without_summary(capsys.readouterr().err) == err


@pytest.mark.parametrize(("spec", "reason"), [
    ("purelib>>1", "Expected end or semicolon (after name and no valid version specifier)"),
    ("caf\u00e9==1.0", "Expected end or semicolon (after name and no valid version "
     "specifier)"),
    ("purelib @ git+https://example.org/purelib", None),
    ("purelib==1.0; os_name == 'nt'", None),
])
def test_a_spec_that_cannot_be_understood_is_a_usage_error(
        root: Path, capsys: pytest.CaptureFixture[str], spec: str, reason: str | None) -> None:
    assert add(root, spec) == 2
    err = capsys.readouterr().err
    if reason is None:
        assert err == (f"ipwhl add: error: {spec!r} is not a SPEC: a project SPEC names no URL "
                       "or marker (expected NAME, NAME==VERSION or NAME[EXTRA]>=VERSION...)\n")
    else:
        assert err.startswith(f"ipwhl add: error: {spec!r} is not a SPEC: expected NAME, ")
        assert len(err.splitlines()) == 1
    assert files(root) == {}


def test_wheels_apart_are_declared_when_pips_choices_overlap(
        root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(root, "--recursive", "needsdebuggy") == 0
    assert sorted(Path(p).name for p in files(root)) == [
        "debuggy-1.0-py3-none-any.toml", "needsdebuggy-1.0-py3-none-any.toml"]
    assert without_summary(capsys.readouterr().err) == (
        "ipwhl add: warning: debuggy 1.0: pip's choices would install together on one "
        "machine (IW301); declared debuggy-1.0-py3-none-any.whl instead, which do not\n")
    assert ipwhl(["check", "--root", str(root)]) == 0


def test_an_overlap_without_a_choice_apart_fails_saying_what_to_do(
        root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(root, "--recursive", "needsclash==1.0") == 1
    out, err = capsys.readouterr()
    first, second = (declaration_path(root, f"clash-1.0-py3-none-{p}.whl") for p in (
        "macosx_11_0_arm64.manylinux_2_17_x86_64", "macosx_11_0_arm64.win_amd64"))
    needs = declaration_path(root, "needsclash-1.0-py3-none-any.whl")
    assert out == (f"added {first}\nadded {second}\nadded {needs}\n"
                   f"{first}: IW301 installable together with '{second}' on "
                   "cp311-macosx_11_0_arm64\n"
                   "clash 1.0: new, 2 declarations added\n"
                   "needsclash 1.0: new, 1 declaration added\n"
                   "2 projects added or updated: 3 declarations added\n")
    assert without_summary(err) == (
                   "ipwhl add: the tree now fails ipwhl check (1 problem above): keep one of "
                   "the declarations that install together (remove the others), or add a "
                   "release whose wheels do not overlap (ipwhl add NAME==VERSION) (in git, git "
                   "restore and git clean of the data tree undo the add)\n")
    capsys.readouterr()
    assert ipwhl(["check", "--root", str(root)]) == 1
    assert capsys.readouterr().out == out.splitlines(keepends=True)[3]


def test_adding_what_the_tree_has_says_nothing_changed(
        root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert add(root, "speedups==1.0") == 0
    capsys.readouterr()
    assert add(root, "speedups") == 0
    out, err = capsys.readouterr()
    assert (out, without_summary(err)) == ("nothing changed: the tree declares speedups 1.0\n", "")

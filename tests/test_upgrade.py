"""``ipwhl upgrade`` and the held projects of ``ipwhl outdated``, against a real local
index serving several releases of a few projects, in a real git data repository.

The catalogue: lib (a plain upgrade, its extra kept, a requires-python change), app (its
new release brings a new dependency and names its changelog), held (held at 2.5 by
keeper's ``held<3``), pair-a and pair-b (each release of one pins the other: they must
move together), wide (2.0 requires Python 3.12), lin (2.0 has Linux wheels only), orphan
(2.0 requires a project the index does not have).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwhl_checks.cli import main as ipwhl
from ipwhl_checks.repo.layout import declaration_path

from .conftest import made_by_a_plain_open, new_data_root, run_ipwhl, umask, without_summary
from .indexserver import Body, IndexServer, use_index
from .test_release import keygen
from .wheelmaker import make_wheel, metadata_text

SETTINGS = ("profile = 'unixfs-v1-2025'\npython = ['3.11', '3.12']\n"
            "platforms = ['manylinux_2_28_x86_64', 'win_amd64']\n")
HOOK = Path(__file__).resolve().parent.parent / "hooks" / "sendemail-validate"
README = Path(__file__).resolve().parent.parent / "README.md"
CHANGES = "https://example.org/app/changes"
LINUX_ONLY = "py3-none-manylinux_2_28_x86_64"
# name, version, tag, requires-python, extras, dependencies, project URLs
CATALOGUE = [
    ("app", "1.0", "py3-none-any", None, [], ["lib>=1"], {}),
    ("app", "1.1", "py3-none-any", None, [], ["lib>=1", "newdep>=1"],
     {"Homepage": "https://example.org/app", "Release Notes": CHANGES}),
    ("lib", "1.0", "py3-none-any", None, ["fast"], ['speedy>=1; extra == "fast"'], {}),
    ("lib", "2.0", "py3-none-any", ">=3.9", ["fast", "test"],
     ['speedy>=1; extra == "fast"', 'pytest; extra == "test"'], {}),
    ("speedy", "1.0", "py3-none-any", None, [], [], {}),
    ("held", "2.0", "py3-none-any", None, [], [], {}),
    ("held", "2.5", "py3-none-any", None, [], [], {}),
    ("held", "3.0", "py3-none-any", None, [], [], {}),
    ("keeper", "1.0", "py3-none-any", None, [], ["held<3"], {}),
    ("pair-a", "1.0", "py3-none-any", None, [], ["pair-b==1.0"], {}),
    ("pair-a", "2.0", "py3-none-any", None, [], ["pair-b==2.0"], {}),
    ("pair-b", "1.0", "py3-none-any", None, [], [], {}),
    ("pair-b", "2.0", "py3-none-any", None, [], [], {}),
    ("newdep", "0.9", "py3-none-any", None, [], [], {}),
    ("newdep", "1.0", "py3-none-any", None, [], [], {}),
    ("wide", "1.0", "py3-none-any", None, [], [], {}),
    ("wide", "2.0", "py3-none-any", ">=3.12", [], [], {}),
    ("lin", "1.0", "py3-none-any", None, [], [], {}),
    ("lin", "2.0", LINUX_ONLY, None, [], [], {}),
    ("orphan", "1.0", "py3-none-any", None, [], [], {}),
    ("orphan", "2.0", "py3-none-any", None, [], ["ghost>=1"], {}),
]
OLD = ["app==1.0", "lib[fast]==1.0", "held==2.0", "keeper==1.0", "pair-a==1.0", "wide==1.0",
       "lin==1.0", "orphan==1.0"]
NEW = ["app==1.1", "lib[fast]==2.0", "held==2.5", "keeper==1.0", "pair-a==2.0", "pair-b==2.0",
       "wide==1.0", "lin==1.0", "orphan==1.0"]
HELD = [
    "held 2.0 (3.0 held: keeper requires held<3)",
    "lin 1.0 (2.0 held: no wheel for {cp311,cp312}-win_amd64)",
    "wide 1.0 (2.0 held: requires-python >=3.12 leaves out Python 3.11)",
]
ORPHAN = "orphan 1.0 (2.0 held: it requires ghost>=1, which has no release with wheels " \
         "where it is needed)"
TITLES = ["held: 2.0 -> 2.5", "lib: 1.0 -> 2.0", "app: 1.0 -> 1.1",
          "pair-a: 1.0 -> 2.0, pair-b: 1.0 -> 2.0"]


def git(cwd: Path, *args: str, **kwargs: object) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          timeout=120, **kwargs).stdout  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    tmp = tmp_path_factory.mktemp("upgrade")
    with IndexServer(tmp / "index") as server:
        for name, version, tag, rp, extras, deps, urls in CATALOGUE:
            server.publish(make_wheel(tmp / "w", name, version, tag=tag, requires_python=rp,
                                      extras=extras, dependencies=deps, project_urls=urls),
                           requires_python=rp)
        yield server


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer) -> Path:
    """A data repository in git (its first commit: the old releases, as `ipwhl add
    --recursive` writes them), with a contributor's git identity; the current directory."""
    use_index(monkeypatch, tmp_path, index)
    config = tmp_path / "gitconfig"
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name, value in [("user.name", "Update Bot"), ("user.email", "bot@ipwhl.test"),
                        ("init.defaultBranch", "main")]:
        git(tmp_path, "config", "--file", str(config), name, value)
    root = tmp_path / "repo"
    root.mkdir()
    data = new_data_root(root, SETTINGS)
    assert ipwhl(["add", "--recursive", "--root", str(data), *OLD]) == 0
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the old releases")
    monkeypatch.chdir(root)
    return root


def files(data: Path) -> dict[str, str]:
    return {str(p.relative_to(data)): p.read_text() for p in sorted(data.rglob("*.toml"))}


def test_outdated_explains_the_held_projects(repo: Path, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    assert ipwhl(["outdated"]) == 0
    out = capsys.readouterr().out.splitlines()
    # pair-b is held by pair-a 1.0's pin (the tree's requirements; pair-a 2.0 frees it, and
    # `ipwhl upgrade` moves them together); pair-a 2.0's own pin on pair-b 2.0 holds nothing,
    # since pair-b 2.0 suits its other dependents; orphan 2.0 needs a project the tree lacks
    pair_b = "pair-b 1.0 (2.0 held: pair-a requires pair-b==1.0)"
    assert out == ["app 1.0 -> 1.1", "held 2.0 -> 2.5", HELD[0], "lib 1.0 -> 2.0", HELD[1],
                   "orphan 1.0 -> 2.0", "pair-a 1.0 -> 2.0", pair_b, HELD[2]]
    assert ipwhl(["outdated", "--held"]) == 0
    assert capsys.readouterr().out.splitlines() == [HELD[0], HELD[1], pair_b, HELD[2]]


def test_outdated_json_names_what_holds(repo: Path) -> None:
    result = run_ipwhl("outdated", "--json", "--held")
    assert (result.returncode, without_summary(result.stderr)) == (0, "")
    assert json.loads(result.stdout)[:2] == [
        {"project": "held", "declared": "2.0", "latest": "2.5",
         "held": {"version": "3.0", "reason": "keeper requires held<3"}},
        {"project": "lin", "declared": "1.0", "latest": None,
         "held": {"version": "2.0", "reason": "no wheel for {cp311,cp312}-win_amd64"}},
    ]


def test_upgrade_all_writes_what_add_writes(repo: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert ipwhl(["upgrade", "--all"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "held 2.0 -> 2.5", "lib 1.0 -> 2.0", "app 1.0 -> 1.1",
        "newdep 1.0 (new: a dependency of app 1.1)", "pair-a 1.0 -> 2.0", "pair-b 1.0 -> 2.0",
        *HELD[:2], ORPHAN, HELD[2]]
    assert "ipwhl upgrade: warning: ghost: no project 'ghost'" in err
    # the same files as `ipwhl add --recursive` of the new releases into an empty tree
    (tmp_path / "fresh").mkdir()
    fresh = new_data_root(tmp_path / "fresh", SETTINGS)
    assert ipwhl(["add", "--recursive", "--root", str(fresh), *NEW]) == 0
    assert files(repo / "data") == files(fresh)
    assert ipwhl(["check"]) == 0


def test_a_named_project_brings_the_set_that_must_move_with_it(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ipwhl(["upgrade", "pair-b"]) == 0
    assert capsys.readouterr().out.splitlines() == ["pair-a 1.0 -> 2.0", "pair-b 1.0 -> 2.0"]
    assert ipwhl(["upgrade", "held", "wide"]) == 0
    assert capsys.readouterr().out.splitlines() == ["held 2.0 -> 2.5", HELD[0], HELD[2]]
    assert ipwhl(["check"]) == 0
    changed = git(repo, "status", "--porcelain").split()
    assert "data/b5/app/app-1.0-py3-none-any.toml" not in changed  # not named: not moved


@pytest.mark.parametrize(("args", "error"), [
    ([], "name the projects to upgrade, or give --all (not both)"),
    (["--all", "app"], "name the projects to upgrade, or give --all (not both)"),
    (["app", "nosuch", "Other_Name"], "not in the repository: nosuch, other-name (add a "
                                      "project with 'ipwhl add')"),
])
def test_usage_errors(repo: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                      error: str) -> None:
    assert ipwhl(["upgrade", *args]) == 2
    assert capsys.readouterr().err == f"ipwhl upgrade: error: {error}\n"


def test_commit_needs_a_clean_data_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "data" / "stray.txt").write_text("work in progress\n")
    before = git(repo, "rev-parse", "HEAD")
    assert ipwhl(["upgrade", "--all", "--commit"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ipwhl upgrade: --commit needs a clean data tree: 'data' has "
                          "uncommitted changes ('data/stray.txt'...)")
    assert git(repo, "rev-parse", "HEAD") == before


def test_a_refused_commit_leaves_the_tree_as_it_was(repo: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    hooks = repo / ".git" / "hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\necho 'refused by policy' >&2\nexit 1\n")
    (hooks / "pre-commit").chmod(0o755)
    assert ipwhl(["upgrade", "held", "--commit"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == \
        "ipwhl upgrade: git commit failed: refused by policy"
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(repo, "log", "--format=%s") == "the old releases\n"


def _message(repo: Path, rev: str) -> str:
    return git(repo, "log", "-1", "--format=%B", rev).rstrip("\n") + "\n"


def _readme_routine() -> str:
    """The command lines of README's "The update routine"."""
    text = README.read_text()
    section = text[text.index("### The update routine"):]
    block = section[section.index("```sh\n") + 6:]
    return block[:block.index("\n```")]


# git send-email is not installed everywhere (nor can it mail from here): this stand-in
# does what it does before sending, running the sendemail-validate hook on each patch,
# and keeps the patches it would send.
SEND_EMAIL = """#!/bin/sh
for arg; do
    case "$arg" in
        -*) ;;
        *) "$(git rev-parse --git-path hooks)/sendemail-validate" "$arg" || exit 1
           cp "$arg" "$SENT/" ;;
    esac
done
"""


def test_the_cron_routine_end_to_end(repo: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """README's routine as written, as cron runs it in its clone of the list's repository;
    then the maintainer's side: `git am -S` on a clean clone, every check (online too,
    against the index), a release and its verification."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(origin))
    work = tmp_path / "cron"
    work.mkdir()
    git(work, "clone", "-q", str(origin), "ipwhl")
    clone = work / "ipwhl"
    (clone / ".venv" / "bin").mkdir(parents=True)
    (clone / ".venv" / "bin" / "ipwhl").symlink_to(Path(sys.executable).parent / "ipwhl")
    (clone / ".git" / "info" / "exclude").write_text(".venv/\noutgoing/\n")
    (clone / ".git" / "hooks" / "sendemail-validate").symlink_to(HOOK)
    tools, sent = tmp_path / "tools", tmp_path / "sent"
    tools.mkdir()
    sent.mkdir()
    (tools / "git-send-email").write_text(SEND_EMAIL)
    (tools / "git-send-email").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SENT", str(sent))
    script = _readme_routine().replace("<the list>", "ipwhl-devel@example.invalid")
    done = subprocess.run(["sh", "-euc", script], cwd=work, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split(" ", 2)[2] for line in done.stdout.splitlines()
            if line.startswith("committed ")] == TITLES
    assert git(clone, "log", "--reverse", "--format=%s", "origin/main..HEAD").splitlines() \
        == TITLES
    assert git(clone, "status", "--porcelain") == ""
    patches = sorted(sent.iterdir())
    assert [p.name for p in patches] == [
        "0001-held-2.0-2.5.patch", "0002-lib-1.0-2.0.patch", "0003-app-1.0-1.1.patch",
        "0004-pair-a-1.0-2.0-pair-b-1.0-2.0.patch"]

    app = _message(clone, "HEAD~1")
    assert app == (
        "app: 1.0 -> 1.1\n\n"
        "Wheels added:\n    app-1.1-py3-none-any.whl\n    newdep-1.0-py3-none-any.whl\n\n"
        "Wheels removed:\n    app-1.0-py3-none-any.whl\n\n"
        "Dependencies of app:\n    + newdep>=1\n\n"
        "New to the repository:\n    newdep 1.0 (a dependency of app 1.1)\n\n"
        f"Changelog:\n    app: {CHANGES}\n")
    lib = _message(clone, "HEAD~2")
    assert "requires-python of lib: any -> >=3.9\n" in lib
    assert "pytest" not in lib  # the 'test' extra is not declared: not a dependency
    assert _message(clone, "HEAD~3").startswith("held: 2.0 -> 2.5\n\nWheels added:\n"
                                                "    held-2.5-py3-none-any.whl\n")
    assert _message(clone, "HEAD").startswith(
        "pair-a: 1.0 -> 2.0, pair-b: 1.0 -> 2.0\n\nWheels added:\n"
        "    pair_a-2.0-py3-none-any.whl\n    pair_b-2.0-py3-none-any.whl\n")

    # the maintainer: a clean clone of the list's repository, each patch applied and signed
    key = keygen(tmp_path / "maintainer", "maintainer@ipwhl.test")
    maintainer = tmp_path / "maintainer-clone"
    git(tmp_path, "clone", "-q", str(origin), str(maintainer))
    (maintainer / ".ipwhl").mkdir()
    (maintainer / ".ipwhl" / "allowed_signers").write_text(
        f'maintainer@ipwhl.test namespaces="git" {key.with_suffix(".pub").read_text()}')
    for name, value in [("user.name", "Maintainer"), ("user.email", "maintainer@ipwhl.test"),
                        ("gpg.format", "ssh"), ("user.signingkey", str(key)),
                        ("gpg.ssh.allowedSignersFile", ".ipwhl/allowed_signers")]:
        git(maintainer, "config", name, value)
    git(maintainer, "add", "-A")
    git(maintainer, "commit", "-q", "-S", "-m", "the maintainer's key")
    for patch in patches:
        git(maintainer, "am", "-q", "-S", str(patch))
        check = run_ipwhl("check", cwd=maintainer)
        assert check.returncode == 0, (patch.name, check.stdout)
    assert git(maintainer, "log", "--reverse", "--format=%an %G? %s", "HEAD~4..HEAD"
               ).splitlines() == [f"Update Bot G {t}" for t in TITLES]
    assert files(maintainer / "data") == files(clone / "data")
    online = run_ipwhl("check", "--online", cwd=maintainer)
    assert online.returncode == 0, online.stdout + online.stderr
    released = run_ipwhl("release", "--tag", "ipwhl-1", cwd=maintainer)
    assert released.returncode == 0, released.stderr
    verified = run_ipwhl("verify", "ipwhl-1", cwd=maintainer)
    assert verified.returncode == 0, verified.stderr


def test_a_release_is_read_from_its_metadata_file(repo: Path, index: IndexServer,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """PEP 658: a release that is tried but not taken costs its METADATA, not its wheel."""
    before = len(index.requests)
    assert ipwhl(["upgrade", "orphan"]) == 0
    assert capsys.readouterr().out == f"{ORPHAN}\n"
    asked = index.requests[before:]
    assert "/files/orphan-2.0-py3-none-any.whl.metadata" in asked
    assert "/files/orphan-2.0-py3-none-any.whl" not in asked


def test_metadata_that_is_not_what_the_page_lists_is_refused(
        repo: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    path = "/files/orphan-2.0-py3-none-any.whl.metadata"
    forged = metadata_text("orphan", "2.0").encode()  # no longer requires ghost
    index.fault(path, Body(forged))
    assert ipwhl(["upgrade", "orphan"]) == 1
    out, err = capsys.readouterr()
    err = without_summary(err)
    assert out == "orphan 1.0 (2.0 held: its metadata cannot be read)\n"
    assert err.startswith(f"ipwhl upgrade: orphan 2.0: cannot read its metadata: "
                          f"{index.url}{path}: the index lists sha256 ")
    assert git(repo, "status", "--porcelain") == ""


def test_without_metadata_files_the_wheel_is_read(repo: Path, index: IndexServer,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for version in ("1.0", "2.0"):
        index.publish(make_wheel(tmp_path / "w", "nometa", version, dependencies=["speedy"]),
                      metadata=False)
    assert ipwhl(["add", "nometa==1.0"]) == 0
    capsys.readouterr()
    before = len(index.requests)
    assert ipwhl(["upgrade", "nometa"]) == 0
    assert capsys.readouterr().out == "nometa 1.0 -> 2.0\n"
    assert "/files/nometa-2.0-py3-none-any.whl" in index.requests[before:]
    assert ipwhl(["check"]) == 0


def test_a_move_that_breaks_the_tree_is_held_and_the_rest_goes_on(
        repo: Path, index: IndexServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """asker 2.0 asks for an extra of lib that no release of lib provides: the resolution
    cannot see it (it does not read the declared release's wheel), the check of the
    planned tree does (IW403), and asker stays while held moves."""
    index.publish(make_wheel(tmp_path / "w", "asker", "1.0", dependencies=["lib>=1"]))
    index.publish(make_wheel(tmp_path / "w", "asker", "2.0", dependencies=["lib[nope]>=1"]))
    assert ipwhl(["add", "asker==1.0"]) == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "asker")
    capsys.readouterr()
    assert ipwhl(["upgrade", "--commit", "asker", "held"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "held 2.0 -> 2.5"
    assert out[1].startswith("asker 1.0 (2.0 held: 2.0 would give IW403 (dependency "
                             "'lib[nope]>=1': 'data/")
    assert out[2:4] == [HELD[0], f"committed {out[3].split()[1]} held: 2.0 -> 2.5"]
    assert git(repo, "log", "-1", "--format=%s") == "held: 2.0 -> 2.5\n"
    assert git(repo, "status", "--porcelain") == ""
    assert ipwhl(["check"]) == 0


@pytest.mark.parametrize("mask", [0o027, 0o002], ids=["027", "002"])
def test_declarations_get_the_permissions_of_the_umask(repo: Path, mask: int) -> None:
    """What a plain ``open`` (``mkdir``) would give them and the new project's directory,
    as every file the tool creates."""
    with umask(mask):
        assert ipwhl(["upgrade", "--commit", "app"]) == 0
    app = declaration_path(repo / "data", "app-1.1-py3-none-any.whl")
    newdep = declaration_path(repo / "data", "newdep-1.0-py3-none-any.whl").parent
    assert app.is_file() and newdep.is_dir()
    assert made_by_a_plain_open(app, newdep, mask=mask) == {}

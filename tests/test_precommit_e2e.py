"""End to end: a data repository that uses this project's hooks, with real git and pre-commit.

A copy of this project is committed to a temporary git repository (the "hook repository");
a second temporary repository (the "data repository") points at it with ``repo:`` +
``rev:`` exactly as an IPWHL data repository would, runs ``pre-commit install``, and
commits.  pre-commit installs the hook repository with pip as it would for any user;
``PRE_COMMIT_HOME`` is shared by the session so that happens once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import offline_pip_env

ROOT = Path(__file__).resolve().parent.parent
CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
SETTINGS = "profile = 'unixfs-v1-2025'\npython = ['3.12']\nplatforms = ['win_amd64']\n"

pytestmark = pytest.mark.slow


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _git_init(repo: Path) -> None:
    _run("git", "init", "-q", "-b", "main", cwd=repo)
    _run("git", "config", "user.email", "test@example.invalid", cwd=repo)
    _run("git", "config", "user.name", "Test", cwd=repo)


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This project, as committed files in a git repository of its own: (path, commit)."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "ipwhl_checks", repo / "ipwhl_checks",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _git_init(repo)
    _run("git", "add", ".", cwd=repo)
    _run("git", "commit", "-q", "-m", "hooks", cwd=repo)
    return repo, _run("git", "rev-parse", "HEAD", cwd=repo).stdout.strip()


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {**os.environ, **offline_pip_env(), "PRE_COMMIT_HOME": str(home),
            "PRE_COMMIT_COLOR": "never"}


def _declaration(name: str, dependencies: str = "[]") -> str:
    return (f"source = 'https://example.invalid/{name}-1.0-py3-none-any.whl'\n"
            f"content-id = '{CID}'\nextras = []\ndependencies = {dependencies}\n")


def test_commits_through_the_hooks(tmp_path, hook_repo, pre_commit_env):
    hook_path, rev = hook_repo
    repo = tmp_path / "data-repo"
    (repo / "data").mkdir(parents=True)
    _git_init(repo)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hook_path}\n  rev: {rev}\n  hooks:\n"
        "  - id: ipwhl-format\n  - id: ipwhl-check\n  - id: ipwhl-dependencies\n")
    (repo / "data/repository.toml").write_text(SETTINGS)
    env = pre_commit_env
    _run(sys.executable, "-m", "pre_commit", "install", cwd=repo, env=env)
    _run("git", "add", ".", cwd=repo)
    _run("git", "commit", "-q", "-m", "settings", cwd=repo, env=env)  # installs the hooks

    # A bad declaration, and a valid one whose dependency is not in the repository.
    x = "data/78/x/x-1.0-py3-none-any.toml"
    y = "data/79/y/y-1.0-py3-none-any.toml"
    (repo / x).parent.mkdir(parents=True)
    (repo / x).write_text(f"source = 'https://example.invalid/x'\ncontentid = '{CID}'\n")
    (repo / y).parent.mkdir(parents=True)
    (repo / y).write_text(_declaration("y", "['x>=1']"))
    _run("git", "add", ".", cwd=repo)
    result = _run("git", "commit", "-m", "bad", cwd=repo, env=env, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr  # git passes the hook's output on stderr
    assert f"{x}: IW101 contentid: unknown key, did you mean 'content-id'?" in output
    assert f"{x}: IW102 content-id: missing required key" in output
    # y's unmet dependency on x is told on x, the cause (by the dependency hook)
    assert f"{x}: IW401 this declaration is invalid, so 'x' is not in the repository" in output
    assert "and 1 project depends on it: y\n" in output
    assert f"{y}: IW4" not in output
    assert _run("git", "rev-list", "--count", "HEAD", cwd=repo).stdout.strip() == "1"

    # Fixed, but not in canonical form: the formatter rewrites it and stops the commit.
    (repo / x).write_text(f'content-id = "{CID}"\n'
                          'source = "https://example.invalid/x-1.0-py3-none-any.whl"\n')
    _run("git", "add", ".", cwd=repo)
    result = _run("git", "commit", "-m", "good", cwd=repo, env=env, check=False)
    assert result.returncode != 0
    assert "files were modified by this hook" in result.stdout + result.stderr
    assert (repo / x).read_text() == (
        f"source = 'https://example.invalid/x-1.0-py3-none-any.whl'\ncontent-id = '{CID}'\n"
        "extras = []\ndependencies = []\n")

    # Staged as rewritten, the commit goes through.
    _run("git", "add", ".", cwd=repo)
    _run("git", "commit", "-q", "-m", "good", cwd=repo, env=env)
    assert _run("git", "status", "--porcelain", cwd=repo).stdout == ""
    assert _run("git", "rev-list", "--count", "HEAD", cwd=repo).stdout.strip() == "2"


@pytest.mark.parametrize(("command", "path"), [
    ("validate-manifest", ".pre-commit-hooks.yaml"),
    ("validate-config", ".pre-commit-config.yaml"),
])
def test_hook_files_are_valid_for_pre_commit(command, path):
    result = _run(sys.executable, "-m", "pre_commit", command, path, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

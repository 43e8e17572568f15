"""End to end: the ``ipwhl-sources`` hook stops a ``git push`` of a tampered declaration.

Real git, real pre-commit (installed from a commit of this project, as a data repository
would use it with ``repo:`` + ``rev:``), a real local index on 127.0.0.1 named only by
``PIP_INDEX_URL``.  The hook runs in the ``pre-push`` and ``manual`` stages only, so
commits stay fast and offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwhl_checks.cli import main as ipwhl
from ipwhl_checks.repo.layout import declaration_path

from .conftest import offline_pip_env
from .indexserver import IndexServer
from .wheelmaker import make_wheel

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "profile = 'unixfs-v1-2025'\npython = ['3.12']\nplatforms = ['win_amd64']\n"

pytestmark = pytest.mark.slow


def _run(*args: str, cwd: Path, env: dict[str, str],
         check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _git_repo(path: Path, env: dict[str, str]) -> None:
    _run("git", "init", "-q", "-b", "main", cwd=path, env=env)
    _run("git", "config", "user.email", "test@example.invalid", cwd=path, env=env)
    _run("git", "config", "user.name", "Test", cwd=path, env=env)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    tmp = tmp_path_factory.mktemp("hook-index")
    with IndexServer(tmp / "index") as server:
        server.publish(make_wheel(tmp / "w", "demo", "1.0", dependencies=["idna<4,>=2.5"]))
        server.publish(make_wheel(tmp / "w", "idna", "2.10"))
        yield server


def test_pre_push_hook_stops_a_tampered_declaration(tmp_path: Path, index: IndexServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ, **offline_pip_env(), "PIP_INDEX_URL": index.index_url,
           "PRE_COMMIT_COLOR": "never",
           "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    hooks = tmp_path / "hooks"  # this project, committed
    hooks.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, hooks / name)
    shutil.copytree(ROOT / "ipwhl_checks", hooks / "ipwhl_checks",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _git_repo(hooks, env)
    _run("git", "add", ".", cwd=hooks, env=env)
    _run("git", "commit", "-q", "-m", "hooks", cwd=hooks, env=env)
    rev = _run("git", "rev-parse", "HEAD", cwd=hooks, env=env).stdout.strip()

    remote = tmp_path / "remote.git"
    _run("git", "init", "-q", "--bare", "-b", "main", str(remote), cwd=tmp_path, env=env)
    repo = tmp_path / "data-repo"
    (repo / "data").mkdir(parents=True)
    _git_repo(repo, env)
    _run("git", "remote", "add", "origin", str(remote), cwd=repo, env=env)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: ipwhl-sources\n")
    (repo / "data" / "repository.toml").write_text(SETTINGS)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert ipwhl(["add", "--root", str(repo / "data"), "demo==1.0", "idna==2.10"]) == 0
    _run(sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push", cwd=repo,
         env=env)
    # pre-commit installs the hook's environment with the user's own pip configuration;
    # only then does the hook run against the test index.
    user_pip = {k: v for k, v in env.items() if k != "PIP_INDEX_URL"}
    _run(sys.executable, "-m", "pre_commit", "install-hooks", cwd=repo, env=user_pip)
    _run("git", "add", ".", cwd=repo, env=env)
    _run("git", "commit", "-q", "-m", "demo and idna", cwd=repo, env=env)
    _run("git", "push", "-q", "origin", "main", cwd=repo, env=env)  # checked and pushed

    demo = declaration_path(repo / "data", "demo-1.0-py3-none-any.whl")
    demo.write_text(demo.read_text().replace("'idna<4,>=2.5'", "'idna<3'"))
    _run("git", "commit", "-q", "-am", "tampered", cwd=repo, env=env)  # commits stay offline
    result = _run("git", "push", "origin", "main", cwd=repo, env=env, check=False)
    rel = demo.relative_to(repo)
    message = f"{rel}: IW506 dependencies: declared 'idna<3' but the wheel requires 'idna<4,>=2.5'"
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    remote_head = _run("git", "rev-parse", "main", cwd=remote, env=env).stdout
    assert remote_head == _run("git", "rev-parse", "HEAD~1", cwd=repo, env=env).stdout

    manual = _run(sys.executable, "-m", "pre_commit", "run", "ipwhl-sources", "--hook-stage",
                  "manual", "--all-files", cwd=repo, env=env, check=False)
    assert manual.returncode == 1
    assert message in manual.stdout

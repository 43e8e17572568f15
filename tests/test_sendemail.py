"""hooks/sendemail-validate on real ``git format-patch`` output, in a real git repository.

git send-email runs the hook with the message file as its argument; the tests do the
same (send-email itself needs a mail setup and is not installed everywhere).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HOOK = Path(__file__).resolve().parent.parent / "hooks" / "sendemail-validate"
CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
SETTINGS = "profile = 'unixfs-v1-2025'\npython = ['3.12']\nplatforms = ['win_amd64']\n"
GOOD = "data/78/x/x-1.0-py3-none-any.toml"
BAD = "data/79/y/y-1.0-py3-none-any.toml"


def _declaration(name: str, dependencies: str = "[]") -> str:
    return (f"source = 'https://example.invalid/{name}-1.0-py3-none-any.whl'\n"
            f"content-id = '{CID}'\nextras = []\ndependencies = {dependencies}\n")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "config", "user.name", "Test")
    (repo / "data/repository.toml").write_text(SETTINGS)
    _write(repo, GOOD, _declaration("x"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "start")
    return repo


def _write(repo: Path, rel: str, text: str) -> None:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text(text)


def _commit_patch(repo: Path, rel: str, text: str, out: Path) -> Path:
    _write(repo, rel, text)
    git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", f"add {rel}")
    return Path(git(repo, "format-patch", "-1", "-o", str(out)).strip())


def _validate(repo: Path, patch: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IPWHL": str(Path(sys.executable).parent / "ipwhl")}
    result = subprocess.run([str(HOOK), str(patch)], cwd=repo, env=env, capture_output=True,
                            text=True, timeout=120)
    assert git(repo, "worktree", "list").count("\n") == 1  # the temporary worktree is gone
    assert git(repo, "status", "--porcelain") == ""
    return result


def _on_branch(repo: Path, rel: str, text: str, out: Path) -> Path:
    """A patch made on a side branch, sent from main (so it is not in HEAD)."""
    git(repo, "checkout", "-q", "-b", "topic")
    patch = _commit_patch(repo, rel, text, out)
    git(repo, "checkout", "-q", "main")
    return patch


def test_good_patch_on_top_of_head_passes(repo, tmp_path):
    patch = _on_branch(repo, "data/79/y/y-1.0-py3-none-any.toml",
                       _declaration("y", "['x>=1']"), tmp_path / "out")
    result = _validate(repo, patch)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_patch_on_top_of_head_is_refused(repo, tmp_path):
    patch = _on_branch(repo, BAD, _declaration("y", "['z>=1']"), tmp_path / "out")
    result = _validate(repo, patch)
    assert result.returncode == 1
    assert (f"{BAD}: IW401 dependency 'z>=1': project 'z' is not in the repository"
            in result.stdout)
    assert "not sending it" in result.stderr


def test_bad_patch_already_in_head_is_refused(repo, tmp_path):
    patch = _commit_patch(repo, BAD, "source = 'x'\ncontentid = 'y'\n", tmp_path / "out")
    result = _validate(repo, patch)
    assert result.returncode == 1
    assert f"{BAD}: IW101 contentid: unknown key, did you mean 'content-id'?" in result.stdout


def test_good_patch_already_in_head_passes(repo, tmp_path):
    patch = _commit_patch(repo, "data/79/y/y-1.0-py3-none-any.toml", _declaration("y"),
                          tmp_path / "out")
    assert _validate(repo, patch).returncode == 0


def test_patch_that_does_not_apply_is_refused(repo, tmp_path):
    patch = _on_branch(repo, GOOD, _declaration("x", "['y']"), tmp_path / "out")
    _write(repo, GOOD, _declaration("x", "['w']"))  # main moves on: the patch conflicts
    git(repo, "commit", "-q", "-am", "conflict")
    result = _validate(repo, patch)
    assert result.returncode == 1
    assert "does not apply to HEAD" in result.stderr


def test_cover_letter_passes(repo, tmp_path):
    git(repo, "checkout", "-q", "-b", "topic")
    _commit_patch(repo, BAD, "not toml", tmp_path / "ignored")
    out = Path(git(repo, "format-patch", "--cover-letter", "-1", "-o",
                   str(tmp_path / "out")).split()[0])
    assert out.name.startswith("0000-cover-letter")
    assert _validate(repo, out).returncode == 0

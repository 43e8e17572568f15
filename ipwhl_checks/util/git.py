"""Running git: the one place the package starts a git process.

Every git command runs as ``git -C REPO ARGS`` with standard input closed (unless input is
given), its output captured.  A missing git is a :class:`~ipwhl_checks.errors.GitError`;
a failed command is one when the caller asks (``check=True``), quoting the line of git's
error output that says what went wrong (:func:`git_reason`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import GitError

__all__ = ["git", "git_bytes", "git_reason", "start_git"]


def git_bytes(repo: Path | str, *args: str,
              input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``git -C REPO ARGS`` with binary output; GitError only if git cannot be run."""
    try:
        return subprocess.run(["git", "-C", str(repo), *args], input=input,
                              capture_output=True,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except OSError as e:
        raise GitError(f"cannot run git ({e.strerror or e})") from e


def git(repo: Path | str, *args: str, check: bool = True,
        what: str = "git") -> subprocess.CompletedProcess[str]:
    """``git -C REPO ARGS`` with text output; with *check*, a failure is a GitError
    ``"<what> failed: <git's reason>"``."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
    except OSError as e:
        raise GitError(f"cannot run git ({e.strerror or e})") from e
    if check and done.returncode:
        why = git_reason(done.stderr or done.stdout) or f"exit status {done.returncode}"
        raise GitError(f"{what} failed: {why}")
    return done


def start_git(repo: Path | str, *args: str) -> subprocess.Popen[bytes] | None:
    """``git -C REPO ARGS`` started with its standard output piped (error output dropped),
    to run beside others; None if git cannot be run."""
    try:
        return subprocess.Popen(["git", "-C", str(repo), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    except OSError:
        return None


def git_reason(output: str) -> str:
    """The line of git's error output that says what went wrong: the first ``fatal:`` or
    ``error:`` line (later ones are often advice: "Please make sure you have the correct
    access rights / and the repository exists."), else the last line."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else ""

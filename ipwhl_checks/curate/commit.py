"""``ipwhl upgrade --commit``: each step of an upgrade as one git commit.

The data tree must be in a git work tree with nothing uncommitted under it (the commits
must hold the upgrade and nothing else).  A step's files are written (all or nothing,
:func:`~ipwhl_checks.curate.add.apply_plan`), staged and committed with ``git commit --
PATHS`` (only those paths, whatever else is staged), under the repository's own git
configuration (author, hooks, signing).  Should the commit fail (a hook refuses it) or be
interrupted before it is made, the step's files get their old contents back; the steps
already committed stay.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import GitError
from ..util.git import git, git_bytes, git_reason
from .add import Plan, apply_plan

__all__ = ["commit_plan", "require_clean"]


def require_clean(root: Path) -> None:
    """The data tree is in a git work tree and has no uncommitted change."""
    inside = git(root, "rev-parse", "--is-inside-work-tree", check=False)
    if inside.returncode or inside.stdout.strip() != "true":
        raise GitError(f"--commit needs a git work tree: {str(root)!r} is not in one")
    status = git(root, "status", "--porcelain", "--untracked-files=all", "--", ".",
                 what="git status")
    if status.stdout.strip():
        first = status.stdout.splitlines()[0][3:]
        raise GitError(f"--commit needs a clean data tree: {str(root)!r} has uncommitted "
                       f"changes ({first!r}...); commit or stash them first")


def commit_plan(plan: Plan, message: str) -> str:
    """Write *plan*, commit its paths with *message*; the new commit's id."""
    paths = sorted({*plan.writes, *plan.removes})
    before = {p: p.read_bytes() if p.is_file() else None for p in paths}
    head = git(plan.root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).stdout
    apply_plan(plan)
    specs = [os.path.abspath(p) for p in paths]
    try:
        git(plan.root, "add", "-A", "--", *specs, what="git add")
        done = git_bytes(plan.root, "commit", "-q", "--file=-", "--", *specs,
                         input=message.encode())
        if done.returncode:
            reason = git_reason(done.stderr.decode(errors="replace")
                                or done.stdout.decode(errors="replace"))
            raise GitError(f"git commit failed: {reason or f'exit status {done.returncode}'}")
    except BaseException:  # a refused commit, Ctrl-C, SIGTERM: the step is undone
        now = git(plan.root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).stdout
        if now == head:
            _restore(plan.root, before)
        raise
    return git(plan.root, "rev-parse", "HEAD").stdout.strip()


def _restore(root: Path, before: dict[Path, bytes | None]) -> None:
    git(root, "reset", "-q", "--", *(os.path.abspath(p) for p in before), check=False)
    for path, data in before.items():
        if data is None:
            path.unlink(missing_ok=True)
            for parent in (path.parent, path.parent.parent):
                if parent != root and parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

"""Which files under a data root may differ from a git commit, asked of git.

``ipwhl publish --previous`` reuses every project whose declaration files are byte for byte
those of the previous release.  The previous manifest names the commit it was published
from (``source-commit``); when the data tree is a git work tree holding that commit, git
lists the files changed since (in C, from its index's stat data) and only their projects
need reading and digesting.  :func:`changed_files` gives None whenever git cannot answer
exactly, and the caller then digests every file:

* not a git work tree, no git, or the commit absent (a shallow clone) or not an ancestor
  of HEAD;
* git could make the bytes on disk differ from the committed ones, or not look at them:
  ``core.autocrlf``, any attributes file (``text``, ``eol``, ``filter``, ... may apply),
  or a file marked assume-unchanged or skip-worktree (``git ls-files -v``).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

__all__ = ["changed_files"]

_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # sha1 or sha256 object name


def _git(root: Path, *args: str) -> bytes | None:
    """Standard output of ``git -C root ARGS``, or None if git fails or is missing."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              stdin=subprocess.DEVNULL)
    except OSError:
        return None
    return None if done.returncode else done.stdout


def _paths(output: bytes) -> set[tuple[str, ...]]:
    return {tuple(os.fsdecode(raw).split("/")) for raw in output.split(b"\0") if raw}


def changed_files(root: Path, commit: str) -> set[tuple[str, ...]] | None:
    """Path parts (relative to *root*) of every file under *root* that may differ from
    *commit*: tracked files changed, staged, added or deleted since (``git diff
    --name-only <commit>``) and every untracked file, ignored ones included (``git ls-files
    --others``); None when git cannot tell (see the module docstring)."""
    if not _COMMIT.fullmatch(commit):
        return None
    if _git(root, "merge-base", "--is-ancestor", commit, "HEAD") is None:
        return None  # not a work tree, no such commit here, or not an ancestor of HEAD
    top = _git(root, "rev-parse", "--show-toplevel", "--git-dir")
    # (git config exits 1 when nothing is set)
    config = _git(root, "config", "--get-regexp", r"^core\.(autocrlf|attributesfile)$") or b""
    if top is None or re.search(rb"^core\.autocrlf (?!false$)|^core\.attributesfile ",
                                config, re.M | re.I):
        return None
    toplevel, git_dir = top.decode("utf-8", "surrogateescape").splitlines()[:2]
    if Path(root, git_dir, "info", "attributes").exists() or _attributes_above(
            Path(toplevel), Path(root)):
        return None
    attributes = _git(Path(toplevel), "ls-files", "-z", "--cached", "--",
                      ":(glob)**/.gitattributes")  # tracked ones, anywhere
    flags = _git(root, "ls-files", "-v", "-z", "--", ".")
    if attributes != b"" or flags is None or any(
            entry[:1].islower() or entry[:1] == b"S" for entry in flags.split(b"\0")):
        return None
    diff = _git(root, "diff", "--name-only", "-z", "--no-renames", "--relative",
                "--no-ext-diff", "--ignore-submodules=none", commit, "--", ".")
    others = _git(root, "ls-files", "--others", "-z", "--", ".")
    if diff is None or others is None:
        return None
    changed = _paths(diff) | _paths(others)
    if any(parts[-1] == ".gitattributes" for parts in changed):
        return None  # an untracked one under the root
    return changed


def _attributes_above(toplevel: Path, root: Path) -> bool:
    """Whether a .gitattributes file lies in *root*'s directory or one above it, up to
    the work tree's top (only those, and those below *root*, apply to its files)."""
    directory = root.resolve()
    top = toplevel.resolve()
    while True:
        if (directory / ".gitattributes").exists():
            return True
        if directory == top or directory.parent == directory:
            return False
        directory = directory.parent

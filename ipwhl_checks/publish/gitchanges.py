"""Which files under a data root may differ from a git commit, asked of git.

``ipwhl publish --previous`` reuses every project whose declaration files are byte for byte
those of the previous release.  The previous manifest names the commit it was published
from (``source-commit``); when the data tree is a git work tree holding that commit, git
lists the files changed since (in C, from its index's stat data) and only their projects
need reading and digesting.  The four git commands run at once.  :func:`changed_files`
gives None whenever git cannot answer exactly, and the caller then digests every file:

* not a git work tree, no git, or the commit absent (a shallow clone); the commit need not
  be an ancestor of HEAD (``git diff`` compares its tree with the files on disk);
* git could make the bytes on disk differ from the committed ones, or not look at them:
  ``core.autocrlf``, any attributes file that may apply (``text``, ``eol``, ``filter``,
  ...: ``.gitattributes`` in the root, below it or above it up to the work tree's top,
  ``$GIT_DIR/info/attributes``, ``core.attributesFile`` or its default
  ``$XDG_CONFIG_HOME/git/attributes``), or a file marked assume-unchanged or
  skip-worktree (``git ls-files -v``).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from ..util.git import start_git

__all__ = ["changed_files"]

_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # sha1 or sha256 object name


def _output(process: subprocess.Popen[bytes] | None) -> bytes | None:
    """Standard output of a started git command, None if it failed."""
    if process is None:
        return None
    out, _ = process.communicate()
    return None if process.returncode else out


def _paths(output: bytes) -> set[tuple[str, ...]]:
    return {tuple(os.fsdecode(raw).split("/")) for raw in output.split(b"\0") if raw}


def changed_files(root: Path, commit: str,
                  head: str | None = None) -> set[tuple[str, ...]] | None:
    """Path parts (relative to *root*) of every file under *root* that may differ from
    *commit*: tracked files changed, staged, added or deleted since (``git diff
    --name-only <commit>``) and every untracked file, ignored ones included (``git ls-files
    --others``); None when git cannot tell (see the module docstring).

    *head*: the commit the files on disk are known to be, untracked and ignored files
    included (:func:`ipwhl_checks.publish.build.source_commit` said so, after its own walk of the
    tree): then the answer is the difference between the two commits' trees, and the work
    tree is not walked again.
    """
    if not _COMMIT.fullmatch(commit) or (head is not None and not _COMMIT.fullmatch(head)):
        return None
    started = [
        start_git(root, "rev-parse", "--show-toplevel", "--git-dir"),
        # (git config exits 1 when nothing is set)
        start_git(root, "config", "--get-regexp", r"^core\.(autocrlf|attributesfile)$"),
        # every file, tracked ones tagged (lower case: assume-unchanged; S: skip-worktree)
        # and untracked ones '?'
        start_git(root, "ls-files", "-v", "-z", "--cached",
               *(("--others",) if head is None else ()), "--", "."),
        start_git(root, "diff", "--name-only", "-z", "--no-renames", "--relative",
               "--no-ext-diff", "--ignore-submodules=none", commit,
               *((head,) if head is not None else ()), "--", "."),
    ]
    top, config, files, diff = (_output(p) for p in started)
    if top is None or files is None or diff is None or re.search(
            rb"^core\.autocrlf (?!false$)|^core\.attributesfile ", config or b"", re.M | re.I):
        return None
    toplevel, git_dir = top.decode("utf-8", "surrogateescape").splitlines()[:2]
    if Path(root, git_dir, "info", "attributes").exists() or _global_attributes() \
            or _attributes_above(Path(toplevel), Path(root)):
        return None
    others = []
    for entry in files.split(b"\0"):
        if entry[:1].islower() or entry[:1] == b"S" or (entry.endswith(b".gitattributes") \
                and entry[2:].rsplit(b"/", 1)[-1] == b".gitattributes"):
            return None
        if entry[:2] == b"? ":
            others.append(entry[2:])
    return _paths(diff) | _paths(b"\0".join(others))


def _global_attributes() -> bool:
    """Whether git's default global attributes file exists (``core.attributesFile`` unset:
    ``$XDG_CONFIG_HOME/git/attributes``, else ``~/.config/git/attributes``)."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.exists(os.path.join(xdg, "git", "attributes"))


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

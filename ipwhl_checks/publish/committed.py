"""A data tree as committed: its files listed and read from git's objects, not from disk.

``ipwhl release`` and ``ipwhl publish --commit REV`` publish the tree of a commit, and
``ipwhl verify`` recomputes a tag's CID from its commit, without looking at a work tree:
what is published is then a function of the commit alone.  Uncommitted or untracked files
cannot slip in, so nothing needs to walk the work tree to rule them out (for 10,000 project
directories that walk is most of an incremental publish), and the files changed since the
previous release's commit come from comparing two trees (``git diff-tree``).

Files are read as blobs, byte for byte as committed: no checkout conversion applies
(``core.autocrlf``, ``.gitattributes`` ``eol``/``filter``), so the bytes do not depend on
the machine's git configuration.  A declaration must be a regular file: a symbolic link or
a submodule in the tree is an error naming it.

Paths are tuples of parts relative to the data root, as :mod:`ipwhl_checks.publish.scan`
uses them.  Error messages name files the way git does, ``<commit>:<path>`` (12 hex digits
of the commit), which ``git show`` accepts.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GitError, PublishError
from ..repo.settings import SETTINGS_FILE, Settings, parse_settings
from ..util.git import git_bytes

__all__ = ["CommittedTree", "committed_tree"]

_REGULAR = {b"100644", b"100755"}
# one `git ls-tree -z` record: mode, type, object name, then a tab and the path
_RECORD = re.compile(rb"([0-7]{6}) ([a-z]+) ([0-9a-f]{40}|[0-9a-f]{64})\t")


def _git(top: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``git -C top --literal-pathspecs ARGS``; a missing git is a :class:`PublishError`."""
    try:
        return git_bytes(top, "--literal-pathspecs", *args, input=stdin)
    except GitError as e:
        raise PublishError(str(e)) from e


def _last_line(done: subprocess.CompletedProcess[bytes]) -> str:
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else f"git exited with status {done.returncode}"


@dataclass
class CommittedTree:
    """The directory *prefix* (relative to the work tree's top *top*, ``''`` for the top
    itself, ``/``-separated) of *commit* (a full object name)."""

    top: Path
    commit: str
    prefix: str
    _objects: dict[tuple[str, ...], tuple[bytes, bytes]] = field(
        default_factory=dict, repr=False)  # path parts -> (mode, object name), as listed

    @property
    def where(self) -> str:
        """The tree as error messages name it: ``<commit>:<prefix>`` (``<commit>:.`` for the
        work tree's top: a file there is then ``<commit>:./<path>``)."""
        return f"{self.commit[:12]}:{self.prefix or '.'}"

    def _path(self, parts: Sequence[str]) -> str:
        return "/".join((self.prefix, *parts)) if self.prefix else "/".join(parts)

    def files(self, under: Iterable[tuple[str, ...]] | None = None) -> list[tuple[str, ...]]:
        """The path parts of every file in the tree (or, given *under*, of every file at or
        below those paths that exists in the commit), sorted."""
        if under is None:
            specs = [self.prefix] if self.prefix else []
        else:
            specs = [self._path(parts) for parts in under]
            if not specs:
                return []
        done = _git(self.top, "ls-tree", "-r", "-z", "--full-tree", self.commit, "--", *specs)
        if done.returncode:
            raise PublishError(f"{self.where}: cannot list the committed files: "
                               f"{_last_line(done)}")
        skip = len(self.prefix) + 1 if self.prefix else 0
        found = []
        for record in done.stdout.split(b"\0"):
            m = _RECORD.match(record)
            if m is None:
                continue
            parts = tuple(os.fsdecode(record[m.end() + skip:]).split("/"))
            self._objects[parts] = (m[1], m[3])
            found.append(parts)
        if under is None and not found:
            raise PublishError(f"{self.where}: the commit holds no files there")
        found.sort()
        return found

    def read(self, files: Sequence[tuple[str, ...]]) -> list[bytes]:
        """The committed bytes of *files* (as :meth:`files` listed them), in order."""
        names = []
        for parts in files:
            mode, name = self._objects[parts]
            if mode not in _REGULAR:
                kind = "a symbolic link" if mode == b"120000" else "a submodule"
                raise PublishError(f"{self.where}/{'/'.join(parts)}: {kind} in the commit; a "
                                   "declaration must be a regular file")
            names.append(name)
        if not names:
            return []
        done = _git(self.top, "cat-file", "--batch", stdin=b"\n".join(names) + b"\n")
        if done.returncode:
            raise PublishError(f"{self.where}: cannot read the committed files: "
                               f"{_last_line(done)}")
        out, at, contents = done.stdout, 0, []
        for parts, name in zip(files, names, strict=True):
            end = out.index(b"\n", at)
            header = out[at:end].split(b" ")
            if len(header) != 3 or header[0] != name or header[1] != b"blob":
                raise PublishError(f"{self.where}/{'/'.join(parts)}: cannot read the committed "
                                   f"file ({out[at:end].decode('ascii', 'replace')})")
            size = int(header[2])
            contents.append(out[end + 1:end + 1 + size])
            at = end + 2 + size  # the content is followed by a newline
        return contents

    def read_path(self, parts: Sequence[str]) -> bytes | None:
        """The committed bytes of the file at *parts*, None if the commit has no file there
        (one ``git cat-file``, no listing first)."""
        path = self._path(parts)
        if "\n" in path:
            return None
        done = _git(self.top, "cat-file", "--batch", stdin=f"{self.commit}:{path}\n".encode())
        header, _, rest = done.stdout.partition(b"\n")
        fields = header.split(b" ")
        if done.returncode or len(fields) != 3 or fields[1] != b"blob":
            return None
        return rest[:int(fields[2])]

    def settings(self) -> Settings:
        """The committed settings file (:mod:`ipwhl_checks.repo.settings`), checked; the
        defaults without one."""
        content = self.read_path((SETTINGS_FILE,))
        if content is None:
            return Settings(path=None)
        return parse_settings(content, Path(self.where) / SETTINGS_FILE)

    def changed_since(self, commit: str) -> set[tuple[str, ...]] | None:
        """Path parts of every file added, changed or deleted in the tree since *commit*;
        None when *commit* is not a commit in the repository (a shallow clone, say)."""
        if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
            return None
        done = _git(self.top, "diff-tree", "-r", "-z", "--name-only", "--no-renames",
                    "--no-ext-diff", commit, self.commit, "--",
                    *([self.prefix] if self.prefix else []))
        if done.returncode:
            return None
        skip = len(self.prefix) + 1 if self.prefix else 0
        return {tuple(os.fsdecode(raw[skip:]).split("/"))
                for raw in done.stdout.split(b"\0") if raw}


def committed_tree(root: Path, rev: str = "HEAD") -> CommittedTree:
    """The data tree at *root* (a directory in a git work tree) as committed at *rev*, read
    at the last commit at or before *rev* that changed it: that commit is the published
    ``source-commit``, so commits that change only the tooling publish the same CID."""
    root = Path(root)
    if not root.is_dir():
        raise PublishError(f"the data root is not a directory: {str(root)!r}")
    if rev.startswith("-"):
        raise PublishError(f"{root}: {rev!r} is not a commit")
    where = _git(root, "rev-parse", "--show-toplevel", "--show-prefix", f"{rev}^{{commit}}")
    if where.returncode:
        message = _last_line(where)
        if "not a git repository" in message:
            raise PublishError(f"{root}: not in a git work tree")
        raise PublishError(f"{root}: {rev!r} is not a commit")
    top, prefix, resolved = os.fsdecode(where.stdout).split("\n")[:3]
    last = _git(Path(top), "log", "-1", "--format=%H", resolved, "--",
                *([prefix.rstrip("/")] if prefix else []))
    commit = last.stdout.decode().strip()
    if last.returncode or not commit:
        raise PublishError(f"{root}: no commit at or before {rev!r} holds this tree")
    return CommittedTree(Path(top), commit, prefix.rstrip("/"))

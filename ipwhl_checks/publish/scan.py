"""The data tree as ``ipwhl publish`` reads it: which projects to build, which to reuse.

Every declaration file's bytes are digested (:func:`~ipwhl_checks.publish.manifest
.declaration_digest`); a project whose digest equals the previous release's is reused
without parsing its files, the others are parsed and checked (:func:`.tree.load_file`).
In a git work tree holding the previous release's commit, git lists the files changed
since (:mod:`ipwhl_checks.publish.gitchanges`) and only their projects are walked and digested.

The tree is either the files on disk under a directory or a commit's tree
(:class:`~ipwhl_checks.publish.committed.CommittedTree`); both list files as path parts relative to
the data root and read them in bulk.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PublishError
from ..repo.declaration import Declaration, Problem
from ..repo.layout import prefix
from ..repo.settings import SETTINGS_FILE, Settings, load_settings
from ..repo.tree import load_file, walk_files
from ..util.regular import read_regular
from .committed import CommittedTree
from .gitchanges import changed_files
from .manifest import LAYOUT, declaration_digest, project_digest
from .previous import Previous, PriorProject

__all__ = ["Scan", "scan_tree"]


class _WorkTree:
    """The files on disk under *root* (what :class:`~ipwhl_checks.publish.committed.CommittedTree`
    is for a commit)."""

    def __init__(self, root: Path, head: str | None) -> None:
        self.root, self.head, self.where = root, head, str(root)

    def settings(self) -> Settings:
        return load_settings(self.root)

    def changed_since(self, commit: str) -> set[tuple[str, ...]] | None:
        return changed_files(self.root, commit, self.head)

    def files(self, under: Iterable[tuple[str, ...]] | None = None) -> list[tuple[str, ...]]:
        """Every file under the root, or at or below the paths *under*, as :func:`.tree.walk_files`
        lists them (a symlink is a file)."""
        if under is None:
            return walk_files(self.where)
        found: set[tuple[str, ...]] = set()
        for target in under:
            for i in range(1, len(target) + 1):
                path = os.path.join(self.where, *target[:i])
                if not os.path.lexists(path):
                    break
                if os.path.islink(path) or not os.path.isdir(path):
                    found.add(target[:i])  # walk_files lists it as a file
                    break
                if i == len(target):
                    found.update(walk_files(self.where, target))
        return sorted(found)

    def read(self, files: Sequence[tuple[str, ...]]) -> list[bytes]:
        contents = []
        for parts in files:
            path = os.path.join(self.where, *parts)
            try:
                contents.append(read_regular(path, follow_symlinks=False))
            except OSError as e:
                raise PublishError(f"{path}: cannot read ({e.strerror})") from e
        return contents


@dataclass
class Scan:
    """The data tree as publishing needs it."""

    settings: Settings
    declarations: dict[str, list[Declaration]] = field(default_factory=dict)  # changed
    reused: dict[str, PriorProject] = field(default_factory=dict)  # unchanged since previous
    digests: dict[str, dict[str, str]] = field(default_factory=dict)  # project -> file -> dig
    problems: list[Problem] = field(default_factory=list)
    previous: Previous | None = None  # the previous release, if its files can be reused


def scan_tree(root: Path | CommittedTree, previous: Previous | None, reuse: bool,
              head: str | None = None) -> Scan:
    """Read the tree once: digest every declaration file's bytes; parse and check only the
    files of projects whose digest differs from *previous* (all of them without it).

    *root*: the files on disk under a directory, or a commit's tree.  A reused project's
    files are byte for byte those of a release published before, at the same paths, so they
    were read and checked then.  When git can list the files changed since the previous
    release's commit (:mod:`ipwhl_checks.publish.gitchanges` for the files on disk,
    :meth:`.CommittedTree.changed_since` for a commit), only their projects are listed and
    digested: every other project of *previous* is reused as it is (its files are those of
    that commit, which it was published from).  *head*: the commit the tree on disk is
    known to be (see :func:`.changed_files`).
    """
    tree = _WorkTree(root, head) if isinstance(root, Path) else root
    scan = Scan(tree.settings())
    profile = scan.settings.profile
    if previous is not None and (previous.profile != profile or previous.layout != LAYOUT):
        previous = None  # another profile or layout: nothing can be reused
    scan.previous = previous
    changed = tree.changed_since(previous.source_commit) \
        if previous is not None and reuse and previous.source_commit else None
    if changed is None:
        paths = tree.files()
    else:
        assert previous is not None
        # every file of each project directory holding a changed path, and the changed
        # files elsewhere
        dirs = {parts[:2] for parts in changed if len(parts) >= 3}
        dirs.update((prefix(parts[1]), parts[1]) for parts in changed if len(parts) >= 3)
        paths = tree.files(dirs | {parts for parts in changed if len(parts) < 3})
        touched = {parts[1] for parts in changed.union(paths) if len(parts) >= 3}
        scan.reused.update((name, p) for name, p in previous.projects.items()
                           if name not in touched)
    files: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for parts in paths:
        if parts == (SETTINGS_FILE,):
            continue
        if len(parts) != 3 or not parts[2].endswith(".toml"):
            # not a declaration's place
            scan.problems += load_file(Path(tree.where), parts, profile)[1]
            continue
        files[parts[1]].append(parts)
    projects = sorted(files)
    rels = [parts for project in projects for parts in sorted(files[project])]
    read = iter(zip(rels, tree.read(rels), strict=True))  # (for a commit: one git command)
    for project in projects:
        here = [next(read) for _ in files[project]]
        digests = {parts[2].removesuffix(".toml") + ".whl": declaration_digest(
            "/".join(parts), data, profile) for parts, data in here}
        scan.digests[project] = digests
        prior = previous.projects.get(project) if previous is not None and reuse else None
        if prior is not None and prior.declarations == project_digest(
                project, digests.values(), profile):
            scan.reused[project] = prior
            continue
        for parts, data in here:
            declaration, found = load_file(Path(tree.where), parts, profile, data)
            scan.problems += found
            if declaration is not None:
                scan.declarations.setdefault(declaration.project, []).append(declaration)
    return scan

"""The data tree as ``ipwhl publish`` reads it: which projects to build, which to reuse.

Every declaration file's bytes are digested (:func:`~ipwhl_checks.manifest
.declaration_digest`); a project whose digest equals the previous release's is reused
without parsing its files, the others are parsed and checked (:func:`.tree.load_file`).
In a git work tree holding the previous release's commit, git lists the files changed
since (:mod:`ipwhl_checks._gitchanges`) and only their projects are walked and digested.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ._gitchanges import changed_files
from .declaration import Declaration, Problem
from .errors import PublishError
from .layout import prefix
from .manifest import declaration_digest, project_digest
from .previous import Previous, PriorProject
from .settings import SETTINGS_FILE, Settings, load_settings
from .tree import load_file

__all__ = ["Scan", "scan_tree"]


def _walk(root: str, under: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path parts of every file under *root* (in its directory *under*), sorted
    (os.scandir: no Path objects)."""
    found: list[tuple[str, ...]] = []

    def visit(directory: str, parts: tuple[str, ...]) -> None:
        with os.scandir(directory) as it:
            entries = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in it)
        for name, is_dir in entries:
            if is_dir:
                visit(os.path.join(directory, name), (*parts, name))
            else:
                found.append((*parts, name))
    visit(os.path.join(root, *under), under)
    return found


def _changed(root: Path, changed: set[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], set[str]]:
    """The files to read when git says only *changed* may differ from the previous
    release's commit: every file of each project directory holding a changed path, and the
    changed files elsewhere, as :func:`_walk` lists them (a symlink is a file); and the
    names of the projects they are in."""
    dirs = {parts[:2] for parts in changed if len(parts) >= 3}
    dirs.update((prefix(parts[1]), parts[1]) for parts in changed if len(parts) >= 3)
    found: set[tuple[str, ...]] = set()
    for target in dirs | {parts for parts in changed if len(parts) < 3}:
        for i in range(1, len(target) + 1):
            path = os.path.join(root, *target[:i])
            if not os.path.lexists(path):
                break
            if os.path.islink(path) or not os.path.isdir(path):
                found.add(target[:i])  # _walk lists it as a file
                break
            if i == len(target):
                found.update(_walk(str(root), target))
    return sorted(found), {parts[1] for parts in changed | found if len(parts) >= 3}


@dataclass
class Scan:
    """The data tree as publishing needs it."""

    settings: Settings
    declarations: dict[str, list[Declaration]] = field(default_factory=dict)  # changed
    reused: dict[str, PriorProject] = field(default_factory=dict)  # unchanged since previous
    digests: dict[str, dict[str, str]] = field(default_factory=dict)  # project -> file -> dig
    problems: list[Problem] = field(default_factory=list)


def scan_tree(root: Path, previous: Previous | None, reuse: bool,
              head: str | None = None) -> Scan:
    """Walk the tree once: digest every declaration file's bytes; parse and check only the
    files of projects whose digest differs from *previous* (all of them without it).

    A reused project's files are byte for byte those of a release published before, at
    the same paths, so they were read and checked then.  When git can list the files
    changed since the previous release's commit (:mod:`ipwhl_checks._gitchanges`), only
    their projects are walked and digested: every other project of *previous* is reused
    as it is (its files are those of that commit, which it was published from).
    *head*: the commit the tree on disk is known to be (see :func:`.changed_files`).
    """
    scan = Scan(load_settings(root))
    profile = scan.settings.profile
    changed = changed_files(root, previous.source_commit, head) \
        if previous is not None and reuse and previous.source_commit else None
    if changed is None:
        paths = _walk(str(root))
    else:
        assert previous is not None
        paths, touched = _changed(root, changed)
        scan.reused.update((name, p) for name, p in previous.projects.items()
                           if name not in touched)
    files: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for parts in paths:
        if parts == (SETTINGS_FILE,):
            continue
        if len(parts) != 3 or not parts[2].endswith(".toml"):
            scan.problems += load_file(root, parts, profile)[1]  # not a declaration's place
            continue
        files[parts[1]].append(parts)
    for project in sorted(files):
        rels = sorted(files[project])
        digests = {}
        contents = []
        for parts in rels:
            relpath = "/".join(parts)
            try:
                with open(os.path.join(root, relpath), "rb") as f:
                    data = f.read()
            except OSError as e:
                raise PublishError(f"{root / relpath}: cannot read ({e.strerror})") from e
            digests[parts[2].removesuffix(".toml") + ".whl"] = declaration_digest(
                relpath, data, profile)
            contents.append(data)
        scan.digests[project] = digests
        prior = previous.projects.get(project) if previous is not None and reuse else None
        if prior is not None and prior.declarations == project_digest(
                project, digests.values(), profile):
            scan.reused[project] = prior
            continue
        for parts, data in zip(rels, contents, strict=True):
            declaration, found = load_file(root, parts, profile, data)
            scan.problems += found
            if declaration is not None:
                scan.declarations.setdefault(declaration.project, []).append(declaration)
    return scan

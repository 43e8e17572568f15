"""Load a data tree: its settings, its valid declarations and the problems of its files.

The loader walks ``<root>`` once, checks each file's place (:mod:`ipwhl_checks.repo.layout`)
and schema (:mod:`ipwhl_checks.repo.declaration`), and keeps every valid declaration: the
whole-tree checks (overlaps, dependencies) need all of them even when only some files
were asked about.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from packaging.tags import Tag
from packaging.utils import canonicalize_name

from ..errors import DeclarationError
from ..util.regular import read_regular
from .declaration import Declaration, Problem, read_declaration
from .layout import SUFFIX, locate
from .settings import Settings, load_settings

__all__ = ["Tree", "iter_files", "load_file", "load_tree", "relative_to_root", "walk_files"]


@dataclass(frozen=True)
class Tree:
    """A loaded data tree."""

    root: Path
    settings: Settings
    declarations: list[Declaration]  # every valid declaration read
    problems: list[Problem]  # of the files asked about (all files when none were given)
    # every declaration read that is invalid, in a project's directory: (path, its
    # project, the tags its name gives: none when it is not a wheel's name)
    invalid: list[tuple[str, str, frozenset[Tag]]] = field(default_factory=list)


def walk_files(root: str | Path, under: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path parts of every file under *root* (in its directory *under*), sorted.

    A symbolic link is listed as a file, whatever it points to (a directory included): the
    data tree holds regular files and directories only, and reading a link
    (:func:`load_file`) reports it.  os.scandir, no Path objects."""
    found: list[tuple[str, ...]] = []

    def visit(directory: str, parts: tuple[str, ...]) -> None:
        with os.scandir(directory) as it:
            entries = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in it)
        for name, is_dir in entries:
            if is_dir:
                visit(os.path.join(directory, name), (*parts, name))
            else:
                found.append((*parts, name))
    visit(os.path.join(os.fspath(root), *under), under)
    return found



def iter_files(directory: Path) -> Iterator[Path]:
    """Every file under *directory* (see :func:`walk_files`), in sorted order."""
    for parts in walk_files(directory):
        yield Path(directory, *parts)


def relative_to_root(root: Path, path: Path) -> PurePath:
    """*path* relative to *root*; DeclarationError if it lies outside."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        raise DeclarationError(f"not under the data root {str(root)!r}: {str(path)!r}") from None


def _display(root: str, parts: tuple[str, ...]) -> str:
    return "/".join(parts) if root == "." else "/".join((root, *parts))


def load_file(root: Path, rel: PurePath | tuple[str, ...], profile: str,
              data: bytes | None = None) -> tuple[Declaration | None, list[Problem]]:
    """Check the file *rel* of the tree at *root*: its declaration (if valid) and problems
    (*data*: the file's bytes, if the caller has read them)."""
    parts = rel if isinstance(rel, tuple) else rel.parts
    display = _display(str(root), parts)
    location, found = locate(parts)
    project = location.project if location is not None else (
        canonicalize_name(parts[1]) if len(parts) == 3 else None)
    problems = [Problem(display, message, check, project) for check, message in found]
    if location is None:
        return None, problems
    if data is None:
        try:
            data = read_regular(display, follow_symlinks=False)
        except OSError as e:
            return None, [*problems, Problem(display, f"cannot read ({e.strerror})", "IW100",
                                             project)]
    fields, found = read_declaration(data, profile, location.filename)
    problems += [Problem(display, message, check, project) for check, message in found]
    if fields is None or problems:
        return None, problems
    declaration = Declaration(
        path=Path(display), filename=location.filename, project=location.project,
        version=location.version, tags=location.tags, source=fields.source,
        content_id=fields.content_id, requires_python=fields.requires_python,
        extras=fields.extras, dependencies=fields.dependencies)
    return declaration, []


def _selected(root: Path, paths: Sequence[Path]) -> set[PurePath]:
    selected: set[PurePath] = set()
    for path in paths:
        if Path(path).is_dir():
            selected.update(relative_to_root(root, p) for p in iter_files(Path(path)))
        else:
            selected.add(relative_to_root(root, Path(path)))
    return selected


def load_tree(root: Path, paths: Sequence[Path] | None = None, *,
              only_projects: bool = False) -> Tree:
    """Read the tree at *root*.

    With *paths* (files or directories under *root*), problems are reported for those
    files only; the declarations are still those of the whole tree, unless
    *only_projects*, which reads just the project directories of *paths* (enough for the
    per-file checks and the overlaps of those projects, and much faster).
    """
    root = Path(root)
    if not root.is_dir():
        raise DeclarationError(f"the data root is not a directory: {str(root)!r}")
    settings = load_settings(root)
    selected = None if paths is None else _selected(root, paths)
    if selected is not None and only_projects:
        dirs = {rel.parts[:2] for rel in selected if len(rel.parts) == 3}
        siblings = {(*d, name) for d in dirs if (root.joinpath(*d)).is_dir()
                    for name in os.listdir(root.joinpath(*d)) if name.endswith(SUFFIX)}
        files: Iterable[tuple[str, ...]] = sorted(siblings | {r.parts for r in selected})
    else:
        files = walk_files(root)
    wanted = None if selected is None else {rel.parts for rel in selected}
    declarations: list[Declaration] = []
    problems: list[Problem] = []
    invalid: list[tuple[str, str, frozenset[Tag]]] = []
    for parts in files:
        declaration, found = load_file(root, parts, settings.profile)
        if declaration is not None:
            declarations.append(declaration)
        elif found and found[0].project is not None:
            location = locate(parts)[0]
            invalid.append((found[0].path, found[0].project,
                            location.tags if location is not None else frozenset()))
        if wanted is None or parts in wanted:
            problems += found
    return Tree(root, settings, declarations, problems, invalid)

"""Every offline check of a data tree, in one call, and the registry of check ids.

Check ids are stable; each names a function whose docstring says what is wrong, why it
matters and how to fix it (``ipwhl check --explain IW104`` prints it):

* IW1xx the schema of one declaration (:mod:`ipwhl_checks.declaration`);
* IW2xx the layout of the tree (:mod:`ipwhl_checks.layout`);
* IW3xx overlaps: two declarations of a project installable together
  (:mod:`ipwhl_checks.overlap`);
* IW4xx unsatisfied dependencies on a supported environment (:mod:`ipwhl_checks.deps`);
* IW5xx the online checks of the wheels themselves (:mod:`ipwhl_checks.online`).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path

from ._nogc import paused_gc
from .declaration import Problem
from .deps import check_dependencies
from .overlap import find_collisions
from .tree import Tree, load_tree

__all__ = ["CHECK_MODULES", "all_checks", "check_tree", "explain", "run_checks"]

CHECK_MODULES = ("declaration", "layout", "overlap", "deps", "online")


def all_checks() -> dict[str, Callable[..., object]]:
    """Every check id, sorted, with the function that documents it."""
    found: dict[str, Callable[..., object]] = {}
    for name in CHECK_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ImportError:  # the online checks need requests; the rest is always there
            continue
        found.update(getattr(module, "CHECKS", {}))
    return dict(sorted(found.items()))


def explain(check: str) -> str:
    """The documentation of one check id."""
    doc = inspect.getdoc(all_checks()[check]) or ""
    return doc if doc.startswith(check) else f"{check} {doc}"


def run_checks(tree: Tree, *, dependencies: bool = True) -> list[Problem]:
    """The tree's file problems, overlaps and (if *dependencies*) unmet dependencies."""
    problems = set(tree.problems)
    with paused_gc():  # many small objects, no cycles (see ipwhl_checks._nogc)
        problems.update(find_collisions(tree.declarations, pythons=tree.settings.pythons))
        if dependencies:
            problems.update(check_dependencies(tree.declarations, tree.settings))
    return sorted(problems)


def check_tree(root: Path, paths: Sequence[Path] | None = None) -> list[Problem]:
    """Every offline problem of the tree at *root* (file problems only of *paths*, if given)."""
    return run_checks(load_tree(root, paths))

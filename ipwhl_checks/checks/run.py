"""Every offline check of a data tree, in one call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..repo.declaration import Problem
from ..repo.integration import INTEGRATION_FILE, check_projects, load_integration
from ..repo.tree import Tree, load_tree
from ..util.nogc import paused_gc
from .deps import check_dependencies
from .overlap import find_collisions

__all__ = ["check_tree", "integration_problems", "run_checks"]


def run_checks(tree: Tree, *, dependencies: bool = True) -> list[Problem]:
    """The tree's file problems, overlaps, the integration file's schema and (if
    *dependencies*: the whole tree was loaded) unmet dependencies and the integration
    file's unknown projects."""
    problems = set(tree.problems)
    problems.update(integration_problems(tree, projects=dependencies))
    with paused_gc():  # many small objects, no cycles (see ipwhl_checks.util.nogc)
        problems.update(find_collisions(tree.declarations, pythons=tree.settings.pythons))
        if dependencies:
            problems.update(check_dependencies(tree.declarations, tree.settings))
    return sorted(problems)


def integration_problems(tree: Tree, *, schema: bool = True,
                         projects: bool = True) -> list[Problem]:
    """The problems of the tree's integration file (IW109, if *schema*) and the projects it
    names that the tree lacks (IW406, if *projects*: the tree must have been loaded whole);
    see :mod:`ipwhl_checks.repo.integration`."""
    integration, found = load_integration(tree.root)
    if not schema:
        found = []
    if projects:
        found += check_projects(integration, {d.project for d in tree.declarations})
    where = str(tree.root / INTEGRATION_FILE)
    return [Problem(where, message, check) for check, message in found]


def check_tree(root: Path, paths: Sequence[Path] | None = None) -> list[Problem]:
    """Every offline problem of the tree at *root* (file problems only of *paths*, if given)."""
    return run_checks(load_tree(root, paths))

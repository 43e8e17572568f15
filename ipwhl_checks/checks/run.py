"""Every offline check of a data tree, in one call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..repo.declaration import Problem
from ..repo.tree import Tree, load_tree
from .deps import check_dependencies
from .overlap import find_collisions

__all__ = ["check_tree", "run_checks"]


def run_checks(tree: Tree, *, dependencies: bool = True) -> list[Problem]:
    """The tree's file problems, overlaps and (if *dependencies*) unmet dependencies."""
    problems = set(tree.problems)
    problems.update(find_collisions(tree.declarations, pythons=tree.settings.pythons))
    if dependencies:
        problems.update(check_dependencies(tree.declarations, tree.settings))
    return sorted(problems)


def check_tree(root: Path, paths: Sequence[Path] | None = None) -> list[Problem]:
    """Every offline problem of the tree at *root* (file problems only of *paths*, if given)."""
    return run_checks(load_tree(root, paths))

"""Every offline check of a data tree, in one call, and the order problems are reported in.

The order puts root causes first: the files that are not valid declarations (a problem
of their own, IW1xx or IW2xx), each followed by the problems it causes elsewhere, folded
into one line on it (:mod:`ipwhl_checks.checks.deps`); then the problems of valid
declarations (overlaps, dependencies, the online checks).  Within each part, by path,
then by check id, then by message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ..repo.declaration import Problem
from ..repo.integration import INTEGRATION_FILE, check_projects, load_integration
from ..repo.tree import Tree, load_tree
from .deps import check_dependencies
from .overlap import find_collisions

__all__ = ["check_tree", "integration_problems", "report_order", "run_checks"]

_OWN = ("IW1", "IW2")  # the checks of a file by itself: schema and layout


def report_order(problems: Iterable[Problem]) -> list[Problem]:
    """*problems* without duplicates, in the order they are reported (see above)."""
    unique = set(problems)
    invalid = {p.path for p in unique if p.check.startswith(_OWN)}
    return sorted(unique, key=lambda p: (p.path not in invalid, p.path, p.check, p.message))


def run_checks(tree: Tree, *, dependencies: bool = True) -> list[Problem]:
    """The tree's file problems, overlaps, the integration file's schema and (if
    *dependencies*: the whole tree was loaded) unmet dependencies and the integration
    file's unknown projects."""
    problems = [*tree.problems, *integration_problems(tree, projects=dependencies),
                *find_collisions(tree.declarations, pythons=tree.settings.pythons)]
    if dependencies:
        problems += check_dependencies(tree.declarations, tree.settings, tree.invalid)
    return report_order(problems)


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

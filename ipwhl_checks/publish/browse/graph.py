"""Who depends on whom: the dependents of every project, whole or as an update.

A project's dependents (its reverse dependencies) change when *other* projects change
their dependencies; :func:`updated_dependents` works out which, from the changed
projects' dependencies before and after, without looking at the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = ["all_dependents", "updated_dependents"]


def all_dependents(dependencies: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """{name: the projects whose dependencies name it, sorted} for every name some project
    depends on (a name the tree lacks included)."""
    found: dict[str, set[str]] = defaultdict(set)
    for project, names in dependencies.items():
        for name in names:
            found[name].add(project)
    return {name: tuple(sorted(projects)) for name, projects in sorted(found.items())}


def updated_dependents(changes: Mapping[str, tuple[frozenset[str], frozenset[str]]],
                       before: Callable[[str], Sequence[str]],
                       also: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
    """The dependents, after *changes*, of every name whose dependents they change and of
    the names *also*.

    *changes*: {project: (its dependencies before, after)} for each project added (none
    before), removed (none after) or changed; *before*: a name's dependents before."""
    added: dict[str, set[str]] = defaultdict(set)
    dropped: dict[str, set[str]] = defaultdict(set)
    for project, (old, new) in changes.items():
        for name in new - old:
            added[name].add(project)
        for name in old - new:
            dropped[name].add(project)
    names = set(added) | set(dropped) | set(also)
    return {name: tuple(sorted((set(before(name)) | added[name]) - dropped[name]))
            for name in sorted(names)}

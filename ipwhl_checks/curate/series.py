"""An upgrade cut into commits: one per project, or per set that must move together.

Each project the upgrade touches is a unit: its new declarations and the old ones they
replace.  A unit *needs* another when it cannot come first:

* a new declaration of A requires B and B's current declarations do not satisfy it
  (another version, an extra they lack, or B is new to the repository): B comes no later
  than A;
* B's new release breaks a requirement of A's current declarations: A's new release
  comes no later than B.

Units that need each other (a cycle) are one set; the sets are put in an order where
what a set needs comes first (ties by name).  A unit that only serves others (a project
new to the repository, a project rewritten to declare an extra asked of it) joins the
first set that needs it.  Each step is then checked: should the tree after it have a
dependency or overlap problem that it had not before, the step joins the next one.  So
every commit of the series leaves a tree that passes the checks the whole upgrade passes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from ..repo.declaration import Declaration, Problem
from ..repo.settings import Settings
from .needs import Need, installs_on, needs_of

__all__ = ["Step", "cut_series"]


@dataclass
class Step:
    """One commit: the projects it moves, the files it writes and removes."""

    projects: list[NormalizedName]
    writes: dict[Path, str] = field(default_factory=dict)
    removes: set[Path] = field(default_factory=set)


def _needs_by_project(decls: Sequence[Declaration], settings: Settings
                      ) -> dict[NormalizedName, list[Need]]:
    """The needs of the declarations *decls* (one project's), by the project needed."""
    if not decls:
        return {}
    envs = settings.environments
    wheels = [(d.dependencies, d.extras, installs_on(envs, d.tags, d.requires_python))
              for d in decls]
    found: dict[NormalizedName, list[Need]] = defaultdict(list)
    for need in needs_of(decls[0].project, decls[0].version, wheels, envs):
        found[need.project].append(need)
    return found


def _unmet(needs: Sequence[Need], on: Sequence[Declaration], settings: Settings) -> bool:
    """Whether one of *needs* is not met by the declarations *on* (of the project needed):
    their version, their extras, where it applies."""
    for need in needs:
        mask = 0
        for t in on:
            if need.specifier.contains(t.version, prereleases=True) and need.extras <= {
                    canonicalize_name(e) for e in t.extras}:
                mask |= installs_on(settings.environments, t.tags, t.requires_python)
        if need.mask & ~mask:
            return True
    return False


def _order(units: Sequence[NormalizedName],
           needs: Mapping[NormalizedName, set[NormalizedName]]) -> list[list[NormalizedName]]:
    """The sets (strongly connected units) in an order where what a set needs comes first."""
    reach = {u: set(needs[u]) for u in units}
    changed = True
    while changed:  # transitive closure: a few dozen units at most
        changed = False
        for u in units:
            more = set().union(*(reach[v] for v in reach[u])) - reach[u]
            if more:
                reach[u] |= more
                changed = True
    sets: list[list[NormalizedName]] = []
    placed: set[NormalizedName] = set()
    for u in sorted(units):
        if u not in placed:
            group = sorted({u} | {v for v in reach[u] if u in reach[v]})
            placed.update(group)
            sets.append(group)
    ordered: list[list[NormalizedName]] = []
    done: set[NormalizedName] = set()
    while sets:
        ready = next(s for s in sets if all(v in done or v in s for u in s for v in needs[u]))
        sets.remove(ready)
        ordered.append(ready)
        done.update(ready)
    return ordered


def cut_series(old: Sequence[Declaration], new: Sequence[Declaration],
               writes: Mapping[Path, str], removes: set[Path], moved: set[NormalizedName],
               settings: Settings, problems: Callable[[list[Declaration]], set[Problem]]
               ) -> list[Step]:
    """The steps from the declarations *old* to the tree with *new* written (the files
    *writes*) and *removes* removed; *moved*: the projects whose version changes (the
    others only serve them); *problems*: the check of a whole set of declarations."""
    old_by: dict[NormalizedName, list[Declaration]] = defaultdict(list)
    new_by: dict[NormalizedName, list[Declaration]] = defaultdict(list)
    for d in old:
        old_by[d.project].append(d)
    for d in new:
        new_by[d.project].append(d)
    removed_by = {d.path: d.project for d in old if d.path in removes}
    units = sorted(set(new_by) | set(removed_by.values()))
    needs: dict[NormalizedName, set[NormalizedName]] = {u: set() for u in units}
    wanted = set(units)
    for a in units:
        for b, on_b in _needs_by_project(new_by[a], settings).items():
            if b in wanted and b != a and _unmet(on_b, old_by[b], settings):
                needs[a].add(b)  # a's new release needs b's
        for b, on_b in _needs_by_project(old_by[a], settings).items():
            if b in wanted and b != a and new_by[b] and _unmet(on_b, new_by[b], settings):
                needs[b].add(a)  # b's new release breaks a's current one
    steps = _fold(_order(units, needs), needs, moved)
    return _checked(steps, old, new, writes, removes, problems)


def _fold(steps: list[list[NormalizedName]], needs: Mapping[NormalizedName, set[NormalizedName]],
          moved: set[NormalizedName]) -> list[list[NormalizedName]]:
    """A set that moves no version joins the first later set that needs it."""
    out: list[list[NormalizedName]] = []
    pending: list[NormalizedName] = []
    for group in steps:
        if not moved & set(group):
            pending += group
            continue
        wanted = {v for u in group for v in needs[u]} | {
            v for u in pending for v in needs[u]}
        joined = [u for u in pending if u in wanted]
        pending = [u for u in pending if u not in wanted]
        out.append(sorted(group + joined))
    if pending:  # serves no moved project: a step of its own at the end
        out.append(sorted(pending))
    return out


def _checked(groups: list[list[NormalizedName]], old: Sequence[Declaration],
             new: Sequence[Declaration], writes: Mapping[Path, str], removes: set[Path],
             problems: Callable[[list[Declaration]], set[Problem]]) -> list[Step]:
    before = problems(list(old))
    steps: list[Step] = []
    state = {d.path: d for d in old}
    written = {d.path: d.project for d in new}
    pending: list[NormalizedName] = []
    for i, group in enumerate(groups):
        pending += group
        projects = set(pending)
        for d in old:
            if d.project in projects and d.path in removes:
                state.pop(d.path, None)
        for d in new:
            if d.project in projects:
                state[d.path] = d
        if i + 1 < len(groups) and problems(list(state.values())) - before:
            continue  # not a valid stop: joins the next group
        step = Step(sorted(projects))
        step.writes = {p: t for p, t in writes.items() if written.get(p) in projects}
        step.removes = {d.path for d in old if d.project in projects and d.path in removes
                        and d.path not in writes}
        steps.append(step)
        pending = []
    return steps

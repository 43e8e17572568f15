"""Release notes: what changed between two states of the repository.

A state is a set of projects, each with its version, its wheel files and the supported
environments its wheels cover.  It is read from a data tree (the files on disk or a
commit's tree: a release tag's) or from a published ``manifest.json`` (a file, or fetched
through a gateway by CID).  :func:`diff` says which projects were added, removed, upgraded
or downgraded, which kept their version but changed wheels, and, where the supported
environments are known, which cover fewer or more environments than before (a curator's
choice, visible in the review).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from ..publish.manifest import Manifest
from ..repo.declaration import Declaration
from ..repo.settings import Environment, Settings

__all__ = ["Changes", "ProjectState", "State", "diff", "from_declarations", "from_manifest",
           "release_notes"]


@dataclass(frozen=True)
class ProjectState:
    """One project in one state of the repository."""

    version: Version  # the newest version declared (one per environment)
    wheels: frozenset[str]
    covered: frozenset[str] | None  # environment names, None when not known


State = Mapping[str, ProjectState]


def _covered(wheels: Iterable[tuple[frozenset[Tag], SpecifierSet | None]],
             environments: Sequence[Environment]) -> frozenset[str]:
    wheels = list(wheels)
    return frozenset(
        env.name for env in environments
        if any(env.supports(tags) and (rp is None or rp.contains(
            env.markers["python_full_version"], prereleases=True)) for tags, rp in wheels))


def from_declarations(declarations: Iterable[Declaration],
                      settings: Settings | None) -> dict[str, ProjectState]:
    """The state a data tree's declarations describe."""
    by_project: dict[str, list[Declaration]] = {}
    for d in declarations:
        by_project.setdefault(d.project, []).append(d)
    envs = settings.environments if settings is not None else None
    return {name: ProjectState(
        max(d.version for d in group), frozenset(d.filename for d in group),
        None if envs is None else _covered(((d.tags, d.requires_python) for d in group), envs))
        for name, group in sorted(by_project.items())}


def from_manifest(manifest: Manifest, settings: Settings | None) -> dict[str, ProjectState]:
    """The state a published manifest describes."""
    envs = settings.environments if settings is not None else None
    state = {}
    for project in manifest.projects:
        parsed = [(parse_wheel_filename(w.filename), w.requires_python) for w in project.wheels]
        wheels = [(frozenset(tags), SpecifierSet(rp) if rp else None)
                  for (_n, _v, _b, tags), rp in parsed]
        state[project.name] = ProjectState(
            max(v for (_n, v, _b, _t), _rp in parsed) if parsed else Version("0"),
            frozenset(w.filename for w in project.wheels),
            None if envs is None else _covered(wheels, envs))
    return state


@dataclass
class Changes:
    """What changed from one state to the next, each list sorted by project."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (project, version)
    removed: list[tuple[str, str]] = field(default_factory=list)
    upgraded: list[tuple[str, str, str]] = field(default_factory=list)  # (project, old, new)
    downgraded: list[tuple[str, str, str]] = field(default_factory=list)
    # (project, version, wheels added, wheels removed): same version, other files
    rebuilt: list[tuple[str, str, list[str], list[str]]] = field(default_factory=list)
    # (project, environments no longer covered, newly covered)
    coverage: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.added, self.removed, self.upgraded, self.downgraded, self.rebuilt,
                    self.coverage))

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.removed)} removed",
                 f"{len(self.upgraded)} upgraded", f"{len(self.downgraded)} downgraded"]
        if self.rebuilt:
            parts.append(f"{len(self.rebuilt)} with other wheels")
        if self.coverage:
            parts.append(f"{len(self.coverage)} with other coverage")
        return ", ".join(parts)

    def lines(self) -> list[str]:
        """One line per change: ``+ NAME VERSION``, ``- NAME VERSION``, ``~ NAME OLD ->
        NEW``, ``= NAME VERSION: wheels +N -M``, ``! NAME: covers ...``."""
        out = [f"+ {n} {v}" for n, v in self.added]
        out += [f"- {n} {v}" for n, v in self.removed]
        out += [f"~ {n} {old} -> {new}" for n, old, new in self.upgraded]
        out += [f"~ {n} {old} -> {new} (downgraded)" for n, old, new in self.downgraded]
        out += [f"= {n} {v}: wheels +{len(a)} -{len(r)}" for n, v, a, r in self.rebuilt]
        for n, lost, gained in self.coverage:
            said = []
            if lost:
                said.append(f"no longer covers {', '.join(lost)}")
            if gained:
                said.append(f"now covers {', '.join(gained)}")
            out.append(f"! {n}: {'; '.join(said)}")
        return out

    def as_json(self) -> str:
        return json.dumps({
            "added": [{"project": n, "version": v} for n, v in self.added],
            "removed": [{"project": n, "version": v} for n, v in self.removed],
            "upgraded": [{"project": n, "from": a, "to": b} for n, a, b in self.upgraded],
            "downgraded": [{"project": n, "from": a, "to": b} for n, a, b in self.downgraded],
            "wheels-changed": [{"project": n, "version": v, "added": a, "removed": r}
                               for n, v, a, r in self.rebuilt],
            "coverage-changed": [{"project": n, "lost": lost, "gained": gained}
                                 for n, lost, gained in self.coverage],
        }, indent=2, sort_keys=True) + "\n"


def diff(old: State, new: State) -> Changes:
    """The changes from state *old* to state *new*."""
    changes = Changes()
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        if before is None:
            assert after is not None
            changes.added.append((name, str(after.version)))
            continue
        if after is None:
            changes.removed.append((name, str(before.version)))
            continue
        if after.version > before.version:
            changes.upgraded.append((name, str(before.version), str(after.version)))
        elif after.version < before.version:
            changes.downgraded.append((name, str(before.version), str(after.version)))
        elif after.wheels != before.wheels:
            changes.rebuilt.append((name, str(after.version), sorted(after.wheels - before.wheels),
                                    sorted(before.wheels - after.wheels)))
        if before.covered is not None and after.covered is not None \
                and before.covered != after.covered:
            changes.coverage.append((name, sorted(before.covered - after.covered),
                                     sorted(after.covered - before.covered)))
    return changes


def release_notes(changes: Changes, previous: str | None, limit: int = 60) -> list[str]:
    """The release notes a tag message carries: a summary line, then at most *limit*
    change lines (the rest counted; ``ipwhl diff`` lists them all)."""
    if previous is None:
        return [f"first release: {len(changes.added)} projects"]
    lines = changes.lines()
    head = [f"changes since {previous}: {changes.summary()}", *lines[:limit]]
    if len(lines) > limit:
        head.append(f"... and {len(lines) - limit} more (ipwhl diff {previous} THIS-TAG)")
    return head

"""The install set the repository gives for some requirements on one environment.

A resolvelib provider over the declarations: the candidates of a project are its
declarations installable on the environment (tags and ``requires-python``), newest version
first, then pip's tag preference.  Extras follow resolvelib's extras pattern: the
identifier ``name[a,b]`` has candidates that depend on the base project at the same
version plus the dependencies the extras add (PEP 508 markers evaluated with ``extra``).

A project may cover only some environments (partial coverage): a requested project with
no wheel for the environment is said so plainly, with what the repository's wheels of it
cover (the supported environments, when the caller knows them, else the wheels' tags).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from packaging.markers import (
    InvalidMarker,
    UndefinedComparison,
    UndefinedEnvironmentName,
    default_environment,
)
from packaging.requirements import Requirement
from packaging.tags import Tag, sys_tags
from packaging.utils import canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider, BaseReporter, Resolver
from resolvelib.resolvers import RequirementInformation, ResolutionImpossible, ResolutionTooDeep

from ..checks.deps import describe_environments
from ..errors import ResolutionError, SettingsError
from ..repo.declaration import Declaration
from ..repo.settings import Environment, Settings, platform_tags

__all__ = ["CurrentEnvironment", "Target", "resolve", "target_environment"]


class Target(Protocol):
    """Where to install: a supported :class:`~ipwhl_checks.repo.settings.Environment`, or the
    running interpreter (:class:`CurrentEnvironment`)."""

    @property
    def name(self) -> str: ...

    @property
    def markers(self) -> Mapping[str, str]: ...

    def rank(self, tags: frozenset[Tag]) -> int | None: ...


class CurrentEnvironment:
    """The running interpreter, as pip sees it (``packaging.tags.sys_tags``)."""

    name = "current"

    @cached_property
    def _rank(self) -> dict[Tag, int]:
        return {tag: i for i, tag in enumerate(sys_tags())}

    def rank(self, tags: frozenset[Tag]) -> int | None:
        ranks = [self._rank[t] for t in tags if t in self._rank]
        return min(ranks) if ranks else None

    @cached_property
    def markers(self) -> Mapping[str, str]:
        return {k: v for k, v in default_environment().items() if isinstance(v, str)}


def target_environment(settings: Settings, name: str) -> Target:
    """The environment called *name*: ``current``, a supported one (``cp312-win_amd64``) or
    any other CPython on a known platform (``cp310-manylinux_2_17_x86_64``)."""
    if name == "current":
        return CurrentEnvironment()
    try:
        return settings.environment(name)
    except SettingsError:
        m = re.fullmatch(r"cp(3)([1-9]?[0-9])-(\w+)", name, re.ASCII)  # (bounded: settings)
        if not m:
            raise
        try:
            platform_tags(m[3])
        except SettingsError:
            raise SettingsError(f"unknown environment {name!r}: unknown platform {m[3]!r} "
                                "(expected manylinux_X_Y_ARCH, musllinux_X_Y_ARCH, "
                                "macosx_X_Y_ARCH, win_amd64, win32 or win_arm64)") from None
        return Environment(f"{m[1]}.{m[2]}", m[3])


@dataclass(frozen=True)
class _Candidate:
    declaration: Declaration
    extras: frozenset[str] = frozenset()

    @property
    def version(self) -> Version:
        return self.declaration.version

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.declaration.project}{extras} {self.version}"


def _identifier(name: str, extras: Iterable[str]) -> str:
    extras = sorted(extras)
    return f"{name}[{','.join(extras)}]" if extras else name


class _Provider(AbstractProvider[Requirement, _Candidate, str]):
    def __init__(self, declarations: Iterable[Declaration], target: Target,
                 environments: Sequence[Environment] = ()) -> None:
        self.target, self.environments = target, environments
        self.python = Version(target.markers["python_full_version"])
        self.projects: dict[str, list[Declaration]] = defaultdict(list)
        for d in declarations:
            self.projects[d.project].append(d)
        self.extras: dict[str, frozenset[str]] = {}

    def applies(self, requirement: Requirement, extra: str = "") -> bool:
        """Whether *requirement*'s marker holds on the target (a marker that cannot be
        evaluated does not; ``ipwhl check`` reports it as IW405)."""
        try:
            return requirement.marker is None or requirement.marker.evaluate(
                {**self.target.markers, "extra": extra})
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return False

    def installable(self, name: str) -> list[Declaration]:
        """*name*'s declarations installable on the target, most preferred first."""
        found = []
        for d in self.projects.get(name, []):
            rank = self.target.rank(d.tags)
            if rank is not None and (d.requires_python is None or d.requires_python.contains(
                    self.python, prereleases=True)):
                found.append((-rank, d))
        found.sort(key=lambda pair: (pair[1].version, pair[0]), reverse=True)
        return [d for _rank, d in found]

    def identify(self, requirement_or_candidate: Requirement | _Candidate) -> str:
        if isinstance(requirement_or_candidate, _Candidate):
            c = requirement_or_candidate
            return _identifier(c.declaration.project, c.extras)
        extras = frozenset(canonicalize_name(e) for e in requirement_or_candidate.extras)
        identifier = _identifier(canonicalize_name(requirement_or_candidate.name), extras)
        self.extras[identifier] = extras
        return identifier

    def get_preference(self, identifier: str, resolutions: Mapping[str, _Candidate],
                       candidates: Mapping[str, Iterator[_Candidate]],
                       information: Mapping[str, Iterator[RequirementInformation[
                           Requirement, _Candidate]]],
                       backtrack_causes: Sequence[RequirementInformation[
                           Requirement, _Candidate]]) -> tuple[int, str]:
        return sum(1 for _ in candidates[identifier]), identifier  # fewest choices first

    def find_matches(self, identifier: str, requirements: Mapping[str, Iterator[Requirement]],
                     incompatibilities: Mapping[str, Iterator[_Candidate]]) -> list[_Candidate]:
        extras = self.extras.get(identifier, frozenset())
        name = identifier.split("[", 1)[0]
        wanted = list(requirements[identifier])
        bad = {c.declaration.path for c in incompatibilities[identifier]}
        candidates = (_Candidate(d, extras) for d in self.installable(name) if d.path not in bad)
        return [c for c in candidates if all(self.is_satisfied_by(r, c) for r in wanted)]

    def is_satisfied_by(self, requirement: Requirement, candidate: _Candidate) -> bool:
        declared = {canonicalize_name(e) for e in candidate.declaration.extras}
        return requirement.specifier.contains(candidate.version, prereleases=True) and all(
            canonicalize_name(e) in declared for e in requirement.extras)

    def get_dependencies(self, candidate: _Candidate) -> list[Requirement]:
        d = candidate.declaration
        if not candidate.extras:
            return [r for r in d.dependencies if self.applies(r)]
        # The extras pattern: the base project at this version, plus what the extras add.
        return [Requirement(f"{d.project}=={d.version}"), *(
            r for r in d.dependencies if r.marker is not None
            and any(self.applies(r, e) for e in sorted(candidate.extras)))]

    def explain(self, causes: Collection[RequirementInformation[Requirement, _Candidate]]) -> str:
        """Which requirements, pulled in by which packages, conflict with what there is."""
        by_name: dict[str, dict[str, None]] = defaultdict(dict)
        extras: dict[str, set[str]] = defaultdict(set)
        for requirement, parent in causes:
            name = canonicalize_name(requirement.name)
            who = "requested" if parent is None else f"required by {parent}"
            by_name[name][f"{str(requirement)!r} ({who})"] = None
            extras[name].update(canonicalize_name(e) for e in requirement.extras)
        parts = []
        for project, wants in by_name.items():
            first, *rest = wants
            verb = f" conflicts with {', '.join(rest)}" if rest else " cannot be met"
            parts.append(f"{first}{verb}: {self.available(project, extras[project])}")
        return f"no install set on {self.target.name}: " + "; ".join(parts)

    def available(self, name: str, extras: set[str]) -> str:
        if name not in self.projects:
            return f"{name!r} is not in the repository"
        found = self.installable(name)
        if not found:
            return self.no_wheel(name)
        listed = []
        for d in found:
            missing = sorted(extras - {canonicalize_name(e) for e in d.extras})
            lacks = f" (without extra {', '.join(map(repr, missing))})" if missing else ""
            listed.append(f"{d.version}{lacks}")
        return f"the repository has {name} {', '.join(listed)} there"


    def no_wheel(self, name: str) -> str:
        """``'x' has no wheel for ENV (the repository's x 1.0 covers ...)``."""
        declarations = self.projects[name]
        versions = ", ".join(sorted({str(d.version) for d in declarations}, reverse=True))
        if self.environments:
            mask = sum(1 << i for i, env in enumerate(self.environments) if any(
                env.installs(d.tags, d.requires_python) for d in declarations))
            where = describe_environments(mask, self.environments) if mask \
                else "no supported environment"
        else:
            tags = sorted({"-".join(d.filename[:-4].split("-")[-3:]) for d in declarations})
            where = ", ".join(tags[:4]) + (f" and {len(tags) - 4} more" if len(tags) > 4 else "")
        return f"{name!r} has no wheel for {self.target.name} (the repository's {name} " \
               f"{versions} covers {where})"


def resolve(declarations: Iterable[Declaration], environment: Target,
            requirements: Sequence[Requirement],
            environments: Sequence[Environment] = ()) -> list[Declaration]:
    """The declarations pip would install for *requirements* on *environment*, by name.

    *environments* (the repository's supported ones) say what a project without a wheel
    for *environment* covers instead.  Raises :class:`~ipwhl_checks.errors.ResolutionError`
    explaining an impossible request: first any requested project that has no wheel there.
    """
    provider = _Provider(declarations, environment, environments)
    wanted = [r for r in requirements if provider.applies(r)]
    absent = dict.fromkeys(name for r in wanted if (name := canonicalize_name(r.name))
                           in provider.projects and not provider.installable(name))
    if absent:
        raise ResolutionError(f"no install set on {environment.name}: "
                              + "; ".join(provider.no_wheel(name) for name in absent))
    resolver: Resolver[Requirement, _Candidate, str] = Resolver(provider, BaseReporter())
    try:
        result = resolver.resolve(wanted, max_rounds=10_000)
    except ResolutionImpossible as e:
        raise ResolutionError(provider.explain(e.causes)) from e
    except ResolutionTooDeep as e:
        raise ResolutionError(f"no install set on {environment.name}: gave up after "
                              f"{e.round_count} rounds of backtracking") from e
    chosen = {c.declaration.path: c.declaration for c in result.mapping.values()}
    return sorted(chosen.values(), key=lambda d: (d.project, d.version, d.filename))

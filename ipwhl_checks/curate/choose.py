"""Which wheel of a release pip would install on each supported environment, and which
release of a project ``ipwhl add NAME`` takes.

pip ranks the wheels whose tags the environment accepts by its tag preference and drops
those whose ``requires-python`` excludes the environment's Python; yanked files count only
when the release has nothing else (PEP 592).  ``ipwhl add`` declares pip's choices and
``ipwhl outdated`` asks whether a newer release has one everywhere.  Wheels larger than
the repository's ``max-wheel-size`` are not there to choose (:func:`within_limit`).

pip's choices on the supported environments can overlap on some other machine (IW301):
``debugpy``'s compiled ``cp312`` wheel and its ``py2.py3-none-any`` wheel, chosen on a
Python that has no compiled wheel, both install on CPython 3.12.  :func:`choose_apart`
then looks for wheels of the release that cover the same environments and never install
together (a search over the environments, the most constrained first, each trying its
wheels in pip's order), and keeps pip's choices only when there are none.

``ipwhl add NAME`` (or a range) takes the newest release the repository accepts
(:func:`pick_release`): one with wheels within ``max-wheel-size``, not yanked, for every
environment the project must cover (every supported one, or those its declarations in
the tree cover).  A project may cover only some environments (partial coverage): when no
release covers them all, the newest release with a wheel for some supported environment
is taken.  The newer releases passed over are named with the reason.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import InvalidSdistFilename, canonicalize_name, parse_sdist_filename
from packaging.version import Version

from ..checks.overlap import find_collisions
from ..repo.declaration import Declaration
from ..repo.settings import Environment, Settings, format_size
from ..sources.simple_index import IndexFile

__all__ = ["Pick", "choose_apart", "choose_wheels", "installable", "pick_release",
           "within_limit"]

Chosen = dict[str, list[Environment]]  # {filename: the environments it is the choice on}
_BUDGET = 20_000  # steps of the search for wheels apart, before keeping pip's choices


def installable(env: Environment, tags: Iterable[Tag],
                requires_python: SpecifierSet | None) -> int | None:
    """pip's rank of a wheel on *env* (lower is better), None when it does not install there."""
    if requires_python is not None and not requires_python.contains(
            env.markers["python_full_version"], prereleases=True):
        return None
    return env.rank(frozenset(tags))


def _release_wheels(files: Sequence[IndexFile], version: Version) -> list[IndexFile]:
    wheels = [f for f in files if f.wheel is not None and f.wheel[1] == version]
    if not all(f.yanked for f in wheels):  # PEP 592: a yanked release only if pinned, and
        wheels = [f for f in wheels if not f.yanked]  # only when it has nothing else
    return wheels


def choose_wheels(files: Sequence[IndexFile], version: Version,
                  environments: Sequence[Environment]) -> tuple[Chosen, list[Environment]]:
    """{filename: environments it is pip's choice on}, and the environments without a wheel."""
    tagged = [(f, f.wheel[2]) for f in _release_wheels(files, version) if f.wheel is not None]
    chosen: Chosen = defaultdict(list)
    missing = []
    for env in environments:
        ranked = [(rank, f.filename) for f, tags in tagged
                  if (rank := installable(env, tags, f.requires_python)) is not None]
        if ranked:
            chosen[min(ranked)[1]].append(env)
        else:
            missing.append(env)
    return dict(chosen), missing


def within_limit(files: Sequence[IndexFile], settings: Settings) -> list[IndexFile]:
    """The files of *files* the repository accepts: all but those whose size the index
    gives (PEP 700) and is over ``max-wheel-size``."""
    return [f for f in files if not settings.over_limit(f.size)]


def choose_apart(files: Sequence[IndexFile], version: Version,
                 environments: Sequence[Environment], pythons: Sequence[str]
                 ) -> tuple[Chosen, list[Environment], bool]:
    """Like :func:`choose_wheels`, but wheels no two of which install on one machine
    (IW301) when pip's choices overlap and the release has such wheels for the same
    environments; the last value says whether they differ from pip's choices."""
    chosen, missing = choose_wheels(files, version, environments)
    wheels = {f.filename: f for f in _release_wheels(files, version) if f.wheel is not None}
    collide = _Collisions(wheels, pythons)
    if not any(collide(a, b) for i, a in enumerate(chosen) for b in list(chosen)[i + 1:]):
        return chosen, missing, False
    covered = [env for env in environments if env not in missing]
    options = {env: _ranked(env, wheels.values()) for env in covered}
    found = _search(covered, options, collide)
    if found is None:
        return chosen, missing, False
    apart: Chosen = defaultdict(list)
    for env in covered:
        (name,) = [w for w in found if w in options[env]]
        apart[name].append(env)
    return dict(apart), missing, True


def _ranked(env: Environment, wheels: Iterable[IndexFile]) -> list[str]:
    """The file names of *wheels* that install on *env*, in pip's order of preference."""
    ranked = [(rank, f.filename) for f in wheels if f.wheel is not None
              and (rank := installable(env, f.wheel[2], f.requires_python)) is not None]
    return [name for _rank, name in sorted(ranked)]


class _Collisions:
    """Whether two wheels of a release install together somewhere (the overlap check's
    answer, :func:`~ipwhl_checks.checks.overlap.find_collisions`), cached by pair."""

    def __init__(self, wheels: dict[str, IndexFile], pythons: Sequence[str]) -> None:
        self._wheels, self._pythons = wheels, pythons
        self._known: dict[frozenset[str], bool] = {}

    def _declaration(self, name: str) -> Declaration:
        f = self._wheels[name]
        assert f.wheel is not None
        project, version, tags = f.wheel
        return Declaration(path=Path(name), filename=name, project=project, version=version,
                           tags=tags, source="", content_id="", requires_python=f.requires_python,
                           extras=(), dependencies=())

    def __call__(self, a: str, b: str) -> bool:
        key = frozenset((a, b))
        if key not in self._known:
            self._known[key] = bool(find_collisions(
                [self._declaration(a), self._declaration(b)], pythons=self._pythons))
        return self._known[key]


def _search(envs: Sequence[Environment], options: dict[Environment, list[str]],
            collide: Callable[[str, str], bool]) -> list[str] | None:
    """Wheels, pairwise apart, such that every one of *envs* installs one of them; the
    environments with the fewest wheels are decided first, each trying its wheels in
    pip's order.  None when there are none (or the search runs out of steps)."""
    order = sorted(envs, key=lambda env: len(options[env]))
    steps = 0

    def extend(i: int, selected: list[str]) -> list[str] | None:
        nonlocal steps  # (recursion: one level per wheel selected)
        while i < len(order) and any(w in options[order[i]] for w in selected):
            i += 1  # served already (and by one only: they are apart)
        if i == len(order):
            return selected
        for name in options[order[i]]:
            steps += 1
            if steps > _BUDGET:
                return None
            if not any(collide(name, other) for other in selected):
                found = extend(i + 1, [*selected, name])
                if found is not None:
                    return found
        return None

    return extend(0, [])


@dataclass
class Pick:
    """The release ``ipwhl add NAME`` takes, the newer ones it passed over and why, and
    whether it covers every environment it had to (False: partial coverage, as no release
    in range does)."""

    version: Version | None
    skipped: list[tuple[Version, str]] = field(default_factory=list)
    complete: bool = True


def _versions(files: Sequence[IndexFile], project: str) -> set[Version]:
    """The versions of *project* the index has a file of (wheel or sdist)."""
    versions: set[Version] = set()
    for f in files:
        if f.wheel is not None:
            versions.add(f.wheel[1])
        elif f.filename.endswith((".tar.gz", ".zip")):
            with contextlib.suppress(InvalidSdistFilename, ValueError):
                name, version = parse_sdist_filename(f.filename)
                if name == canonicalize_name(project):
                    versions.add(version)
    return versions


def pick_release(files: Sequence[IndexFile], project: str, spec: SpecifierSet,
                 settings: Settings, needed: Sequence[Environment] | None = None) -> Pick:
    """The newest release of *project* in *spec* (PEP 440, pre-releases as
    ``SpecifierSet.filter`` admits them) whose wheels the repository accepts (not yanked,
    within ``max-wheel-size``) for every one of *needed* (default: every supported
    environment); when there is none, the newest with such a wheel for some supported
    environment (partial coverage, ``complete`` False).  Each newer release in *spec* it
    skipped is named with the reason: only an sdist, yanked, only wheels over
    ``max-wheel-size``, no wheel for a supported environment, or none for some of
    *needed*."""
    environments = settings.environments
    needed = environments if needed is None else needed
    releases: dict[Version, list[IndexFile]] = defaultdict(list)  # its wheels, by version
    for f in files:
        if f.wheel is not None:
            releases[f.wheel[1]].append(f)
    pick = Pick(None)
    fallback: Pick | None = None
    for version in spec.filter(sorted(_versions(files, project), reverse=True)):
        wheels = releases.get(version, [])
        accepted = [f for f in within_limit(wheels, settings) if not f.yanked]
        chosen, missing = choose_wheels(accepted, version, environments)
        lacking = [env for env in needed if env in missing]
        if chosen and not lacking:
            pick.version = version
            return pick
        if chosen and fallback is None:
            fallback = Pick(version, list(pick.skipped), complete=False)
        if not wheels:
            pick.skipped.append((version, "only an sdist"))
        elif all(f.yanked for f in wheels):
            pick.skipped.append((version, "yanked"))
        elif not chosen and settings.max_wheel_size is not None and choose_wheels(
                [f for f in wheels if not f.yanked], version, environments)[0]:
            pick.skipped.append((version, "wheels over max-wheel-size "
                                 f"{format_size(settings.max_wheel_size)}"))
        elif not chosen:
            pick.skipped.append((version, "no wheel for a supported environment"))
        else:
            pick.skipped.append((version, "no wheel for " + ", ".join(e.name for e in lacking)))
    return fallback or pick

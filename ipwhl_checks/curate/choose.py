"""Which wheel of a release pip would install on each supported environment.

pip ranks the wheels whose tags the environment accepts by its tag preference and drops
those whose ``requires-python`` excludes the environment's Python; yanked files count only
when the release has nothing else (PEP 592).  ``ipwhl add`` declares pip's choices and
``ipwhl outdated`` asks whether a newer release has one everywhere.  Wheels larger than
the repository's ``max-wheel-size`` are not there to choose (:func:`within_limit`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.version import Version

from ..repo.settings import Environment, Settings
from ..sources.simple_index import IndexFile

__all__ = ["choose_wheels", "installable", "within_limit"]


def installable(env: Environment, tags: Iterable[Tag],
                requires_python: SpecifierSet | None) -> int | None:
    """pip's rank of a wheel on *env* (lower is better), None when it does not install there."""
    if requires_python is not None and not requires_python.contains(
            env.markers["python_full_version"], prereleases=True):
        return None
    return env.rank(frozenset(tags))


def choose_wheels(files: Sequence[IndexFile], version: Version,
                  environments: Sequence[Environment]) -> tuple[dict[str, list[Environment]],
                                                                list[Environment]]:
    """{filename: environments it is pip's choice on}, and the environments without a wheel."""
    wheels = [f for f in files if f.wheel is not None and f.wheel[1] == version]
    if not all(f.yanked for f in wheels):  # PEP 592: a yanked release only if pinned, and
        wheels = [f for f in wheels if not f.yanked]  # only when it has nothing else
    tagged = [(f, f.wheel[2]) for f in wheels if f.wheel is not None]
    chosen: dict[str, list[Environment]] = defaultdict(list)
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

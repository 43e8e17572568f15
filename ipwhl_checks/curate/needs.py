"""What one release of a project needs of the others, on which supported environments.

The environments are bits of a mask over ``settings.environments`` (bit *i*: the *i*-th
environment), as the dependency check counts them.  A :class:`Need` is one requirement
of a release, where it applies: on the environments where one of the release's wheels
installs and the requirement's marker is true (for no extra or one of the extras the
repository declares of the project).  A release satisfies a need when its version is in
the specifier (pre-releases allowed, as the dependency check reads it), it installs on
every environment of the need and, when the need asks for extras, its wheels provide
them.  The repository itself needs each of its projects on the environments its
declarations cover (:func:`kept`): a project is not dropped from an environment.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from packaging.markers import (
    InvalidMarker,
    Marker,
    UndefinedComparison,
    UndefinedEnvironmentName,
)
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from ..repo.settings import Environment
from .choose import installable

__all__ = ["Need", "installs_on", "kept", "needs_of", "requirement_text"]

_SERIAL = itertools.count()


@dataclass(frozen=True, eq=False)
class Need:
    """A requirement on *project*, on the environments in *mask*, by a release of *by*
    (None: the repository, which keeps the project where it is installable today).

    Compared by identity and hashed by the order of making (not the address, so that the
    sets a resolution keeps iterate the same way on every run): a resolution asks whether
    a release satisfies the same need again and again, and the answer is kept per
    (release, need) pair."""

    project: NormalizedName
    specifier: SpecifierSet
    extras: frozenset[str]
    mask: int
    by: NormalizedName | None = None
    by_version: Version | None = None
    text: str = ""  # as written, without the marker: "python-dateutil<3"
    serial: int = field(default_factory=lambda: next(_SERIAL), repr=False)

    def __hash__(self) -> int:
        return self.serial

    def __str__(self) -> str:
        return f"{self.by} requires {self.text}" if self.by else f"the repository keeps " \
            f"{self.project}"


def requirement_text(req: Requirement) -> str:
    """*req* without its marker: ``name[extra]specifier``."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"


def installs_on(environments: Sequence[Environment], tags: Iterable[Tag],
                requires_python: SpecifierSet | None) -> int:
    """The environments a wheel with *tags* and *requires_python* installs on."""
    return _installs_on(tuple(environments), frozenset(tags), requires_python)


@functools.lru_cache(maxsize=4096)
def _installs_on(environments: tuple[Environment, ...], tags: frozenset[Tag],
                 requires_python: SpecifierSet | None) -> int:
    # (the wheels of a tree share a few tag sets and requires-python values)
    return sum(1 << i for i, env in enumerate(environments)
               if installable(env, tags, requires_python) is not None)


def _marker_mask(req: Requirement, extras: Sequence[str],
                 environments: Sequence[Environment]) -> int:
    if req.marker is None:
        return (1 << len(environments)) - 1
    return _evaluated(str(req.marker), tuple(extras) if "extra" in str(req.marker) else (),
                      tuple(environments))


@functools.lru_cache(maxsize=4096)
def _evaluated(text: str, extras: tuple[str, ...], environments: tuple[Environment, ...]
               ) -> int:
    """The environments where the marker *text* is true for no extra or one of *extras*
    (the same markers recur across a tree's declarations: each is evaluated once)."""
    marker = Marker(text)
    mask = 0
    for i, env in enumerate(environments):
        try:
            if any(marker.evaluate({**env.markers, "extra": extra})
                   for extra in ("", *extras)):
                mask |= 1 << i
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            pass  # the dependency check reports a marker it cannot evaluate (IW405)
    return mask


def needs_of(project: NormalizedName, version: Version,
             wheels: Iterable[tuple[Sequence[Requirement], Sequence[str], int]],
             environments: Sequence[Environment]) -> tuple[Need, ...]:
    """The needs of *project* *version* whose wheels are (dependencies, declared extras,
    the environments the wheel is installed on); equal requirements are one need over the
    union of their environments."""
    merged: dict[tuple[str, str, frozenset[str]], tuple[Need, int]] = {}
    for dependencies, extras, wheel_mask in wheels:
        for req in dependencies:
            mask = wheel_mask & _marker_mask(req, extras, environments)
            if not mask:
                continue
            name = canonicalize_name(req.name)
            wanted = frozenset(canonicalize_name(e) for e in req.extras)
            key = (name, str(req.specifier), wanted)
            need, before = merged.get(key, (None, 0))
            if need is None:
                need = Need(name, req.specifier, wanted, 0, project, version,
                            requirement_text(req))
            merged[key] = (need, before | mask)
    return tuple(Need(n.project, n.specifier, n.extras, mask, n.by, n.by_version, n.text)
                 for n, mask in merged.values())


def kept(project: NormalizedName, mask: int) -> Need:
    """The repository's own need of *project*: installable where it is today."""
    return Need(project, SpecifierSet(), frozenset(), mask)

"""Dependencies satisfied on every supported environment (checks IW4xx).

For every supported environment, every declaration installable there (its tags match and
its ``requires-python`` admits that Python), and every dependency whose marker is true
there (PEP 508, evaluated for no extra and for each declared extra), the one declaration
of that project installable there must satisfy it: its version is in the specifier
(pre-releases allowed) and it declares every extra the requirement asks for.

The same problem on several environments is one line naming them all.  Work is done per
set of environments, not per environment: each declaration gets a bit mask of the
environments it installs on (cached per tag set and per ``requires-python``), each
marker a mask of the environments it is true on (cached per marker and extras).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement
from packaging.tags import Tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from .declaration import Declaration, Problem
from .settings import Environment, Settings

__all__ = ["CHECKS", "check_dependencies", "describe_environments"]


def _where(text: str) -> str:
    return f" (on {text})"


def _iw401_missing(d: Declaration, req: Requirement, where: str) -> Problem:
    """IW401 missing project: a dependency names a project the repository does not have.

    Why: installing the declaring wheel from the repository would fail (or pull the
    project from elsewhere).  Fix: add a declaration of the project (``ipwhl add``), or
    remove the declaring wheel.
    """
    name = canonicalize_name(req.name)
    return Problem(str(d.path), f"dependency {str(req)!r}: project {name!r} is not in the "
                   f"repository{_where(where)}", "IW401")


def _iw402_version(d: Declaration, req: Requirement, where: str, t: Declaration) -> Problem:
    """IW402 wrong version: the project's declaration there has a version the dependency
    excludes.

    Why: pip would find no version it may install there.  Fix: upgrade (or downgrade) the
    dependency's declarations to a version in the specifier, or the declaring wheel to a
    release that accepts the version the repository has.
    """
    return Problem(str(d.path), f"dependency {str(req)!r}: {str(t.path)!r} has version "
                   f"{t.version}{_where(where)}", "IW402")


def _iw403_extra(d: Declaration, req: Requirement, where: str, t: Declaration,
                 missing: Sequence[str]) -> Problem:
    """IW403 missing extra: the dependency asks for an extra the declaration there lacks.

    Why: the extra's own dependencies would not be known to the repository, and the
    checks and the resolver could not follow them.  Fix: add the extra (and its
    dependencies, as the wheel's metadata says) to the dependency's declaration.
    """
    extras = ", ".join(repr(e) for e in missing)
    noun = "extra" if len(missing) == 1 else "extras"
    return Problem(str(d.path), f"dependency {str(req)!r}: {str(t.path)!r} does not declare "
                   f"{noun} {extras}{_where(where)}", "IW403")


def _iw404_not_installable(d: Declaration, req: Requirement, where: str) -> Problem:
    """IW404 not installable: the repository has the project, but no wheel of it installs
    on an environment where the dependency is needed.

    Why: installing the declaring wheel there would fail.  Fix: add a wheel of the
    dependency for those environments (e.g. a ``manylinux_2_28_aarch64`` build), or
    narrow the declaring wheel's tags or ``requires-python``.
    """
    name = canonicalize_name(req.name)
    return Problem(str(d.path), f"dependency {str(req)!r}: no declaration of {name!r} is "
                   f"installable{_where(where)}", "IW404")


def _iw405_marker(d: Declaration, req: Requirement, where: str, error: str) -> Problem:
    """IW405 bad marker: a dependency's marker cannot be evaluated on an environment.

    Why: neither pip nor the checks can decide whether the dependency applies.  Fix:
    correct the marker (compare versions with version-like values, PEP 508).
    """
    return Problem(str(d.path), f"dependency {str(req)!r}: marker cannot be evaluated "
                   f"({error}){_where(where)}", "IW405")


CHECKS: dict[str, Callable[..., object]] = {
    "IW401": _iw401_missing,
    "IW402": _iw402_version,
    "IW403": _iw403_extra,
    "IW404": _iw404_not_installable,
    "IW405": _iw405_marker,
}


def describe_environments(mask: int, environments: Sequence[Environment]) -> str:
    """The environments whose bits are set in *mask*, compactly, in brace-expansion form.

    ``every supported environment``, or e.g.
    ``{cp311,cp312}-{manylinux_2_28_x86_64,win_amd64}, cp313-win_amd64``.
    """
    if mask == (1 << len(environments)) - 1:
        return "every supported environment"
    platforms: dict[str, list[str]] = defaultdict(list)  # python -> its platforms in mask
    for i, env in enumerate(environments):
        if mask >> i & 1:
            platforms[env.name.split("-", 1)[0]].append(env.platform)
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for python, plats in platforms.items():
        groups[tuple(plats)].append(python)
    return ", ".join(f"{_brace(pythons)}-{_brace(plats)}" for plats, pythons in groups.items())


def _brace(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else "{" + ",".join(items) + "}"


class _Masks:
    """Bit masks over the supported environments, cached."""

    def __init__(self, environments: Sequence[Environment]) -> None:
        self.environments = environments
        self.pythons = [Version(env.markers["python_full_version"]) for env in environments]
        self._tags: dict[frozenset[Tag], int] = {}
        self._python: dict[str, int] = {}
        self._markers: dict[tuple[str, tuple[str, ...]], tuple[int, int, str]] = {}
        self._names: dict[str, str] = {}

    def installable(self, d: Declaration) -> int:
        """The environments *d* installs on: its tags match and requires-python admits."""
        mask = self._tags.get(d.tags)
        if mask is None:
            mask = sum(1 << i for i, env in enumerate(self.environments) if env.supports(d.tags))
            self._tags[d.tags] = mask
        if mask and d.requires_python is not None:
            key = str(d.requires_python)
            admitted = self._python.get(key)
            if admitted is None:
                admitted = sum(1 << i for i, v in enumerate(self.pythons)
                               if d.requires_python.contains(v, prereleases=True))
                self._python[key] = admitted
            mask &= admitted
        return mask

    def marker(self, req: Requirement, extras: tuple[str, ...]) -> tuple[int, int, str]:
        """(where true, where it cannot be evaluated, why) for the marker of *req*, evaluated
        with ``extra`` set to "" and to each of *extras*."""
        assert req.marker is not None
        text = str(req.marker)
        key = (text, extras if "extra" in text else ())
        found = self._markers.get(key)
        if found is None:
            true = broken = 0
            error = ""
            for i, env in enumerate(self.environments):
                for extra in ("", *key[1]):
                    try:
                        if req.marker.evaluate({**env.markers, "extra": extra}):
                            true |= 1 << i
                    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName) as e:
                        broken |= 1 << i
                        error = str(e)
            found = self._markers[key] = (true, broken, error)
        return found

    def name(self, req: Requirement) -> str:
        found = self._names.get(req.name)
        if found is None:
            found = self._names[req.name] = canonicalize_name(req.name)
        return found


def check_dependencies(declarations: Sequence[Declaration], settings: Settings) -> list[Problem]:
    """Every unmet dependency of *declarations* on the environments of *settings*."""
    environments = settings.environments
    masks = _Masks(environments)
    by_project: dict[str, list[tuple[Declaration, int]]] = defaultdict(list)
    installable = []
    for d in declarations:
        mask = masks.installable(d)
        by_project[d.project].append((d, mask))
        if mask and d.dependencies:
            installable.append((d, mask))
    problems = []

    def where(mask: int) -> str:
        return describe_environments(mask, environments)

    for d, mask in installable:
        for req in d.dependencies:
            active = mask
            if req.marker is not None:
                true, broken, error = masks.marker(req, d.extras)
                if broken & mask:
                    problems.append(_iw405_marker(d, req, where(broken & mask), error))
                active &= true
            if not active:
                continue
            candidates = by_project.get(masks.name(req))
            if not candidates:
                problems.append(_iw401_missing(d, req, where(active)))
                continue
            covered = 0
            for t, t_mask in candidates:
                common = active & t_mask
                if not common:
                    continue
                covered |= common
                if not req.specifier.contains(t.version, prereleases=True):
                    problems.append(_iw402_version(d, req, where(common), t))
                if req.extras:
                    have = {canonicalize_name(e) for e in t.extras}
                    missing = sorted({canonicalize_name(e) for e in req.extras} - have)
                    if missing:
                        problems.append(_iw403_extra(d, req, where(common), t, missing))
            if active & ~covered:
                problems.append(_iw404_not_installable(d, req, where(active & ~covered)))
    return sorted(problems)

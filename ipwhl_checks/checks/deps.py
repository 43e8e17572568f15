"""Dependencies satisfied on every supported environment (checks IW4xx).

For every supported environment, every declaration installable there (its tags match and
its ``requires-python`` admits that Python), and every dependency whose marker is true
there (PEP 508, evaluated for no extra and for each declared extra), the one declaration
of that project installable there must satisfy it: its version is in the specifier
(pre-releases allowed) and it declares every extra the requirement asks for.

Problems are folded, so that one cause gives one line:

* the same problem on several environments is one line naming them all (``on
  {cp311,cp312}-win_amd64``, ``on all 20 supported environments``);
* the same problem in several declarations of a project that declare the same
  dependencies (the wheels of a release, one per environment) is one line, on the first
  of them, saying how many they are (``in 20 declarations of 'tiktoken'``);
* the problems an invalid declaration causes in its dependents (its project missing,
  IW401, or not installable where it would have been, IW404) are one line on the invalid
  declaration, naming the projects that depend on it, instead of one per dependent.

Work is done per set of environments, not per environment: each declaration gets a bit
mask of the environments it installs on (cached per tag set and per ``requires-python``),
each marker a mask of the environments it is true on (cached per marker and extras).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from itertools import chain

from packaging.markers import (
    InvalidMarker,
    Marker,
    UndefinedComparison,
    UndefinedEnvironmentName,
)
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from ..repo.declaration import Declaration, Problem
from ..repo.settings import Environment, Settings

__all__ = ["CHECKS", "check_dependencies", "describe_environments"]


def _where(text: str) -> str:
    return f" (on {text})"


def _iw401_missing(d: Declaration, req: Requirement, where: str) -> Problem:
    """IW401 missing project: a dependency names a project the repository does not have.

    Why: installing the declaring wheel from the repository would fail (or pull the
    project from elsewhere).  Fix: add a declaration of the project (``ipwhl add``), or
    remove the declaring wheel.  When the project's declarations are there but invalid,
    this is one line on the first of them ("this declaration is invalid, so ...; 3
    projects depend on it: ..."): fix that declaration (its other problems are listed
    just before) and the dependents are satisfied again.
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
    narrow the declaring wheel's tags or ``requires-python``.  When an invalid declaration
    of the project would install there, this is one line on it, as for IW401.
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

    ``all 20 supported environments``, or e.g.
    ``{cp311,cp312}-{manylinux_2_28_x86_64,win_amd64}, cp313-win_amd64``.
    """
    if mask == (1 << len(environments)) - 1 and len(environments) > 1:
        return f"all {len(environments)} supported environments"
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
    """Bit masks over the supported environments, and what decides them, cached.

    Every cache is keyed by value: tag sets and ``requires-python`` specifier sets (few)
    hash and compare by what they say; markers, names, versions and a requirement's
    specifiers by their text.
    """

    def __init__(self, environments: Sequence[Environment]) -> None:
        self.environments = environments
        self.pythons = [Version(env.markers["python_full_version"]) for env in environments]
        self._tags: dict[frozenset[Tag], int] = {}
        self._python: dict[SpecifierSet, int] = {}
        self._projects: dict[str, str] = {}
        self._markers: dict[tuple[str, tuple[str, ...]], tuple[int, int, str]] = {}
        self._admitted: dict[str, dict[str, bool]] = {}
        self._descriptions: dict[int, str] = {}

    def tagged(self, tags: frozenset[Tag]) -> int:
        """The environments a wheel with *tags* installs on (``requires-python`` aside)."""
        mask = self._tags.get(tags)
        if mask is None:
            mask = sum(1 << i for i, env in enumerate(self.environments) if env.supports(tags))
            self._tags[tags] = mask
        return mask

    def installable(self, d: Declaration) -> int:
        """The environments *d* installs on: its tags match and requires-python admits."""
        mask = self.tagged(d.tags)
        spec = d.requires_python
        if mask and spec is not None:
            admitted = self._python.get(spec)
            if admitted is None:
                admitted = self._python[spec] = sum(1 << i for i, v in enumerate(self.pythons)
                                                    if spec.contains(v, prereleases=True))
            mask &= admitted
        return mask

    def project(self, req: Requirement) -> str:
        """The normalized project name *req* names."""
        found = self._projects.get(req.name)
        if found is None:
            found = self._projects[req.name] = canonicalize_name(req.name)
        return found

    def admitted(self, specifier: str) -> dict[str, bool]:
        """Whether the specifier set *specifier* (its text) admits a version (by its text):
        filled in by :func:`_admits` as versions are asked about."""
        found = self._admitted.get(specifier)
        if found is None:
            found = self._admitted[specifier] = {}
        return found

    def marker(self, marker: Marker, extras: tuple[str, ...]) -> tuple[int, int, str]:
        """(where true, where it cannot be evaluated, why) for *marker*, evaluated with
        ``extra`` set to "" and to each of *extras*."""
        text = str(marker)  # kept by packaging: the same string object, hashed once
        key = (text, extras if "extra" in text else ())
        found = self._markers.get(key)
        if found is None:
            true = broken = 0
            error = ""
            for i, env in enumerate(self.environments):
                for extra in ("", *key[1]):
                    try:
                        if marker.evaluate({**env.markers, "extra": extra}):
                            true |= 1 << i
                    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName) as e:
                        broken |= 1 << i
                        error = str(e)
            found = self._markers[key] = (true, broken, error)
        return found

    def where(self, mask: int) -> str:
        found = self._descriptions.get(mask)
        if found is None:
            found = self._descriptions[mask] = describe_environments(mask, self.environments)
        return found

    def names(self, mask: int) -> tuple[str, ...]:
        return tuple(env.name for i, env in enumerate(self.environments) if mask >> i & 1)


def _missing_extras(req: Requirement, t: Declaration) -> list[str]:
    have = {canonicalize_name(e) for e in t.extras}
    return sorted({canonicalize_name(e) for e in req.extras} - have)


def _admits(admitted: dict[str, bool], req: Requirement, t: Declaration, version: str) -> bool:
    """Whether *req*'s specifier admits *t*'s version (text *version*; *admitted* caches)."""
    found = admitted.get(version)
    if found is None:
        found = admitted[version] = req.specifier.contains(t.version, prereleases=True)
    return found


_Group = list[tuple[Declaration, int]]
_Candidates = list[tuple[Declaration, int, str]]  # declaration, mask, version text


def _join(groups: list[_Group], d: Declaration, mask: int) -> None:
    """Add *d* to the group of *groups* whose dependencies equal its own, or to a new one."""
    for group in groups:
        if group[0][0].dependencies == d.dependencies:
            group.append((d, mask))
            return
    groups.append([(d, mask)])


class _Invalid:
    """The invalid declarations of one project, and what their dependents lost."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.mask = 0  # where their tags would install them
        self.check = ""  # "IW401" (the project has no valid declaration) or "IW404"
        self.lost = 0  # where a dependent misses the project
        self.dependents: set[str] = set()

    def problem(self, project: str, masks: _Masks) -> Problem:
        paths = sorted(self.paths)
        others = len(paths) - 1
        who = ("this declaration is invalid" if not others else f"this and {others} other "
               f"declaration{'s' * (others > 1)} of {project!r} are invalid")
        what = (f"{project!r} is not in the repository" if self.check == "IW401" else
                f"no declaration of {project!r} is installable")
        names = sorted(self.dependents)
        count = f"{len(names)} project{'s' * (len(names) > 1)} "
        listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return Problem(paths[0], f"{who}, so {what}{_where(masks.where(self.lost))}, and "
                       f"{count}depend{'s' * (len(names) == 1)} on it: {listed}", self.check,
                       project, masks.names(self.lost))


def check_dependencies(declarations: Sequence[Declaration], settings: Settings,
                       invalid: Iterable[tuple[str, str, frozenset[Tag]]] = ()) -> list[Problem]:
    """Every unmet dependency of *declarations* on the environments of *settings*, folded
    (see the module's documentation); *invalid*: the declarations that failed their own
    checks, (path, project, the tags of its file name), whose dependents' problems fold
    into one line on them."""
    masks = _Masks(settings.environments)
    by_project: dict[str, _Candidates] = defaultdict(list)
    # Declarations of one project with the same extras and equal dependencies, e.g. the
    # wheels of one release, are checked once over their joint mask; a problem is
    # reported once for them all, quoting the first one's requirement.  Equal
    # requirements (packaging's equality: same normalized name and extras, same specifiers
    # and marker) get the same answers; the tree loader parses each text once, so equal
    # lists mostly hold the same objects and compare at once.
    groups: dict[tuple[str, tuple[str, ...]], list[_Group]] = defaultdict(list)
    for d in declarations:
        mask = masks.installable(d)
        by_project[d.project].append((d, mask, str(d.version)))
        if mask and d.dependencies:
            _join(groups[d.project, d.extras], d, mask)
    broken: dict[str, _Invalid] = defaultdict(_Invalid)
    for path, project, tags in invalid:
        broken[project].paths.append(path)
        broken[project].mask |= masks.tagged(tags)
    problems: list[Problem] = []

    def report(group: _Group, problem_mask: int, make: Callable[..., Problem],
               index: int, *args: object) -> None:
        hit = [(str(d.path), d, mask & problem_mask) for d, mask in group if mask & problem_mask]
        if not hit:
            return
        _path, d, mask = min(hit, key=lambda h: h[0])
        for _p, _d, m in hit:
            mask |= m
        where = masks.where(mask)
        if len(hit) > 1:
            where += f", in {len(hit)} declarations of {d.project!r}"
        problem = make(d, d.dependencies[index], where, *args)
        problems.append(replace(problem, project=d.project, environments=masks.names(mask)))

    def fold(group: _Group, problem_mask: int, project: str, check: str) -> None:
        lost = broken[project]
        for d, mask in group:
            if mask & problem_mask:
                lost.check = check
                lost.lost |= mask & problem_mask
                lost.dependents.add(d.project)

    for group in chain.from_iterable(groups.values()):
        first = group[0][0]
        mask = 0
        for _d, m in group:
            mask |= m
        for index, req in enumerate(first.dependencies):
            active = mask
            if req.marker is not None:
                true, bad, error = masks.marker(req.marker, first.extras)
                if bad & mask:
                    report(group, bad, _iw405_marker, index, error)
                active &= true
                if not active:
                    continue
            project = masks.project(req)
            candidates = by_project.get(project)
            if not candidates:
                if project in broken:
                    fold(group, active, project, "IW401")
                else:
                    report(group, active, _iw401_missing, index)
                continue
            specifier = str(req.specifier)  # hashing a SpecifierSet costs more
            admitted = masks.admitted(specifier) if specifier else None
            covered = 0
            for t, t_mask, version in candidates:
                common = active & t_mask
                if not common:
                    continue
                covered |= common
                if admitted is not None and not _admits(admitted, req, t, version):
                    report(group, common, _iw402_version, index, t)
                if req.extras and (missing := _missing_extras(req, t)):
                    report(group, common, _iw403_extra, index, t, missing)
            uncovered = active & ~covered
            if uncovered and project in broken and (hidden := uncovered & broken[project].mask):
                fold(group, hidden, project, "IW404")
                uncovered &= ~hidden
            if uncovered:
                report(group, uncovered, _iw404_not_installable, index)
    problems += [lost.problem(project, masks) for project, lost in broken.items() if lost.lost]
    return sorted(problems)

"""Platform-unique, singly versioned: no two declarations of a project install on one machine.

pip picks one wheel per project; if two declarations could both be installed by some
Python on some machine, what a user gets would depend on pip's tag preference (same
version) or on the version pip prefers (two versions), not on the repository.  The check
reasons on the full compressed tag sets (see :mod:`ipwhl_checks._tagspace`), not only on
the supported environments, and on ``requires-python``: a Python that one declaration's
``requires-python`` excludes does not install it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import combinations

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ._tagspace import Pythons, meet
from .declaration import Declaration, Problem
from .settings import DEFAULT_PYTHONS

__all__ = ["CHECKS", "find_collisions"]


def _iw301_one_release(a: Declaration, b: Declaration, witness: str) -> Problem:
    """IW301 one release twice: two wheels of one version install on the same machine.

    What: two declarations of the same version of a project (different builds or tags)
    have tags that some Python on some machine accepts both of, e.g.
    ``x-1.0-py3-none-any`` and ``x-1.0-cp312-cp312-manylinux_2_17_x86_64``, or a
    ``manylinux_2_17`` and a ``manylinux_2_28`` wheel of one architecture (both install on
    glibc 2.28).  Why: which file a user gets would depend on pip's tag preference, not
    on the repository.  Fix: keep one of them, or wheels whose tags do not meet
    (``macosx_11_0_arm64`` and ``macosx_10_9_x86_64`` rather than either and a
    ``universal2``).  The message names a witness: a Python and platform that install both.
    """
    return Problem(str(a.path), f"installable together with {str(b.path)!r} on {witness}",
                   "IW301")


def _iw302_two_versions(a: Declaration, b: Declaration, witness: str) -> Problem:
    """IW302 two versions: two versions of one project install on the same machine.

    What: declarations of two versions of a project are both installable by some Python
    on some machine (the witness in the message).  Why: the repository is singly
    versioned: on every machine it gives one version of each project, so that what it
    promises is what pip installs.  Fix: remove the older declarations, or give them tags
    or a ``requires-python`` that keep them apart (an old release kept for Python 3.8 with
    ``requires-python = '<3.9'`` next to the new one's ``'>=3.9'``).
    """
    return Problem(str(a.path), f"installable together with {str(b.path)!r} on {witness}",
                   "IW302")


CHECKS: dict[str, Callable[..., object]] = {
    "IW301": _iw301_one_release,
    "IW302": _iw302_two_versions,
}
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def _full_versions(specs: Sequence[SpecifierSet], major: int, minor: int) -> list[Version]:
    """Versions ``major.minor.*`` that decide whether *specs* all admit that minor."""
    patches = {0}
    for spec in specs:
        for s in spec:
            m = _VERSION.match(s.version)
            if m and int(m[1]) == major and m[2] and int(m[2]) == minor and m[3]:
                patches |= {int(m[3]), int(m[3]) + 1}
    return [Version(f"{major}.{minor}.{p}") for p in sorted(patches)]


def _common_minor(py: Pythons, specs: Sequence[SpecifierSet], prefer: Sequence[int]) -> int | None:
    """A minor version in *py* that every ``requires-python`` in *specs* admits, preferring
    *prefer*; None if there is none."""
    if py.high is not None:
        top = py.high
    else:  # past the last minor the specifiers name, every minor behaves alike
        named: list[int] = [int(m[2]) for spec in specs for s in spec
                 if (m := _VERSION.match(s.version)) and int(m[1]) == py.major and m[2]]
        top = max([py.low, *named]) + 1
    liked = [n for n in prefer if n >= py.low and (py.high is None or n <= py.high)]
    candidates: list[int] = [*liked, *range(py.low, top + 1)]
    for minor in candidates:
        if not specs or any(all(spec.contains(v, prereleases=True) for spec in specs)
                            for v in _full_versions(specs, py.major, minor)):
            return minor
    return None


def _witness(a: Declaration, b: Declaration, prefer: dict[int, list[int]]) -> str | None:
    """A Python and platform that install both *a* and *b* (``cp312-win_amd64``), or None."""
    specs = [s for s in (a.requires_python, b.requires_python) if s is not None]
    for x in sorted(a.tags, key=str):
        for y in sorted(b.tags, key=str):
            found = meet(x, y)
            if found is None:
                continue
            py, where = found
            minor = _common_minor(py, specs, prefer.get(py.major, []))
            if minor is not None:
                return f"{py.name(minor)}-{where[0].name}"
    return None


def find_collisions(declarations: Iterable[Declaration], *,
                    pythons: Sequence[str] = DEFAULT_PYTHONS) -> list[Problem]:
    """One problem per pair of declarations of a project that install on one machine.

    The problem is reported on the pair's first path (in sorted order) and names the
    other file and a witness, preferring the Python versions in *pythons*:
    ``a.toml: installable together with 'b.toml' on cp312-manylinux_2_28_x86_64``.
    """
    prefer: dict[int, list[int]] = defaultdict(list)
    for version in pythons:
        major, minor = version.split(".")[:2]
        prefer[int(major)].append(int(minor))
    by_project: dict[str, list[Declaration]] = defaultdict(list)
    for declaration in declarations:
        by_project[declaration.project].append(declaration)
    problems = []
    for group in by_project.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda d: str(d.path))
        for a, b in combinations(group, 2):
            witness = _witness(a, b, prefer)
            if witness is not None:
                check = _iw301_one_release if a.version == b.version else _iw302_two_versions
                problems.append(check(a, b, witness))
    return sorted(problems)

"""Platform-unique, singly versioned: no two declarations of a project install on one machine.

pip picks one wheel per project; if two declarations could both be installed by some
Python on some machine, what a user gets would depend on pip's tag preference (same
version) or on the version pip prefers (two versions), not on the repository.  The check
reasons on the full compressed tag sets (see :mod:`ipwhl_checks.checks._tagspace`), not only on
the supported environments, and on ``requires-python``: a Python that one declaration's
``requires-python`` excludes does not install it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import combinations

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.version import Version

from ..repo.declaration import Declaration, Problem
from ..repo.settings import DEFAULT_PYTHONS
from ._tagspace import Pythons, meet

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
                   "IW301", a.project, (witness,))


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
                   "IW302", a.project, (witness,))


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


class _Witnesses:
    """Find witnesses, caching what pairs of a large tree share (tag orders, specifiers)."""

    def __init__(self, pythons: Sequence[str]) -> None:
        self.prefer: dict[int, list[int]] = defaultdict(list)
        for version in pythons:
            major, minor = version.split(".")[:2]
            self.prefer[int(major)].append(int(minor))
        self._ids: dict[frozenset[Tag], int] = {}
        self._sets: list[list[Tag]] = []
        self._pairs: dict[tuple[int, int], list[tuple[Pythons, str]]] = {}
        self._minors: dict[tuple[Pythons, frozenset[SpecifierSet]], int | None] = {}

    def intern(self, tags: frozenset[Tag]) -> int:
        """A small number standing for the tag set *tags*."""
        found = self._ids.get(tags)
        if found is None:
            found = self._ids[tags] = len(self._sets)
            self._sets.append(sorted(tags, key=str))
        return found

    def _meets(self, a: int, b: int) -> list[tuple[Pythons, str]]:
        """Where tag sets *a* and *b* meet: (Pythons, machine name) in a stable order."""
        found = self._pairs.get((a, b))
        if found is None:
            found = self._pairs[a, b] = [
                (met[0], met[1][0].name) for x in self._sets[a] for y in self._sets[b]
                if (met := meet(x, y)) is not None]
        return found

    def _minor(self, py: Pythons, specs: list[SpecifierSet]) -> int | None:
        # Keyed by value: a SpecifierSet hashes and compares by its specifiers, cheaply.
        key = (py, frozenset(specs))
        if key not in self._minors:
            self._minors[key] = _common_minor(py, specs, self.prefer.get(py.major, []))
        return self._minors[key]

    def find(self, a: Declaration, a_tags: int, b: Declaration, b_tags: int) -> str | None:
        """A Python and platform that install both *a* and *b* (``cp312-win_amd64``)."""
        for py, machine in self._meets(a_tags, b_tags):
            specs = [s for s in (a.requires_python, b.requires_python) if s is not None]
            minor = self._minor(py, specs)
            if minor is not None:
                return f"{py.name(minor)}-{machine}"
        return None


def find_collisions(declarations: Iterable[Declaration], *,
                    pythons: Sequence[str] = DEFAULT_PYTHONS) -> list[Problem]:
    """One problem per pair of declarations of a project that install on one machine.

    The problem is reported on the pair's first path (in sorted order) and names the
    other file and a witness, preferring the Python versions in *pythons*:
    ``a.toml: installable together with 'b.toml' on cp312-manylinux_2_28_x86_64``.
    """
    witnesses = _Witnesses(pythons)
    by_project: dict[str, list[Declaration]] = defaultdict(list)
    for declaration in declarations:
        by_project[declaration.project].append(declaration)
    problems = []
    for group in by_project.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda d: str(d.path))
        interned = [(d, witnesses.intern(d.tags)) for d in group]
        for (a, a_tags), (b, b_tags) in combinations(interned, 2):
            witness = witnesses.find(a, a_tags, b, b_tags)
            if witness is not None:
                check = _iw301_one_release if a.version == b.version else _iw302_two_versions
                problems.append(check(a, b, witness))
    return sorted(problems)

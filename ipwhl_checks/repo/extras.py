"""Curated extras: which of a wheel's requirements a declaration keeps.

A declaration's ``extras`` is the subset of the wheel's ``Provides-Extra`` that the
repository supports (the extras some requirement in the tree asks for, or that the
contributor chose), not necessarily all of them: a wheel's ``test`` or ``docs`` extra
drags in a whole tool chain that a repository of wheels often cannot hold.  Its
``dependencies`` are then the wheel's ``Requires-Dist`` restricted to the requirements
whose marker names no extra, or names at least one declared extra::

    Provides-Extra: socks                      extras = ['socks']
    Provides-Extra: use-chardet-on-py3         dependencies = [
    Requires-Dist: idna<4,>=2.5                    'idna<4,>=2.5',
    Requires-Dist: PySocks...; extra == "socks"    'PySocks...; extra == "socks"',
    Requires-Dist: chardet...; extra == "use-chardet-on-py3"  ]

``ipwhl add`` writes declarations with :func:`requirements_for_extras`, the online check
(IW506) compares with it, and the schema check (IW108) uses :func:`marker_extras` to
refuse a dependency that only an undeclared extra asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

__all__ = ["marker_extras", "requirements_for_extras"]


def marker_extras(marker: Marker | None) -> tuple[str, ...]:
    """The names a marker compares ``extra`` with, as written, in order (PEP 508)."""
    if marker is None:
        return ()
    return tuple(_compared(marker._markers))  # packaging's parsed (Variable, Op, Value) tuples


def _compared(markers: object) -> Iterator[str]:
    if isinstance(markers, list):
        for item in markers:
            yield from _compared(item)
    elif isinstance(markers, tuple) and len(markers) == 3:
        left, _op, right = markers
        if str(getattr(left, "value", "")) == "extra" and type(left).__name__ == "Variable":
            yield str(right.value)
        elif str(getattr(right, "value", "")) == "extra" and type(right).__name__ == "Variable":
            yield str(left.value)


def requirements_for_extras(requirements: Iterable[Requirement],
                            extras: Iterable[str]) -> tuple[Requirement, ...]:
    """The *requirements* that apply for no extra or one of *extras*, in their order.

    A requirement is kept when its marker names no extra, or names one of *extras*
    (compared normalized, PEP 685): ``x; extra == "a" or extra == "b"`` is kept for ``a``.
    """
    wanted = {canonicalize_name(e) for e in extras}
    kept = []
    for requirement in requirements:
        named = marker_extras(requirement.marker)
        if not named or any(canonicalize_name(e) in wanted for e in named):
            kept.append(requirement)
    return tuple(kept)

"""Where a wheel tag installs: the Pythons and the machines it is compatible with.

PEP 425 splits a tag into three independent parts, so the set of (Python, machine) pairs
that install a tag is a product: :class:`Pythons` (from the interpreter and ABI parts)
times a union of :class:`Machines` (from the platform part).  Two tags install together
somewhere exactly when both factors meet.  The sets below are the inverse of what
``packaging.tags`` enumerates for one interpreter on one machine (``cpython_tags``,
``compatible_tags``, ``mac_platforms``, PEP 600 and PEP 656 ``_linux_platforms``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from packaging.tags import Tag

__all__ = ["ANY_MACHINE", "Machines", "Pythons", "machines", "meet", "pythons"]

_INTERPRETER = re.compile(r"([a-z]+)(\d)(\d*)")
_CPYTHON_ABI = re.compile(r"cp(\d)(\d+)([a-z]*)")
_GLIBC = re.compile(r"manylinux_(\d+)_(\d+)_(\w+)")
_MUSL = re.compile(r"musllinux_(\d+)_(\d+)_(\w+)")
_MACOS = re.compile(r"macosx_(\d+)_(\d+)_(\w+)")
# PEP 600: the legacy manylinux names are aliases of these glibc versions.
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
# packaging.tags._mac_binary_formats, inverted: the machine architectures each macOS
# binary format runs on (universal2 = arm64 + x86_64; intel = i386 + x86_64; ...).
_MAC_FORMATS = {
    "universal2": ("x86_64", "arm64"),
    "universal": ("x86_64", "i386", "ppc64", "ppc"),
    "intel": ("x86_64", "i386"),
    "fat64": ("x86_64", "ppc64"),
    "fat3": ("x86_64", "i386", "ppc"),
    "fat32": ("x86_64", "i386", "ppc"),
    "fat": ("i386", "ppc"),
}
_FIRST_ARM_MAC = (11, 0)  # Apple silicon machines run macOS 11 or later


@dataclass(frozen=True)
class Pythons:
    """Interpreters ``impl`` ``major.low`` .. ``major.high`` (None: no upper bound).

    ``flavor`` is the ABI flag string an interpreter must have ("" for a default build,
    "t" free-threaded, "d" debug, or a whole ABI like ``pypy310_pp73``), None for any;
    ``excluded`` is a flag string it must not have (``abi3`` is not for "t" builds).
    """

    impl: str | None  # "cp", "pp", ...; None: every implementation
    major: int
    low: int
    high: int | None
    flavor: str | None = None
    excluded: str | None = None

    def __and__(self, other: Pythons) -> Pythons | None:
        if self.impl and other.impl and self.impl != other.impl:
            return None
        if self.major != other.major:
            return None
        low = max(self.low, other.low)
        highs = [h for h in (self.high, other.high) if h is not None]
        high = min(highs) if highs else None
        if high is not None and low > high:
            return None
        if self.flavor is not None and other.flavor is not None and self.flavor != other.flavor:
            return None
        flavor = self.flavor if self.flavor is not None else other.flavor
        excluded = self.excluded or other.excluded
        if flavor is not None and flavor == excluded:
            return None
        return Pythons(self.impl or other.impl, self.major, low, high, flavor, excluded)

    def name(self, minor: int) -> str:
        """The interpreter tag of the one Python ``major.minor`` here (``cp312``, ``cp313t``)."""
        impl = self.impl or "cp"
        flags = self.flavor if impl == "cp" and self.flavor else ""
        return f"{impl}{self.major}{minor}{flags}"


@dataclass(frozen=True)
class Machines:
    """Machines of one ``family`` and ``arch`` whose OS version is at least ``low``.

    Families: "glibc" (manylinux), "musl" (musllinux), "macos", "*" (the ``any``
    platform: every machine), or any other platform tag taken literally (``win_amd64``).
    """

    family: str
    arch: str = ""
    low: tuple[int, int] = (0, 0)

    def __and__(self, other: Machines) -> Machines | None:
        if self.family == "*":
            return other
        if other.family == "*":
            return self
        if (self.family, self.arch) != (other.family, other.arch):
            return None
        return Machines(self.family, self.arch, max(self.low, other.low))

    @property
    def name(self) -> str:
        """The platform tag naming the oldest machine here (``manylinux_2_28_x86_64``)."""
        major, minor = self.low
        if self.family == "*":
            return "any"
        if self.family in {"glibc", "musl"} and self.low == (0, 0):
            return f"linux_{self.arch}"
        if self.family == "glibc":
            return f"manylinux_{major}_{minor}_{self.arch}"
        if self.family == "musl":
            return f"musllinux_{major}_{minor}_{self.arch}"
        if self.family == "macos":
            return f"macosx_{major}_{minor}_{self.arch}"
        return self.family


ANY_MACHINE = Machines("*")


@cache
def pythons(interpreter: str, abi: str) -> Pythons:
    """The Pythons that install the interpreter and ABI parts of a tag."""
    m = _INTERPRETER.fullmatch(interpreter)
    if not m:  # an interpreter tag we cannot read installs only on itself
        return Pythons(interpreter, -1, 0, 0, abi)
    impl: str | None = None if m[1] == "py" else m[1]
    major, minor = int(m[2]), int(m[3]) if m[3] else 0
    if abi == "none":
        # packaging.tags.compatible_tags: Python X.Y installs pyXY, pyX and pyXy (y < Y);
        # a specific interpreter (cp312, pp310) installs only on that version.
        if impl is None:
            return Pythons(None, major, minor, None)
        return Pythons(impl, major, minor, minor if m[3] else None)
    if abi == "abi3":  # PEP 384: the stable ABI of CPython >= the tag's version, not "t"
        return Pythons("cp", major, minor, None, excluded="t")
    if abi == "abi3t":  # PEP 803: the free-threaded stable ABI
        return Pythons("cp", major, minor, None, flavor="t")
    if (c := _CPYTHON_ABI.fullmatch(abi)) and impl in {None, "cp"}:
        # PEP 3149 flags; "m" (pymalloc) was the default build before 3.8.
        return Pythons("cp", major, minor, minor, c[3].replace("m", ""))
    return Pythons(impl, major, minor, minor, abi)


@cache
def machines(platform: str) -> tuple[Machines, ...]:
    """The machines that install the platform part of a tag."""
    if platform == "any":
        return (ANY_MACHINE,)
    arch = platform.split("_", 1)[1] if "_" in platform else ""
    for legacy, glibc in _LEGACY.items():
        if platform.startswith(legacy + "_"):
            return (Machines("glibc", platform[len(legacy) + 1:], glibc),)
    if m := _GLIBC.fullmatch(platform):  # PEP 600: glibc >= X.Y on that architecture
        return (Machines("glibc", m[3], (int(m[1]), int(m[2]))),)
    if m := _MUSL.fullmatch(platform):  # PEP 656: musl >= X.Y
        return (Machines("musl", m[3], (int(m[1]), int(m[2]))),)
    if platform.startswith("linux_"):  # installs on any Linux of that architecture
        return (Machines("glibc", arch), Machines("musl", arch))
    if m := _MACOS.fullmatch(platform):
        low = (int(m[1]), int(m[2]))
        return tuple(
            Machines("macos", a, max(low, _FIRST_ARM_MAC) if a == "arm64" else low)
            for a in _MAC_FORMATS.get(m[3], (m[3],))
        )
    return (Machines(platform),)


@lru_cache(maxsize=1 << 16)
def meet(a: Tag, b: Tag) -> tuple[Pythons, tuple[Machines, ...]] | None:
    """Where tags *a* and *b* both install: the common Pythons and machines, or None."""
    # packaging.tags: an ``any`` platform comes only with the ``none`` ABI (compatible_tags);
    # cp311-cp311-any or cp38-abi3-any install nowhere.
    if (a.platform == "any" and a.abi != "none") or (b.platform == "any" and b.abi != "none"):
        return None
    common = pythons(a.interpreter, a.abi) & pythons(b.interpreter, b.abi)
    if common is None:
        return None
    where = tuple(
        m for x in machines(a.platform) for y in machines(b.platform) if (m := x & y)
    )
    return (common, where) if where else None

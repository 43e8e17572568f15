"""Repository settings: the IPFS import profile and the environments the repository supports.

The settings live in one TOML file, ``data/repository.toml``::

    profile = 'unixfs-v1-2025'          # or 'unixfs-v0-2015' (original IPWHL trees, Qm... CIDs)
    python = ['3.11', '3.12', '3.13', '3.14']
    platforms = ['manylinux_2_28_x86_64', 'macosx_14_0_arm64', 'win_amd64']
    max-wheel-size = '100 MiB'          # optional: the largest wheel the repository accepts

The supported environments are every (CPython version, platform) pair of the two lists.
A platform names one concrete kind of machine, the newest tag it installs: a glibc
2.28 x86_64 Linux (``manylinux_2_28_x86_64``) also installs ``manylinux_2_17`` and
``manylinux2014`` wheels; a macOS 14 arm64 machine installs ``macosx_11_0_arm64`` and
``universal2`` wheels.  A tree without the file is an original IPWHL tree: profile
``unixfs-v0-2015`` and :data:`DEFAULT_PYTHONS` x :data:`DEFAULT_PLATFORMS`.

``max-wheel-size`` is a number of bytes, or a string of a whole number and a unit (``B``,
``kB``, ``MB``, ``GB`` in powers of 1000, ``KiB``, ``MiB``, ``GiB`` in powers of 1024);
without it any size is accepted.  ``ipwhl add`` passes over larger wheels, the online
check reports one (IW508) and ``ipwhl publish`` refuses it.

The values are bounded, so that what the checks derive from them stays small (the tags
of a platform are enumerated down from its version): a Python ``3.N`` or ``3.N.P`` with
N and P below 100; ``manylinux_2_Y``, ``musllinux_1_Y`` and ``macosx_X_Y`` with one-digit
libc majors, X from 10 to 99 and Y below 100; an architecture of at most 32 ASCII
characters; at most 32 Pythons and 32 platforms; a ``max-wheel-size`` from 1 byte to
1 TiB; a file of at most 64 KiB.  Anything else is one :class:`SettingsError` line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms

from ..errors import SettingsError
from ..util import toml
from ..util.regular import read_regular

__all__ = [
    "DEFAULT_PLATFORMS",
    "DEFAULT_PYTHONS",
    "MAX_PLATFORMS",
    "MAX_PYTHONS",
    "MAX_SETTINGS_SIZE",
    "PROFILES",
    "SETTINGS_FILE",
    "Environment",
    "Settings",
    "discover_profile",
    "format_size",
    "load_settings",
    "parse_settings",
    "platform_tags",
]

SETTINGS_FILE = "repository.toml"
PROFILES = ("unixfs-v0-2015", "unixfs-v1-2025")
DEFAULT_PYTHONS = ("3.11", "3.12", "3.13", "3.14")
DEFAULT_PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_28_aarch64",
    "macosx_14_0_arm64",
    "macosx_14_0_x86_64",
    "win_amd64",
)

# Bounded numbers without leading zeros, ASCII only (re.ASCII: \d would match any
# Unicode digit, which int() reads).
_ARCH = r"([a-z][a-z0-9_]{0,31})"
_MINOR = r"(0|[1-9][0-9]?)"
_MANYLINUX = re.compile(rf"manylinux_([1-9])_{_MINOR}_{_ARCH}", re.ASCII)
_MUSLLINUX = re.compile(rf"musllinux_([1-9])_{_MINOR}_{_ARCH}", re.ASCII)
_MACOS = re.compile(rf"macosx_([1-9][0-9])_{_MINOR}_{_ARCH}", re.ASCII)
_PYTHON = re.compile(rf"(3)\.{_MINOR}(?:\.{_MINOR})?", re.ASCII)
MAX_PYTHONS = MAX_PLATFORMS = 32
MAX_SETTINGS_SIZE = 64 << 10
# PEP 600: the legacy manylinux names are aliases of these glibc versions.
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
_WINDOWS = {"win_amd64": "AMD64", "win32": "x86", "win_arm64": "ARM64"}
_SIZE = re.compile(r"([0-9]{1,16}) ?(B|kB|MB|GB|KiB|MiB|GiB)", re.ASCII)
_UNITS = {"B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "KiB": 1 << 10, "MiB": 1 << 20,
          "GiB": 1 << 30}


def platform_tags(platform: str) -> list[str]:
    """Every platform tag a machine of kind *platform* installs, most preferred first."""
    if m := _MANYLINUX.fullmatch(platform):
        major, minor, arch = int(m[1]), int(m[2]), m[3]
        # PEP 600: glibc 2.x installs every manylinux_2_y with y <= x; x86 wheels go back
        # to manylinux1 (glibc 2.5), other architectures start at manylinux2014 (2.17).
        lowest = 5 if arch in {"x86_64", "i686"} else 17
        tags = []
        for y in range(minor, lowest - 1, -1):
            tags.append(f"manylinux_{major}_{y}_{arch}")
            if (major, y) in _LEGACY_MANYLINUX:
                tags.append(f"{_LEGACY_MANYLINUX[major, y]}_{arch}")
        return tags
    if m := _MUSLLINUX.fullmatch(platform):
        major, minor, arch = int(m[1]), int(m[2]), m[3]
        return [f"musllinux_{major}_{y}_{arch}" for y in range(minor, -1, -1)]
    if m := _MACOS.fullmatch(platform):
        return list(mac_platforms((int(m[1]), int(m[2])), m[3]))
    if platform in _WINDOWS:
        return [platform]
    raise SettingsError(
        f"unknown platform {_shown(platform)} (expected manylinux_X_Y_ARCH, "
        "musllinux_X_Y_ARCH, macosx_X_Y_ARCH with X and Y below 100, win_amd64, win32 or "
        "win_arm64)"
    )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 100 else f"{text[:100]}... ({len(text)} characters)"


def _machine(platform: str) -> tuple[str, str, str, str]:
    """(sys_platform, platform_system, os_name, platform_machine) of *platform*."""
    if platform in _WINDOWS:
        return "win32", "Windows", "nt", _WINDOWS[platform]
    arch = platform.split("_", 3)[-1]
    if platform.startswith("macosx_"):
        return "darwin", "Darwin", "posix", arch
    return "linux", "Linux", "posix", arch


@dataclass(frozen=True)
class Environment:
    """One supported (CPython version, platform) pair, e.g. ``cp312-manylinux_2_28_x86_64``."""

    python: str  # "3.12", or a full version "3.12.4"
    platform: str

    @property
    def python_version(self) -> tuple[int, int]:
        major, minor = self.python.split(".")[:2]
        return int(major), int(minor)

    @property
    def name(self) -> str:
        major, minor = self.python_version
        return f"cp{major}{minor}-{self.platform}"

    def __str__(self) -> str:
        return self.name

    @cached_property
    def platform_tags(self) -> list[str]:
        return platform_tags(self.platform)

    @cached_property
    def tags(self) -> list[Tag]:
        """The tags CPython on this platform installs, in pip's order of preference."""
        ordered = list(cpython_tags(self.python_version, platforms=self.platform_tags))
        ordered += compatible_tags(self.python_version, "cp" + "".join(
            map(str, self.python_version)), self.platform_tags)
        return list(dict.fromkeys(ordered))

    @cached_property
    def _rank(self) -> dict[Tag, int]:
        return {tag: i for i, tag in enumerate(self.tags)}

    def rank(self, tags: frozenset[Tag]) -> int | None:
        """pip's preference for a wheel with *tags* here (lower is better).

        None when no tag of the wheel installs here.
        """
        ranks = [self._rank[t] for t in tags if t in self._rank]
        return min(ranks) if ranks else None

    def supports(self, tags: frozenset[Tag]) -> bool:
        return self.rank(tags) is not None

    def installs(self, tags: frozenset[Tag], requires_python: SpecifierSet | None) -> bool:
        """Whether a wheel with *tags* and *requires_python* installs here, as pip decides."""
        return self.supports(tags) and (requires_python is None or requires_python.contains(
            self.markers["python_full_version"], prereleases=True))

    @cached_property
    def markers(self) -> dict[str, str]:
        """The PEP 508 marker environment of this (python, platform), for ``Marker.evaluate``."""
        sys_platform, system, os_name, machine = _machine(self.platform)
        full = self.python if self.python.count(".") == 2 else self.python + ".0"
        return {
            "implementation_name": "cpython",
            "implementation_version": full,
            "os_name": os_name,
            "platform_machine": machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": system,
            "platform_version": "",
            "python_full_version": full,
            "python_version": ".".join(self.python.split(".")[:2]),
            "sys_platform": sys_platform,
        }


@dataclass(frozen=True)
class Settings:
    """What ``data/repository.toml`` says; :func:`load_settings` reads it."""

    profile: str = "unixfs-v0-2015"
    pythons: tuple[str, ...] = DEFAULT_PYTHONS
    platforms: tuple[str, ...] = DEFAULT_PLATFORMS
    path: Path | None = field(default=None, compare=False)
    max_wheel_size: int | None = None  # bytes; None: any size

    def over_limit(self, size: int | None) -> bool:
        """Whether a wheel of *size* bytes is larger than the repository accepts."""
        return self.max_wheel_size is not None and size is not None \
            and size > self.max_wheel_size

    @cached_property
    def environments(self) -> tuple[Environment, ...]:
        return tuple(Environment(py, plat) for py in self.pythons for plat in self.platforms)

    def environment(self, name: str) -> Environment:
        """The supported environment called *name* (``cp312-win_amd64``)."""
        for env in self.environments:
            if env.name == name:
                return env
        known = ", ".join(e.name for e in self.environments)
        raise SettingsError(f"unknown environment {name!r} (expected one of: {known})")


def _strings(data: dict[str, object], key: str, default: Sequence[str],
             where: str, most: int) -> tuple[str, ...]:
    value = data.get(key, list(default))
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{where}: {key!r} must be a non-empty list of strings")
    if len(value) > most:
        raise SettingsError(f"{where}: {key!r} lists {len(value)} values, more than {most}")
    if len(set(value)) != len(value):
        raise SettingsError(f"{where}: {key!r} lists a value twice")
    return tuple(value)


def load_settings(root: Path) -> Settings:
    """Read ``<root>/repository.toml``; an original IPWHL tree without it gets the defaults."""
    path = Path(root) / SETTINGS_FILE
    try:
        content = read_regular(path, follow_symlinks=False)
    except FileNotFoundError:
        return Settings(path=None)
    except OSError as e:
        raise SettingsError(f"{path}: cannot read settings ({e.strerror or e})") from e
    return parse_settings(content, path)


def parse_settings(content: bytes, path: Path) -> Settings:
    """The settings file *path*'s bytes *content*, checked."""
    if len(content) > MAX_SETTINGS_SIZE:
        raise SettingsError(f"{path}: cannot read settings ({len(content)} bytes, more than "
                            f"{MAX_SETTINGS_SIZE})")
    try:
        data = toml.loads(content.decode("utf-8"))
    except (toml.TomlError, UnicodeDecodeError) as e:
        raise SettingsError(f"{path}: cannot read settings ({e})") from None
    unknown = sorted(set(data) - {"profile", "python", "platforms", "max-wheel-size"})
    if unknown:
        raise SettingsError(f"{path}: unknown key {_shown(unknown[0])} (expected profile, "
                            "python, platforms, max-wheel-size)")
    profile = data.get("profile", "unixfs-v1-2025")
    if profile not in PROFILES:
        raise SettingsError(
            f"{path}: unknown profile {_shown(profile)} (expected {' or '.join(PROFILES)})")
    pythons = _strings(data, "python", DEFAULT_PYTHONS, str(path), MAX_PYTHONS)
    for py in pythons:
        if not _PYTHON.fullmatch(py):
            raise SettingsError(f"{path}: python {_shown(py)} is not a CPython version like "
                                "'3.12' (3.N or 3.N.P, N and P below 100)")
    platforms = _strings(data, "platforms", DEFAULT_PLATFORMS, str(path), MAX_PLATFORMS)
    for plat in platforms:
        try:
            platform_tags(plat)
        except SettingsError as e:
            raise SettingsError(f"{path}: {e}") from None
    return Settings(profile=profile, pythons=pythons, platforms=platforms, path=path,
                    max_wheel_size=_max_wheel_size(data.get("max-wheel-size"), path))


def _max_wheel_size(value: object, path: Path) -> int | None:
    """``max-wheel-size``: bytes (an integer, or a whole number and a unit), or None."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str) and (m := _SIZE.fullmatch(value)):
        size = int(m[1]) * _UNITS[m[2]]
    else:
        raise SettingsError(f"{path}: max-wheel-size {str(value)[:40]!r} is not a size "
                            "(expected bytes, or a whole number and a unit like '100 MiB')")
    if not 0 < size <= 1 << 40:
        raise SettingsError(f"{path}: max-wheel-size {value!r} is not between 1 byte and "
                            "1 TiB")
    return size


def format_size(size: int) -> str:
    """*size* bytes for people: ``100 MiB`` when exact in a binary unit, else ``104.9 MB``."""
    for unit in ("GiB", "MiB", "KiB"):
        if size >= _UNITS[unit] and size % _UNITS[unit] == 0:
            return f"{size // _UNITS[unit]} {unit}"
    for unit in ("GB", "MB", "kB"):
        if size >= _UNITS[unit]:
            return f"{size / _UNITS[unit]:.1f} {unit}"
    return f"{size} B"


def _candidates(start: Path) -> Iterator[Path]:
    for directory in [start, *start.parents]:
        yield directory / "data" / SETTINGS_FILE
        yield directory / SETTINGS_FILE


def discover_profile(start: Path | None = None) -> str | None:
    """The profile of the data repository that *start* (default: cwd) lies in, if any."""
    start = (start or Path.cwd()).resolve()
    for candidate in _candidates(start):
        if candidate.is_file():
            return load_settings(candidate.parent).profile
    return None

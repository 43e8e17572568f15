"""Where a declaration lives in the data tree, and the checks of that layout (IW2xx).

A declaration of the wheel ``<wheel-stem>.whl`` is ``<root>/<prefix>/<project>/<wheel-stem>.toml``
(the layout of the original IPWHL tooling, so its data trees can be checked as they are):

* ``<project>`` is the PEP 503 normalized project name;
* ``<prefix>`` is two lowercase hex digits of the sum of the code points of ``<project>``,
  modulo 256, which spreads the projects over at most 256 directories;
* ``<wheel-stem>`` is the wheel's file name without ``.whl`` (PEP 427), whose name part
  normalizes to ``<project>``.

The only other files allowed under the root are the settings file (``repository.toml``) and
the integration file (``integration.toml``, :mod:`ipwhl_checks.repo.integration`).

This module is also the one home of what a project name and a wheel file name are
(:func:`check_project_name`, :func:`parse_wheel_name`): names come from curators, from
indexes and from wheels, and every reader of one goes through these two.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePath

from packaging.tags import Tag
from packaging.utils import (
    BuildTag,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

from ..errors import DeclarationError
from .integration import INTEGRATION_FILE
from .settings import SETTINGS_FILE

__all__ = [
    "CHECKS",
    "MAX_TAGS",
    "SUFFIX",
    "Location",
    "check_project_name",
    "declaration_path",
    "locate",
    "parse_wheel_name",
    "prefix",
]

SUFFIX = ".toml"
_OTHER_FILES = ((SETTINGS_FILE,), (INTEGRATION_FILE,))  # the root's files

# Core metadata spec, "Name" (and PEP 508's names): ASCII letters and digits, with '.', '-'
# and '_' inside.  re.ASCII: without it, IGNORECASE lets [A-Z] match the long s (U+017F) and
# the Kelvin sign (U+212A).
_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)
# A file name's compressed tag set (PEP 425) expands to the product of its parts' lengths;
# real wheels have a few tags (py2.py3, two manylinux aliases, a handful of macOS ones).
MAX_TAGS = 1024


def check_project_name(name: str) -> str | None:
    """Why *name* is not a valid project name (None when it is one).

    Core metadata spec: ASCII letters, digits, ``.``, ``-`` and ``_``, beginning and ending
    with a letter or digit.  Anything else (``café``, or ``requests`` spelt with a Cyrillic
    ``U+0435``, which looks the same) cannot be named by a requirement, so no installer
    would ever ask for it.
    """
    if _NAME.fullmatch(name):
        return None
    shown = ascii(name) if len(name) <= 100 else f"{name[:100]!a}... ({len(name)} characters)"
    return (f"{shown} is not a valid project name (ASCII letters, digits, '.', '-' and "
            "'_', beginning and ending with a letter or digit)")


def parse_wheel_name(filename: str) -> tuple[NormalizedName, Version, BuildTag, frozenset[Tag]]:
    """``packaging.utils.parse_wheel_filename``, stricter: PEP 427 names the distribution by
    its project name (escaped: runs of ``-_.`` as ``_``), so the name part must be a valid
    ASCII project name, and the compressed tag set may expand to :data:`MAX_TAGS` tags at
    most.  Raises :class:`InvalidWheelFilename` only (also for a version number too long
    for ``int()``, which packaging reports as a plain ValueError)."""
    parts = filename.removesuffix(".whl").split("-")
    if len(parts) in (5, 6):  # PEP 425: the product of the three parts' dotted lists
        count = math.prod(len(part.split(".")) for part in parts[-3:])
        if count > MAX_TAGS:
            raise InvalidWheelFilename(f"Invalid wheel filename (its tags expand to {count}, "
                                       f"more than {MAX_TAGS}): {_shown(filename)}")
    try:
        parsed = parse_wheel_filename(filename)
    except InvalidWheelFilename as e:
        raise InvalidWheelFilename(_shortened(str(e), filename)) from None
    except ValueError as e:  # int(): "Exceeds the limit (4300 digits) ..."
        raise InvalidWheelFilename(f"Invalid wheel filename (invalid version, {e}): "
                                   f"{_shown(filename)}") from None
    if why := check_project_name(parts[0]):
        raise InvalidWheelFilename(f"Invalid wheel filename ({why}): {_shown(filename)}")
    return parsed


def _shortened(message: str, filename: str) -> str:
    """packaging's *message* about *filename*, kept to one short line: a long one is its
    reason and the file name cut (packaging quotes the whole name, or its stem)."""
    if len(message) <= 300:
        return message
    return f"{message.split(': ', 1)[0][:100]}: {_shown(filename)}"


def _shown(text: str, limit: int = 200) -> str:
    """*text* quoted, cut to about *limit* characters."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def prefix(project: str) -> str:
    """The prefix directory of a normalized *project* name: ``prefix('requests') == '6c'``."""
    return f"{sum(map(ord, project)) % 256:02x}"


def declaration_path(root: Path, wheel_filename: str) -> Path:
    """Where the declaration of the wheel *wheel_filename* lives under *root*."""
    try:
        name, _version, _build, _tags = parse_wheel_name(wheel_filename)
    except InvalidWheelFilename as e:
        raise DeclarationError(f"not a wheel file name ({e}): {_shown(wheel_filename)}") \
            from e
    stem = wheel_filename[: -len(".whl")]
    return Path(root) / prefix(name) / name / f"{stem}{SUFFIX}"


@dataclass(frozen=True)
class Location:
    """What a declaration's place in the tree says about its wheel."""

    filename: str  # "<wheel-stem>.whl"
    project: NormalizedName
    version: Version
    tags: frozenset[Tag]


# --- the checks: each yields the problems (messages) of one kind -------------------------

Problems = list[tuple[str, str]]  # (check id, message)
_Parsed = tuple[NormalizedName, Version, frozenset[Tag]]


def _iw201_stray_file(parts: tuple[str, ...]) -> Problems:
    """IW201 stray file: a file under the data root that is not a declaration.

    Why: everything under ``data/`` is published or checked; a stray file is either a
    declaration in the wrong place (and so silently ignored) or something that does not
    belong in the tree.  Fix: move it to ``<prefix>/<project>/<wheel-stem>.toml`` (see
    ``ipwhl_checks.repo.layout``) or delete it.
    """
    if parts in _OTHER_FILES:
        return []
    if len(parts) != 3 or not parts[2].endswith(SUFFIX):
        return [("IW201", "stray file: not a declaration "
                 "(expected <prefix>/<project>/<wheel-stem>.toml or repository.toml)")]
    return []


def _iw202_wheel_name(stem: str) -> tuple[Problems, _Parsed | None]:
    """IW202 bad wheel name: the file name is not a wheel file name with ``.toml`` for ``.whl``.

    Why: the file name is the wheel's name in the published index; pip picks wheels by the
    name, version and tags in it (PEP 427).  Its name part is a project name: ASCII
    letters, digits and ``._`` (``café-1.0-py3-none-any`` names no installable project).
    A compressed tag set that expands to more than 1024 tags is refused too.
    Fix: name the file after the wheel exactly,
    e.g. ``requests-2.32.3-py3-none-any.toml`` for ``requests-2.32.3-py3-none-any.whl``.
    """
    try:
        name, version, _build, tags = parse_wheel_name(stem + ".whl")
    except InvalidWheelFilename as e:
        return [("IW202", f"not named <wheel-stem>.toml after a wheel: {e}")], None
    return [], (name, version, tags)


def _iw203_project_dir(project_dir: str) -> Problems:
    """IW203 unnormalized project directory: the project directory is not a PEP 503 name.

    Why: tools find a project's declarations by its normalized name; ``Foo_Bar`` and
    ``foo-bar`` would be two directories for one project.  A name outside ASCII letters,
    digits and ``.-_`` (``café``, or ``requests`` spelt with a Cyrillic ``U+0435``, which
    looks the same) is no project name at all: no requirement can name it, and a look-alike
    only misleads.  Fix: rename the directory to the normalized name (lowercase, runs of
    ``-_.`` replaced by one ``-``), or remove a project whose name is not valid.
    """
    if why := check_project_name(project_dir):
        return [("IW203", f"project directory: {why}")]
    normal = canonicalize_name(project_dir)
    if project_dir != normal:
        return [("IW203", f"project directory {_shown(project_dir)} is not normalized, "
                 f"expected {_shown(normal)}")]
    return []


def _iw204_name_mismatch(name: NormalizedName, project_dir: str) -> Problems:
    """IW204 name mismatch: the wheel's name is not the project its directory names.

    Why: the declaration would be published under the wrong project.  Fix: move the
    file into the directory of the wheel's project.
    """
    if name != canonicalize_name(project_dir):
        return [("IW204", f"wheel name {_shown(name)} does not match the project directory "
                 f"{_shown(project_dir)}")]
    return []


def _iw205_prefix(prefix_dir: str, project_dir: str) -> Problems:
    """IW205 wrong prefix: the prefix directory is not the one the project name gives.

    Why: tools compute where a project's declarations are from its name alone.  Fix: move
    the project directory under the prefix given in the message.
    """
    expected = prefix(canonicalize_name(project_dir))
    if prefix_dir != expected:
        return [("IW205", f"prefix directory {_shown(prefix_dir)} should be {expected!r} "
                 f"for project {_shown(canonicalize_name(project_dir))}")]
    return []


CHECKS: dict[str, Callable[..., object]] = {
    "IW201": _iw201_stray_file,
    "IW202": _iw202_wheel_name,
    "IW203": _iw203_project_dir,
    "IW204": _iw204_name_mismatch,
    "IW205": _iw205_prefix,
}


@lru_cache(maxsize=4096)
def _directories(prefix_dir: str, project_dir: str) -> tuple[tuple[str, str], ...]:
    return tuple(_iw203_project_dir(project_dir) + _iw205_prefix(prefix_dir, project_dir))


def locate(relpath: PurePath | tuple[str, ...]) -> tuple[Location | None, Problems]:
    """Check the place *relpath* (relative to the data root, or its parts) of a file.

    Returns the wheel the file declares (None if the path does not name one, or if the
    file is the settings file) and every layout problem found, as (check id, message).
    """
    parts = relpath if isinstance(relpath, tuple) else relpath.parts
    problems = _iw201_stray_file(parts)
    if problems or parts in _OTHER_FILES:
        return None, problems
    prefix_dir, project_dir, name = parts
    stem = name[: -len(SUFFIX)]
    problems += _directories(prefix_dir, project_dir)
    wheel_problems, parsed = _iw202_wheel_name(stem)
    problems += wheel_problems
    if parsed is None:
        return None, problems
    project, version, tags = parsed
    if project != project_dir:
        problems += _iw204_name_mismatch(project, project_dir)
    return Location(f"{stem}.whl", project, version, tags), problems

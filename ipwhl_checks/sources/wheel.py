"""Reading a wheel safely: only ``.dist-info/WHEEL`` and ``.dist-info/METADATA``.

Nothing from the archive is extracted or executed.  The two members are read with a size
limit (on the bytes actually decompressed, not on what the zip directory claims), and an
archive whose members overlap (a non-recursive zip bomb) or that claims to unpack to far
more than it could hold is refused.  Checks (PEP 427, "The .dist-info directory"):
exactly one ``.dist-info`` directory, named ``<name>-<version>.dist-info`` after the file
name; ``Wheel-Version`` major 1; the ``Tag`` lines of WHEEL are the file name's tags;
METADATA's Name and Version agree with the file name.
"""

from __future__ import annotations

import itertools
import lzma
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ..errors import WheelError

__all__ = ["MAX_METADATA_SIZE", "MAX_WHEEL_SIZE", "WheelInfo", "read_wheel"]

MAX_METADATA_SIZE = 4 << 20  # the largest METADATA in use (long READMEs) is well below 1 MB
MAX_WHEEL_SIZE = 64 << 10  # WHEEL is a handful of short lines
_MAX_MEMBERS = 200_000
_MAX_RATIO = 200  # compressed -> declared uncompressed, over the whole archive ...
_RATIO_FLOOR = 1 << 30  # ... once it claims to unpack to more than 1 GiB


@dataclass(frozen=True)
class WheelInfo:
    """What a wheel says about itself."""

    filename: str
    name: str  # METADATA's Name, as written
    project: NormalizedName
    version: Version
    tags: frozenset[Tag]
    requires_python: SpecifierSet | None
    extras: tuple[str, ...]  # normalized (PEP 685), sorted
    dependencies: tuple[Requirement, ...]  # in METADATA order
    metadata: bytes  # METADATA as stored: served as the PEP 658 ``.metadata`` file


def read_wheel(path: Path | str, filename: str | None = None) -> WheelInfo:
    """Read and check the wheel at *path* (named *filename*, default: the path's name)."""
    path = Path(path)
    filename = filename or path.name
    name, version, tags = _parse_filename(filename)
    with _archive_errors(filename), zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        _check_archive(filename, infos, path.stat().st_size)
        dist_info = _dist_info(filename, [i.filename for i in infos], name, version)
        wheel_text = _member(zf, f"{dist_info}/WHEEL", MAX_WHEEL_SIZE, filename)
        metadata = _member(zf, f"{dist_info}/METADATA", MAX_METADATA_SIZE, filename)
    _check_wheel_file(filename, wheel_text, tags)
    return _parse_metadata(filename, metadata, name, version, tags)


# The helpers below are shared with _wheelmeta.py, which reads METADATA without zipfile.

def _parse_filename(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]]:
    try:
        name, version, _build, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as e:
        raise WheelError(f"{filename}: not a wheel file name ({e})") from None
    return name, version, tags


@contextmanager
def _archive_errors(filename: str) -> Iterator[None]:
    """Turn zipfile's ways of saying "cannot read this archive" into a WheelError."""
    try:
        yield
    except zipfile.BadZipFile as e:
        raise WheelError(f"{filename}: not a zip archive, or a corrupt one ({e})") from None
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            zlib.error, lzma.LZMAError, ValueError) as e:
        # (corrupt compressed data: zlib.error, lzma.LZMAError, bz2's ValueError or
        # OSError; a member name that is not the UTF-8 it claims: UnicodeDecodeError)
        raise WheelError(f"{filename}: cannot read the archive ({e})") from None


def _check_archive(filename: str, infos: list[zipfile.ZipInfo], size: int) -> None:
    if len(infos) > _MAX_MEMBERS:
        raise WheelError(f"{filename}: {len(infos)} members, more than {_MAX_MEMBERS}")
    # Members must not overlap: a zip whose entries share compressed data is a zip bomb.
    spans = sorted((i.header_offset, i.header_offset + 30 + len(i.orig_filename.encode())
                    + i.compress_size) for i in infos)
    for (_start, end), (next_start, _) in itertools.pairwise(spans):
        if next_start < end:
            raise WheelError(f"{filename}: zip bomb (overlapping members), refused")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > _RATIO_FLOOR and unpacked > _MAX_RATIO * max(size, 1):
        raise WheelError(f"{filename}: zip bomb (claims {unpacked} bytes unpacked from "
                         f"{size}), refused")


def _dist_info(filename: str, names: Iterable[str], name: str, version: Version) -> str:
    """The one ``.dist-info`` directory among the member *names*, checked against the file name."""
    dirs = sorted({n.split("/", 1)[0] for n in names
                   if n.split("/", 1)[0].endswith(".dist-info") and "/" in n})
    if len(dirs) != 1:
        found = ", ".join(repr(d) for d in dirs) or "none"
        raise WheelError(f"{filename}: expected exactly one .dist-info directory, found {found}")
    stem = dirs[0].removesuffix(".dist-info")
    dist, _, dir_version = stem.rpartition("-")
    try:
        same = canonicalize_name(dist) == name and Version(dir_version) == version
    except InvalidVersion:
        same = False
    if not same:
        raise WheelError(f"{filename}: .dist-info directory {dirs[0]!r} does not match the "
                         "file name")
    return dirs[0]


def _no_member(filename: str, member: str) -> WheelError:
    return WheelError(f"{filename}: no {member}")


def _check_declared_size(filename: str, member: str, size: int, limit: int) -> None:
    if size > limit:
        raise WheelError(f"{filename}: {member} is {size} bytes, more than the {limit}-byte "
                         "limit (zip bomb?)")


def _member(zf: zipfile.ZipFile, member: str, limit: int, filename: str) -> bytes:
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise _no_member(filename, member) from None
    _check_declared_size(filename, member, info.file_size, limit)
    with zf.open(info) as f:  # read at most limit + 1 bytes, whatever the header says
        data = f.read(limit + 1)
    if len(data) > limit:
        raise WheelError(f"{filename}: {member} unpacks to more than the {limit}-byte limit "
                         "(zip bomb?)")
    return data


def _headers(text: bytes, what: str, filename: str) -> dict[str, list[str]]:
    try:
        raw, unparsed = parse_email(text)
    except ValueError as e:
        raise WheelError(f"{filename}: cannot parse {what} ({e})") from None
    out: dict[str, list[str]] = {k.lower(): v for k, v in unparsed.items()}
    for key, value in raw.items():
        out[key] = value if isinstance(value, list) else [str(value)]
    return out


def _check_wheel_file(filename: str, text: bytes, tags: frozenset[Tag]) -> None:
    fields = _headers(text, "WHEEL", filename)
    version = (fields.get("wheel-version") or [""])[0].strip()
    # PEP 427: a wheel installer must refuse a Wheel-Version whose major version it lacks.
    if version.split(".")[0] != "1":
        raise WheelError(f"{filename}: Wheel-Version {version or 'missing'!r}, expected 1.x")
    declared: set[Tag] = set()
    for line in fields.get("tag", []):
        try:
            declared |= parse_tag(line.strip())
        except ValueError:
            raise WheelError(f"{filename}: WHEEL has an invalid Tag {line!r}") from None
    if declared != set(tags):
        shown = ", ".join(sorted(str(t) for t in declared)) or "none"
        raise WheelError(f"{filename}: WHEEL tags ({shown}) differ from the file name's")


def _parse_metadata(filename: str, data: bytes, name: NormalizedName, version: Version,
                    tags: frozenset[Tag]) -> WheelInfo:
    fields = _headers(data, "METADATA", filename)
    meta_name = (fields.get("name") or [""])[0].strip()
    if canonicalize_name(meta_name) != name:
        raise WheelError(f"{filename}: METADATA Name {meta_name!r} does not match the file name")
    meta_version = (fields.get("version") or [""])[0].strip()
    try:
        if Version(meta_version) != version:
            raise InvalidVersion
    except InvalidVersion:
        raise WheelError(f"{filename}: METADATA Version {meta_version!r} does not match the "
                         "file name") from None
    rp_text = (fields.get("requires_python") or [""])[0].strip()
    try:
        requires_python = SpecifierSet(rp_text) if rp_text else None
    except InvalidSpecifier:
        raise WheelError(f"{filename}: invalid Requires-Python {rp_text!r}") from None
    extras = sorted({canonicalize_name(e.strip()) for e in fields.get("provides_extra", [])})
    dependencies = []
    for line in fields.get("requires_dist", []):
        try:
            dependencies.append(Requirement(line))
        except InvalidRequirement as e:
            raise WheelError(f"{filename}: invalid Requires-Dist {line!r} ({e})") from None
    return WheelInfo(filename=filename, name=meta_name, project=name, version=version,
                     tags=tags, requires_python=requires_python, extras=tuple(extras),
                     dependencies=tuple(dependencies), metadata=data)

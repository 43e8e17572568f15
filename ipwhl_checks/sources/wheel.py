"""Reading a wheel safely: only ``.dist-info/WHEEL`` and ``.dist-info/METADATA``.

Nothing from the archive is extracted or executed.  The two members are read with a size
limit (on the bytes actually decompressed, not on what the zip directory claims), and an
archive whose members overlap (a non-recursive zip bomb) or that claims to unpack to far
more than it could hold is refused.  Checks (PEP 427, "The .dist-info directory"):
exactly one ``.dist-info`` directory, named ``<name>-<version>.dist-info`` after the file
name; ``Wheel-Version`` major 1; the ``Tag`` lines of WHEEL are the file name's tags;
METADATA's Name and Version agree with the file name.

:func:`read_wheel` makes every check and parses both members (``ipwhl add``, ``ipwhl
check --online``); :func:`metadata_info` parses a METADATA file served beside a wheel
(PEP 658: ``ipwhl upgrade`` reads a release's dependencies without its wheels);
:func:`wheel_metadata` makes the archive's and the ``.dist-info`` directory's checks and
returns METADATA as stored, unparsed (``ipwhl publish``: the PEP 658 file of a wheel whose
agreement with its declaration is checked elsewhere).
"""

from __future__ import annotations

import bz2
import copy
import itertools
import lzma
import math
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, parse_tag
from packaging.utils import InvalidWheelFilename, NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import WheelError
from ..repo.declaration import parse_requirement, parse_specifier_set
from ..repo.layout import MAX_TAGS, check_project_name, parse_wheel_name

__all__ = ["MAX_METADATA_SIZE", "MAX_WHEEL_SIZE", "WheelInfo", "metadata_info", "read_wheel",
           "wheel_metadata"]

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
        dist_info = _checked_dist_info(zf, path.stat().st_size, filename, name, version)
        wheel_text = _member(zf, f"{dist_info}/WHEEL", MAX_WHEEL_SIZE, filename)
        metadata = _member(zf, f"{dist_info}/METADATA", MAX_METADATA_SIZE, filename)
    _check_wheel_file(filename, wheel_text, tags)
    return _parse_metadata(filename, metadata, name, version, tags)


def metadata_info(filename: str, metadata: bytes) -> WheelInfo:
    """What the METADATA bytes *metadata* of the wheel *filename* say (PEP 658: the file an
    index serves beside the wheel), with :func:`read_wheel`'s checks of its Name, Version,
    Requires-Python and Requires-Dist; the tags are the file name's."""
    name, version, tags = _parse_filename(filename)
    if len(metadata) > MAX_METADATA_SIZE:
        raise WheelError(f"{filename}: METADATA is {len(metadata)} bytes, more than the "
                         f"{MAX_METADATA_SIZE}-byte limit")
    return _parse_metadata(filename, metadata, name, version, tags)


def wheel_metadata(f: BinaryIO, size: int, filename: str) -> bytes:
    """The bytes of ``<name>-<version>.dist-info/METADATA`` in the wheel *filename*.

    *f* is the whole wheel, open for reading and seekable (left open), *size* its length
    in bytes.  The archive and its ``.dist-info`` directory get :func:`read_wheel`'s
    checks, in its words (a :class:`WheelError` naming *filename*); WHEEL is not read and
    METADATA not parsed.
    """
    name, version, _tags = _parse_filename(filename)
    with _archive_errors(filename), zipfile.ZipFile(f) as zf:
        dist_info = _checked_dist_info(zf, size, filename, name, version)
        return _member(zf, f"{dist_info}/METADATA", MAX_METADATA_SIZE, filename)


def _parse_filename(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]]:
    try:
        name, version, _build, tags = parse_wheel_name(filename)
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


def _checked_dist_info(zf: zipfile.ZipFile, size: int, filename: str, name: str,
                       version: Version) -> str:
    """The ``.dist-info`` directory of the archive *zf* (*size* bytes), once the archive
    passed :func:`_check_archive`."""
    infos = zf.infolist()
    _check_archive(filename, infos, size)
    return _dist_info(filename, [i.filename for i in infos], name, version)


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
    except ValueError:  # InvalidVersion, or a number too long for int()
        same = False
    if not same:
        raise WheelError(f"{filename}: .dist-info directory {dirs[0]!r} does not match the "
                         "file name")
    return dirs[0]


def _member(zf: zipfile.ZipFile, member: str, limit: int, filename: str) -> bytes:
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise WheelError(f"{filename}: no {member}") from None
    if info.file_size > limit:
        raise WheelError(f"{filename}: {member} is {info.file_size} bytes, more than the "
                         f"{limit}-byte limit (zip bomb?)")
    if info.flag_bits & _ENCRYPTED:  # (zipfile's words would show the ZipInfo's repr)
        raise WheelError(f"{filename}: {member} is encrypted")
    if info.compress_type in _UNCAPPED:
        data = _unpack_capped(zf, info)
    else:  # stored or deflated: zipfile unpacks no more than it is asked for (and cuts the
        with zf.open(info) as f:  # member to its declared size, whatever it holds)
            data = f.read(info.file_size + 1)
    if len(data) > limit:
        raise WheelError(f"{filename}: {member} unpacks to more than the {limit}-byte limit "
                         "(zip bomb?)")
    return data


# APPNOTE 4.4.5 methods 12 (bzip2) and 14 (LZMA): zipfile unpacks each chunk of these it
# reads in full, and a few KB of either can unpack to gigabytes.  Their compressed bytes
# are read through zipfile as if stored, and unpacked here up to the declared size.
_UNCAPPED = (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
_ENCRYPTED = 1 << 0 | 1 << 6  # APPNOTE 4.4.4 general purpose flags: encrypted, strongly
_LZMA_MEMORY = 1 << 27  # xz -9e needs 674 MiB to compress, 65 MiB to decompress
_CHUNK = 1 << 16


def _unpack_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The bzip2 or LZMA member *info* unpacked to its declared size, with zipfile's
    checks: its first ``file_size`` bytes, whose CRC-32 must be the declared one."""
    raw = copy.copy(info)
    raw.compress_type, raw.file_size = zipfile.ZIP_STORED, info.compress_size
    del raw.CRC  # (of the unpacked bytes: checked below)
    unpack: bz2.BZ2Decompressor | lzma.LZMADecompressor
    with zf.open(raw) as f:
        if info.compress_type == zipfile.ZIP_BZIP2:
            unpack = bz2.BZ2Decompressor()
        else:
            # APPNOTE 5.8.8: LZMA SDK version (2 bytes), properties size (2 bytes), the
            # LZMA1 properties (5 bytes), the data; with an unknown size (8 bytes) after
            # the properties, the header of an .lzma (LZMA_Alone) file.
            header = f.read(4)
            size = struct.unpack("<H", header[2:])[0] if len(header) == 4 else 0
            if size != 5:
                raise zipfile.BadZipFile(f"LZMA properties of {size} bytes for file "
                                         f"{info.filename!r}, expected 5")
            unpack = lzma.LZMADecompressor(lzma.FORMAT_ALONE, memlimit=_LZMA_MEMORY)
            unpack.decompress(f.read(5) + b"\xff" * 8, 0)
        out: list[bytes] = []
        cap, got = info.file_size, 0
        while got <= cap and not unpack.eof:
            chunk = f.read(_CHUNK) if unpack.needs_input else b""
            if not chunk and unpack.needs_input:
                break  # as zipfile: what the data holds, checked by its CRC-32
            out.append(unpack.decompress(chunk, cap + 1 - got))
            got += len(out[-1])
    data = b"".join(out)[:cap]  # as zipfile: cut to the declared size
    if zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
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


def _cut(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _shown(text: str, limit: int = 200) -> str:
    """*text* quoted for a one-line message, cut after *limit* characters."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _check_wheel_file(filename: str, text: bytes, tags: frozenset[Tag]) -> None:
    fields = _headers(text, "WHEEL", filename)
    version = (fields.get("wheel-version") or [""])[0].strip()
    # PEP 427: a wheel installer must refuse a Wheel-Version whose major version it lacks.
    if version.split(".")[0] != "1":
        raise WheelError(f"{filename}: Wheel-Version {_shown(version or 'missing')}, "
                         "expected 1.x")
    declared: set[Tag] = set()
    for line in fields.get("tag", []):
        # PEP 425: a compressed tag set expands to the product of its parts' lengths
        if math.prod(len(part.split(".")) for part in line.split("-")) > MAX_TAGS:
            raise WheelError(f"{filename}: WHEEL has a Tag of more than {MAX_TAGS} tags: "
                             f"{_shown(line)}")
        try:
            if any(c.isspace() for c in line.strip()):  # a folded (continued) header line
                raise ValueError(line)
            declared |= parse_tag(line.strip())
        except ValueError:
            raise WheelError(f"{filename}: WHEEL has an invalid Tag {_shown(line)}") from None
    if declared != set(tags):
        listed = sorted(str(t) for t in declared)
        shown = ", ".join(listed[:10]) or "none"
        shown += f" and {len(listed) - 10} more" if len(listed) > 10 else ""
        raise WheelError(f"{filename}: WHEEL tags ({shown}) differ from the file name's")


def _parse_metadata(filename: str, data: bytes, name: NormalizedName, version: Version,
                    tags: frozenset[Tag]) -> WheelInfo:
    fields = _headers(data, "METADATA", filename)
    meta_name = (fields.get("name") or [""])[0].strip()
    # Core metadata: Name is a valid (ASCII) project name; the Kelvin sign lowercases to k.
    if check_project_name(meta_name) or canonicalize_name(meta_name) != name:
        raise WheelError(f"{filename}: METADATA Name {_shown(meta_name)} does not match the "
                         "file name")
    meta_version = (fields.get("version") or [""])[0].strip()
    try:
        if Version(meta_version) != version:
            raise InvalidVersion
    except ValueError:  # InvalidVersion, or a number too long for int()
        raise WheelError(f"{filename}: METADATA Version {_shown(meta_version)} does not match "
                         "the file name") from None
    rp_text = (fields.get("requires_python") or [""])[0].strip()
    try:
        requires_python = parse_specifier_set(rp_text) if rp_text else None
    except InvalidSpecifier:
        raise WheelError(f"{filename}: invalid Requires-Python {_shown(rp_text)}") from None
    extras = sorted({canonicalize_name(e.strip()) for e in fields.get("provides_extra", [])})
    dependencies = []
    for line in fields.get("requires_dist", []):
        try:
            dependencies.append(parse_requirement(line))
        except InvalidRequirement as e:
            reason = str(e).splitlines()[0] if str(e) else "invalid"
            raise WheelError(f"{filename}: invalid Requires-Dist {_shown(line)} "
                             f"({_cut(reason)})") from None
    return WheelInfo(filename=filename, name=meta_name, project=name, version=version,
                     tags=tags, requires_python=requires_python, extras=tuple(extras),
                     dependencies=tuple(dependencies), metadata=data)

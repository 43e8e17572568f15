"""A wheel's ``.dist-info/METADATA`` bytes, read fast for publishing (the PEP 658 file).

:func:`wheel_metadata` reads three things and nothing else: the end of central directory
record (with the zip64 locator and record), the central directory, and the METADATA
member; a 300 MB wheel costs a few small reads, not a pass over the file.  It does not
parse the metadata: that the metadata agrees with the declaration is checked elsewhere,
with :func:`.wheel.read_wheel`.

Every wheel read_wheel accepts, it accepts, and it returns the same bytes: it reads an
archive as the stdlib's :mod:`zipfile` does wherever one could be read two ways (where
the end record is searched for, bytes prepended to the archive, the last of two members
of one name wins, a member is cut to its declared size), and it makes read_wheel's
checks of the file name and the ``.dist-info`` directory (shared with wheel.py).  The
one exception: it refuses a member whose data is said to run past the end of the file,
where zipfile reads what is there.  It is more lenient where read_wheel checks the
whole archive: it does not read WHEEL, look for overlapping members (see
:meth:`_Reader.unpack` for why), or decode the other members' names and headers.
bzip2 and lzma members, rare in wheels, are read by zipfile itself.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from typing import BinaryIO

from ..errors import WheelError
from .wheel import (
    _MAX_MEMBERS,
    MAX_METADATA_SIZE,
    _archive_errors,
    _check_declared_size,
    _dist_info,
    _member,
    _no_member,
    _parse_filename,
)

__all__ = ["wheel_metadata"]

# APPNOTE.TXT (version 6.3.10) section numbers; the layouts are zipfile's too.
_EOCD = struct.Struct("<4s4H2LH")  # 4.3.16 end of central directory record, 22 bytes
_LOCATOR = struct.Struct("<4sLQL")  # 4.3.15 zip64 end of central directory locator, 20
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # 4.3.14 zip64 end of central directory record, 56
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # 4.3.12 central directory file header, 46
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # 4.3.7 local file header, 30
_CENTRAL_NAME = struct.Struct("<4s4xH18x3H")  # of _CENTRAL: signature, flags, name length,
# extra field length, comment length
_EOCD_SIG, _LOCATOR_SIG, _EOCD64_SIG = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"
_CENTRAL_SIG, _LOCAL_SIG = b"PK\x01\x02", b"PK\x03\x04"
_MAX_COMMENT = 0xFFFF  # 4.4.26: the archive comment's length is 2 bytes
_FIRST_READ = 16 << 10  # the end of the file read first: all of a small wheel
_CHUNK = 64 << 10
_MAX_EXTRACT_VERSION = 63  # zipfile.MAX_EXTRACT_VERSION
# 4.4.4 general purpose bit flags
_ENCRYPTED, _PATCHED, _STRONG_ENCRYPTION, _UTF8 = 1 << 0, 1 << 5, 1 << 6, 1 << 11
_STORED, _DEFLATED = 0, 8  # 4.4.5 compression method
_ZIPFILE_READS = (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)  # methods left to zipfile


def wheel_metadata(f: BinaryIO, size: int, filename: str) -> bytes:
    """The bytes of ``<name>-<version>.dist-info/METADATA`` in the wheel *filename*.

    *f* is the whole wheel, open for reading and seekable (a file or an ``io.BytesIO``),
    *size* its length in bytes.  Raises :class:`WheelError` naming *filename* when the
    file name is not a wheel's, the archive is not a readable zip, the ``.dist-info``
    directory is missing, doubled or misnamed, or METADATA is missing, larger than
    ``wheel.MAX_METADATA_SIZE``, encrypted, compressed in a way we cannot read, or does
    not match its CRC-32.
    """
    name, version, _tags = _parse_filename(filename)
    reader = _Reader(f, size, filename)
    names = reader.central_directory()
    member = f"{_dist_info(filename, names, name, version)}/METADATA"
    # zipfile's getinfo(): a name written twice means its last central directory entry.
    for at in range(len(names) - 1, -1, -1):
        if names[at] == member:
            return reader.member(member, at)
    raise _no_member(filename, member)


class _Reader:
    """Reads parts of one archive, from a buffer holding its end when they are there."""

    def __init__(self, f: BinaryIO, size: int, filename: str) -> None:
        self.f, self.size, self.filename = f, size, filename
        self.tail_at = max(size - _FIRST_READ, 0)
        f.seek(self.tail_at)
        self.tail = f.read(size - self.tail_at)
        if len(self.tail) != size - self.tail_at:
            raise self.error(f"the file is shorter than the {size} bytes expected")
        self.concat = 0
        self.cd = b""
        self.positions: list[int] = []  # of each entry in self.cd

    def error(self, problem: str) -> WheelError:
        return WheelError(f"{self.filename}: {problem}")

    def corrupt(self, problem: str) -> WheelError:  # read_wheel's words for zipfile's errors
        return self.error(f"not a zip archive, or a corrupt one ({problem})")

    def read(self, at: int, n: int) -> bytes:
        """Up to *n* bytes at offset *at* (fewer at the end of the file)."""
        if at >= self.tail_at:
            return self.tail[at - self.tail_at:at - self.tail_at + n]
        self.f.seek(at)
        return self.f.read(min(n, self.size - at))  # whatever size a corrupt header claims

    def end_record(self) -> tuple[int, int, int]:
        """(central directory size, its offset as written, the end record's offset)."""
        # zipfile's _EndRecData: an end record without comment at the very end, else the
        # last signature in the last 64 KiB + 22 bytes (4.3.16: the comment follows it).
        last = self.tail[-_EOCD.size:]
        if len(last) == _EOCD.size and last.startswith(_EOCD_SIG) and last.endswith(b"\0\0"):
            at = self.size - _EOCD.size
        else:
            start = max(self.size - _MAX_COMMENT - 1 - _EOCD.size, 0)
            found = self.read(start, self.size - start).rfind(_EOCD_SIG)
            at = start + found
            if found < 0 or at + _EOCD.size > self.size:
                raise self.corrupt("File is not a zip file")
        fields = _EOCD.unpack(self.read(at, _EOCD.size))
        cd_size, cd_offset = fields[5], fields[6]
        # zipfile's _EndRecData64: zip64 values, when a locator precedes the end record and
        # the zip64 record precedes the locator (4.3.6; "zip64 extensible data" is ignored).
        locator = self.read(at - _LOCATOR.size, _LOCATOR.size) if at >= _LOCATOR.size else b""
        if len(locator) == _LOCATOR.size and locator.startswith(_LOCATOR_SIG):
            _sig, disk, _offset, disks = _LOCATOR.unpack(locator)
            if disk != 0 or disks > 1:
                raise self.corrupt("zipfiles that span multiple disks are not supported")
            at64 = at - _LOCATOR.size - _EOCD64.size
            if at64 < 0:
                raise self.corrupt("File is not a zip file")
            record = self.read(at64, _EOCD64.size)
            if record.startswith(_EOCD64_SIG):
                cd_size, cd_offset = _EOCD64.unpack(record)[8:10]
                at = at64  # the archive proper ends where the zip64 record starts
        return cd_size, cd_offset, at

    def central_directory(self) -> list[str]:
        """The names of the members that may be in a ``.dist-info`` directory, as
        zipfile's ZipInfo.filename, in central directory order."""
        cd_size, cd_offset, end = self.end_record()
        # Bytes before the archive (a self-extractor's stub) shift every offset by concat.
        self.concat = end - cd_size - cd_offset
        start = cd_offset + self.concat
        if start < 0:
            raise self.corrupt("Bad offset for central directory")
        self.cd = cd = self.read(start, cd_size)
        names: list[str] = []
        positions = self.positions
        pos, last, count = 0, len(cd) - _CENTRAL.size, 0
        while pos < cd_size:  # as zipfile: the entry count of the end record is not used
            if pos > last:
                raise self.corrupt("Truncated central directory")
            sig, flags, n, m, k = _CENTRAL_NAME.unpack_from(cd, pos)
            if sig != _CENTRAL_SIG:
                raise self.corrupt("Bad magic number for central directory")
            count += 1
            if count > _MAX_MEMBERS:
                raise self.error(f"more than {_MAX_MEMBERS} members")
            # Only names with ".dist-info" matter to _dist_info: decoding the others (most
            # of a big wheel's) is skipped.  Both encodings map ASCII bytes to themselves.
            start = pos + _CENTRAL.size
            if cd.find(b".dist-info", start, start + n) >= 0:
                raw = cd[start:start + n]
                name = raw.decode("ascii") if raw.isascii() else self.decode(raw, flags)
                names.append(_sanitize(name) if "\0" in name or _SEPARATORS else name)
                positions.append(pos)
            pos = start + n + m + k
        return names

    def decode(self, raw: bytes, flags: int) -> str:
        try:  # 4.4.4 bit 11: UTF-8 names; else IBM code page 437 (APPNOTE appendix D)
            return raw.decode("utf-8") if flags & _UTF8 else raw.decode("cp437")
        except UnicodeDecodeError as e:
            raise self.corrupt(f"file name {raw!r} is not UTF-8: {e}") from None

    def member(self, member: str, index: int) -> bytes:
        """The bytes of *member*, the *index*-th entry, checked against that entry."""
        pos = self.positions[index]
        (_sig, _made_by, _system, extract_version, _reserved, flags, method, _time, _date,
         crc, compressed, size, n, m, _k, _disk, _iattr, _eattr,
         offset) = _CENTRAL.unpack_from(self.cd, pos)
        orig = self.decode(self.cd[pos + _CENTRAL.size:pos + _CENTRAL.size + n], flags)
        extra = self.cd[pos + _CENTRAL.size + n:pos + _CENTRAL.size + n + m]
        if extract_version > _MAX_EXTRACT_VERSION:
            raise self.error(f"cannot read the archive ({member} needs zip version "
                             f"{extract_version / 10:.1f})")
        size, compressed, offset = self.zip64(extra, size, compressed, offset)
        _check_declared_size(self.filename, member, size, MAX_METADATA_SIZE)
        if flags & (_ENCRYPTED | _STRONG_ENCRYPTION):
            raise self.error(f"{member} is encrypted")
        if flags & _PATCHED:
            raise self.error(f"{member} is compressed patched data (flag bit 5)")
        if method in _ZIPFILE_READS:
            return self.read_with_zipfile(member)
        if method not in (_STORED, _DEFLATED):
            raise self.error(f"{member} uses compression method {method}, expected 0 "
                             "(stored) or 8 (deflated)")
        data_at = self.local_header(offset + self.concat, orig)
        if data_at + compressed > self.size:
            raise self.error(f"{member}'s data runs past the end of the file")
        data = self.unpack(member, method, data_at, compressed, size)
        # As zipfile: the member is cut to its declared size, and the CRC-32 is that of
        # the bytes returned, so a member that unpacks to more is refused unless the
        # central directory's CRC-32 is that of its first *size* bytes.
        unpacked, data = len(data), data[:size]
        if zlib.crc32(data) != crc:
            if unpacked > size:
                raise self.error(f"{member} unpacks to more than its declared {size} bytes "
                                 "(zip bomb?)")
            if unpacked < size:
                raise self.error(f"{member} unpacks to {unpacked} bytes, not its declared "
                                 f"{size}")
            raise self.corrupt(f"Bad CRC-32 for file {member!r}")
        return data

    def read_with_zipfile(self, member: str) -> bytes:
        """*member*, bzip2 or lzma (4.4.5 methods 12, 14), read by zipfile as read_wheel does."""
        try:
            import lzma  # zipfile lets lzma's errors out; a Python built without it has none
            decompressor_errors: tuple[type[Exception], ...] = (lzma.LZMAError,)
        except ImportError:
            decompressor_errors = ()
        try:
            with _archive_errors(self.filename), zipfile.ZipFile(self.f) as zf:
                return _member(zf, member, MAX_METADATA_SIZE, self.filename)
        except decompressor_errors as e:
            raise self.corrupt(f"cannot unpack {member}: {e}") from None

    def zip64(self, extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, ...]:
        """The sizes and offset of an entry, from its zip64 extra field if it has one."""
        # 4.5.3 zip64 extended information extra field (0x0001): the 8-byte values of the
        # 4-byte fields that are 0xFFFFFFFF, in this order.  Decoded as zipfile does.
        while len(extra) >= 4:
            kind, length = struct.unpack_from("<HH", extra)
            if length + 4 > len(extra):
                raise self.corrupt(f"Corrupt extra field {kind:04x} (size={length})")
            if kind == 0x0001:
                values = extra[4:4 + length]
                try:
                    if size in (0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF):
                        (size,), values = struct.unpack_from("<Q", values), values[8:]
                    if compressed == 0xFFFF_FFFF:
                        (compressed,), values = struct.unpack_from("<Q", values), values[8:]
                    if offset == 0xFFFF_FFFF:
                        (offset,) = struct.unpack_from("<Q", values)
                except struct.error:
                    raise self.corrupt("Corrupt zip64 extra field") from None
            extra = extra[length + 4:]
        return size, compressed, offset

    def local_header(self, at: int, orig: str) -> int:
        """Check the local header at *at* names the member *orig*; where its data starts."""
        if at < 0:  # before the file starts, once the offset is corrected for a prefix
            raise self.corrupt("Bad offset for file header")
        header = self.read(at, _LOCAL.size)
        if len(header) != _LOCAL.size:
            raise self.corrupt("Truncated file header")
        if not header.startswith(_LOCAL_SIG):
            raise self.corrupt("Bad magic number for file header")
        fields: tuple[int, ...] = _LOCAL.unpack(header)[1:]
        flags, n, m = fields[2], fields[-2], fields[-1]
        raw = self.read(at + _LOCAL.size, n)
        if self.decode(raw, flags) != orig:
            raise self.corrupt(f"File name in directory {orig!r} and header {raw!r} differ.")
        # The local header's sizes and CRC are not used: with a data descriptor (4.3.9,
        # flag bit 3) they are zero, and zipfile reads those of the central directory.
        return at + _LOCAL.size + n + m

    def unpack(self, member: str, method: int, at: int, compressed: int, size: int) -> bytes:
        """What the *compressed* bytes at *at* unpack to, stopping after *size* + 1 bytes.

        *size* is at most MAX_METADATA_SIZE: the cap is on the bytes actually unpacked,
        whatever the headers say.  That is also why overlapping members (refused by
        wheel._check_archive) do not matter here: they multiply what unpacking a whole
        archive costs, and we unpack one member, capped.
        """
        if method == _STORED:
            return self.read(at, min(compressed, size + 1))
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # 4.4.5 method 8: raw deflate
        out: list[bytes] = []
        got, end = 0, at + compressed
        try:
            while at < end and got <= size and not inflate.eof:
                chunk = self.read(at, min(end - at, _CHUNK))
                if not chunk:
                    raise self.error(f"{member}'s data runs past the end of the file")
                at += len(chunk)
                out.append(inflate.decompress(chunk, size + 1 - got))
                got += len(out[-1])
            if got <= size and not inflate.eof:
                out.append(inflate.flush())
        except zlib.error as e:
            raise self.corrupt(f"cannot inflate {member}: {e}") from None
        return b"".join(out)


_SEPARATORS = tuple(s for s in (os.sep, os.altsep) if s and s != "/")  # none on POSIX


def _sanitize(name: str) -> str:
    """ZipInfo.filename of a member named *name*: cut at a NUL, with ``/`` separators."""
    if "\0" in name:
        name = name[:name.index("\0")]
    for sep in _SEPARATORS:
        name = name.replace(sep, "/")
    return name

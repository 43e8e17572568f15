"""wheel_metadata: the METADATA bytes that read_wheel (which uses zipfile) reads, without zipfile.

The truths: the METADATA text each archive was built with, read_wheel (the stdlib's zipfile,
an independent zip reader) on the same file, and an archive written by Info-ZIP's ``zip``.
"""

from __future__ import annotations

import base64
import functools
import io
import random
import shutil
import struct
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from ipwhl_checks.errors import WheelError
from ipwhl_checks.sources._wheelmeta import wheel_metadata
from ipwhl_checks.sources.wheel import MAX_METADATA_SIZE, read_wheel

from .wheelmaker import make_wheel, metadata_text

DATA = Path(__file__).parent / "data" / "wheels"
NAME = "demo-1.0-py3-none-any.whl"
META = metadata_text("demo", "1.0", dependencies=["idna<4,>=2.5"]).encode()
_WHEEL = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
_EPOCH = (2020, 1, 1, 0, 0, 0)

# Written by Info-ZIP's zip 3.0 with ``TZ=UTC zip -q -X -fz NAME demo/__init__.py
# demo-1.0.dist-info/METADATA demo-1.0.dist-info/WHEEL``: -fz forces zip64, so the central
# directory gives sizes as 0xFFFFFFFF with zip64 extra fields (APPNOTE 4.5.3), the end
# record gives the directory's offset as 0xFFFFFFFF, and a zip64 end record and locator
# (4.3.14, 4.3.15) precede it.  METADATA is deflated.
INFOZIP_ZIP64 = base64.b64decode("""
UEsDBC0AAAAAAAAAIVCbemt7//////////8QABQAZGVtby9fX2luaXRfXy5weQEAEAAUAAAAAAAAABQAAAAAAAAAX192ZXJz
aW9uX18gPSAiMS4wIgpQSwMELQAAAAgAAAAhULE+4dL//////////xsAFABkZW1vLTEuMC5kaXN0LWluZm8vTUVUQURBVEEB
ABAA3AEAAAAAAACMAAAAAAAAAO2MMQ7CMAwA97zCD6ARRYihG2MHUCUkBja3cVRLTVI5BtS+nsDAA5hZT3d3IkWHitWVJHOK
Dexsbc4YqAFHIZkvr+3WXO4hoCwNrDwf9oAyjPwgeAqrUoR+gTb6VN3a7m1A5VdjjuWTB+FZywYmjrQBoZlQyUFOoCPqx3bk
pwJzIZwhUOhJ7D//PX8BUEsDBC0AAAAAAAAAIVAHYLXE//////////8YABQAZGVtby0xLjAuZGlzdC1pbmZvL1dIRUVMAQAQ
AEoAAAAAAAAASgAAAAAAAABXaGVlbC1WZXJzaW9uOiAxLjAKR2VuZXJhdG9yOiB6aXAKUm9vdC1Jcy1QdXJlbGliOiB0cnVl
ClRhZzogcHkzLW5vbmUtYW55ClBLAQIeAy0AAAAAAAAAIVCbemt7FAAAAP////8QAAwAAAAAAAEAAACkgQAAAABkZW1vL19f
aW5pdF9fLnB5AQAIABQAAAAAAAAAUEsBAh4DLQAAAAgAAAAhULE+4dKMAAAA/////xsADAAAAAAAAQAAAKSBVgAAAGRlbW8t
MS4wLmRpc3QtaW5mby9NRVRBREFUQQEACADcAQAAAAAAAFBLAQIeAy0AAAAAAAAAIVAHYLXESgAAAP////8YAAwAAAAAAAEA
AACkgS8BAABkZW1vLTEuMC5kaXN0LWluZm8vV0hFRUwBAAgASgAAAAAAAABQSwYGLAAAAAAAAAAeAy0AAAAAAAAAAAADAAAA
AAAAAAMAAAAAAAAA8QAAAAAAAADDAQAAAAAAAFBLBgcAAAAAtAIAAAAAAAABAAAAUEsFBgAAAAADAAMA8QAAAP////8AAA==
""")
INFOZIP_METADATA = (b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
                    b"Summary: zip64 archive written by Info-ZIP zip -fz\n\n"
                    + b"A description line, repeated so that zip deflates this member.\n" * 6)


class _Unseekable(io.BytesIO):
    """A stream zipfile cannot seek back in: it writes data descriptors (APPNOTE 4.3.9)."""

    def seekable(self) -> bool:
        return False

    def seek(self, *args: object) -> int:
        raise OSError("not seekable")


def _zip(tmp: Path, members: list[tuple[str, bytes]], *, filename: str = NAME,
         method: int = zipfile.ZIP_DEFLATED, comment: bytes = b"", prefix: bytes = b"",
         stream: bool = False, force_zip64: bool = False) -> Path:
    """A zip of *members* (in this order, METADATA compressed with *method*)."""
    buf: io.BytesIO = _Unseekable() if stream else io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore")  # "Duplicate name" for the duplicate case
        for name, data in members:
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = method if name.endswith("/METADATA") else zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=force_zip64) as w:
                w.write(data)
        zf.comment = comment
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / filename
    path.write_bytes(prefix + buf.getvalue())
    return path


def _members(metadata: bytes = META, dist_info: str = "demo-1.0.dist-info",
             ) -> list[tuple[str, bytes]]:
    return [("demo/__init__.py", b"__version__ = '1.0'\n"), (f"{dist_info}/METADATA", metadata),
            (f"{dist_info}/WHEEL", _WHEEL)]


def _central(data: bytes | bytearray, member: str) -> int:
    """Where the central directory entry of *member* starts (the last one of that name)."""
    at = len(data)
    while True:
        at = data.rfind(b"PK\x01\x02", 0, at)
        n = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + n] == member.encode():
            return at


def _patch(path: Path, edit: Callable[[bytearray], None]) -> Path:
    data = bytearray(path.read_bytes())
    edit(data)
    path.write_bytes(bytes(data))
    return path


def _set_central(member: str, offset: int, fmt: str, value: int) -> Callable[[bytearray], None]:
    """Set a field of *member*'s central directory entry (APPNOTE 4.3.12 offsets)."""
    def edit(data: bytearray) -> None:
        struct.pack_into(fmt, data, _central(data, member) + offset, value)
    return edit


def _data_at(path: Path, member: str) -> int:
    """Where *member*'s data starts, found by zipfile (APPNOTE 4.3.7: after the local header)."""
    data = path.read_bytes()
    info = zipfile.ZipFile(path).getinfo(member)
    n, m = struct.unpack_from("<HH", data, info.header_offset + 26)
    return info.header_offset + 30 + n + m


def _write(tmp: Path, data: bytes) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / NAME
    path.write_bytes(data)
    return path


def _copy(kind: str) -> Callable[[Path], Path]:
    return lambda tmp: Path(shutil.copy(DATA / kind / NAME, tmp / NAME))


_M = "demo-1.0.dist-info/METADATA"


def _flip_stored_metadata(tmp: Path) -> Path:
    path = _zip(tmp, _members(), method=zipfile.ZIP_STORED)
    at = _data_at(path, _M) + 20
    return _patch(path, lambda d: d.__setitem__(at, d[at] ^ 0x01))


def _corrupt_deflate(tmp: Path) -> Path:
    path = _zip(tmp, _members())
    at = _data_at(path, _M)
    return _patch(path, lambda d: d.__setitem__(slice(at, at + 2), b"\xff\xff"))


def _local_name_differs(tmp: Path) -> Path:
    path = _zip(tmp, _members())
    at = zipfile.ZipFile(path).getinfo(_M).header_offset + 30 + len(_M) - 1
    return _patch(path, lambda d: d.__setitem__(at, ord("B")))


def _bad_utf8_name(tmp: Path) -> Path:
    path = _zip(tmp, [*_members(), ("demo-1.0.dist-info/é", b"")])  # UTF-8 flag (4.4.4 bit 11)
    def edit(data: bytearray) -> None:
        for at in (data.find("info/é".encode()), data.rfind("info/é".encode())):
            data[at + 5:at + 7] = b"\xff\xff"
    return _patch(path, edit)


def _cut_into_metadata(tmp: Path) -> Path:
    # Cutting whole members off the front is no harm: zipfile (and so wheel_metadata) takes
    # the shortfall between the end record's offsets and where it is as a prefix's length.
    path = _zip(tmp, _members())
    cut = zipfile.ZipFile(path).getinfo(_M).header_offset + 10
    return _patch(path, lambda d: d.__delitem__(slice(0, cut)))


def _unpacks_to_more(tmp: Path) -> Path:
    # bigmeta's METADATA unpacks to 8 MiB; say 1000 bytes (under the limit) instead.
    return _patch(_copy("bigmeta")(tmp), _set_central(_M, 24, "<I", 1000))


# (id, builder, the start of wheel_metadata's message); read_wheel refuses each one too.
BAD: list[tuple[str, Callable[[Path], Path], str]] = [
    ("not a wheel file name", lambda t: _zip(t, _members(), filename="demo-1.0.tar.gz"),
     "demo-1.0.tar.gz: not a wheel file name (Invalid wheel filename (extension must be "
     "'.whl'): 'demo-1.0.tar.gz')"),
    ("not a zip (an sdist)", _copy("sdist"),
     f"{NAME}: not a zip archive, or a corrupt one (File is not a zip file)"),
    ("truncated in half", _copy("corrupt"),
     f"{NAME}: not a zip archive, or a corrupt one (File is not a zip file)"),
    ("last byte cut", lambda t: _patch(_zip(t, _members()), lambda d: d.__delitem__(-1)),
     f"{NAME}: not a zip archive, or a corrupt one (File is not a zip file)"),
    ("first bytes cut, into METADATA's header", _cut_into_metadata,
     f"{NAME}: not a zip archive, or a corrupt one (Bad offset for file header)"),
    ("central directory cut", lambda t: _patch(_zip(t, _members()), lambda d: d.__delitem__(
        slice(d.rfind(b"PK\x01\x02") + 10, d.rfind(b"PK\x05\x06")))),
     f"{NAME}: not a zip archive, or a corrupt one ("),
    ("central directory signature wrong", lambda t: _patch(_zip(t, _members()), lambda d: (
        d.__setitem__(slice(d.find(b"PK\x01\x02") + 3, d.find(b"PK\x01\x02") + 4), b"\x03"))),
     f"{NAME}: not a zip archive, or a corrupt one (Bad magic number for central directory)"),
    ("no METADATA", lambda t: _zip(t, _members()[::2]), f"{NAME}: no {_M}"),
    ("no dist-info", lambda t: _zip(t, _members()[:1]),
     f"{NAME}: expected exactly one .dist-info directory, found none"),
    ("two dist-info", lambda t: _zip(t, _members() + _members(dist_info="other-1.0.dist-info")),
     f"{NAME}: expected exactly one .dist-info directory, found 'demo-1.0.dist-info', "
     "'other-1.0.dist-info'"),
    ("dist-info of another version", lambda t: _zip(t, _members(dist_info="demo-1.1.dist-info")),
     f"{NAME}: .dist-info directory 'demo-1.1.dist-info' does not match the file name"),
    ("METADATA declared over the limit", _copy("bigmeta"),
     f"{NAME}: {_M} is 8388655 bytes, more than the {MAX_METADATA_SIZE}-byte limit (zip bomb?)"),
    ("METADATA unpacks to more than declared", _unpacks_to_more,
     f"{NAME}: {_M} unpacks to more than its declared 1000 bytes (zip bomb?)"),
    ("bad CRC-32 (a byte of stored METADATA flipped)", _flip_stored_metadata,
     f"{NAME}: not a zip archive, or a corrupt one (Bad CRC-32 for file '{_M}')"),
    ("corrupt deflate data", _corrupt_deflate,
     f"{NAME}: not a zip archive, or a corrupt one (cannot inflate {_M}: Error -3"),
    ("encrypted (flag bit 0)", lambda t: _patch(_zip(t, _members()), _set_central(
        _M, 8, "<H", 1)), f"{NAME}: {_M} is encrypted"),
    ("strong encryption (flag bit 6)", lambda t: _patch(_zip(t, _members()), _set_central(
        _M, 8, "<H", 1 << 6)), f"{NAME}: {_M} is encrypted"),
    ("compressed patched data (flag bit 5)", lambda t: _patch(_zip(t, _members()), _set_central(
        _M, 8, "<H", 1 << 5)), f"{NAME}: {_M} is compressed patched data"),
    ("unsupported method (9, deflate64)", lambda t: _patch(_zip(t, _members()), _set_central(
        _M, 10, "<H", 9)),
     f"{NAME}: {_M} uses compression method 9, expected 0 (stored) or 8 (deflated)"),
    ("needs zip version 9.9", lambda t: _patch(_zip(t, _members()), _set_central(
        _M, 6, "<B", 99)), f"{NAME}: cannot read the archive ({_M} needs zip version 9.9)"),
    ("local header names another file", _local_name_differs,
     f"{NAME}: not a zip archive, or a corrupt one (File name in directory '{_M}' and header "
     "b'demo-1.0.dist-info/METADATB' differ.)"),
    ("local header offset wrong", lambda t: _patch(_zip(t, _members()), _set_central(
        _M, 42, "<I", 3)),
     f"{NAME}: not a zip archive, or a corrupt one (Bad magic number for file header)"),
    ("dist-info member name not UTF-8", _bad_utf8_name,
     f"{NAME}: not a zip archive, or a corrupt one (file name b'demo-1.0.dist-info/\\xff\\xff' "
     "is not UTF-8"),
]


@pytest.mark.parametrize(("build", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_wheels_are_refused(tmp_path: Path, build: Callable[[Path], Path],
                                message: str) -> None:
    path = build(tmp_path)
    data = path.read_bytes()
    for f in (io.BytesIO(data), path.open("rb")):
        with f, pytest.raises(WheelError) as e:
            wheel_metadata(f, len(data), path.name)
        assert str(e.value).startswith(message)
    with pytest.raises(Exception):  # noqa: B017 (read_wheel refuses it, in its own words)
        read_wheel(path)


def _many_members(tmp: Path, count: int) -> Path:
    return _write(tmp, _many_members_bytes(count))


@functools.cache
def _many_members_bytes(count: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        members = _members() + [(f"demo/m{i:05}.py", b"") for i in range(count)]
        return _zip(Path(tmp), members).read_bytes()


# (id, builder -> (path, the METADATA bytes it holds)); read_wheel reads the same bytes.
GOOD: list[tuple[str, Callable[[Path], tuple[Path, bytes]]]] = [
    ("wheelmaker (deflated)", lambda t: (make_wheel(t, "demo", "1.0", dependencies=[
        "idna<4,>=2.5"]), META)),
    ("stored", lambda t: (_zip(t, _members(), method=zipfile.ZIP_STORED), META)),
    ("zip comment", lambda t: (_zip(t, _members(), comment=b"a comment"), META)),
    ("64 KiB zip comment", lambda t: (_zip(t, _members(), comment=b"c" * 0xFFFF), META)),
    ("data descriptors (flag bit 3)", lambda t: (_zip(t, _members(), stream=True), META)),
    ("stored, data descriptors", lambda t: (_zip(t, _members(), stream=True,
                                                 method=zipfile.ZIP_STORED), META)),
    ("a stub before the archive", lambda t: (_zip(t, _members(), prefix=b"#!/bin/sh\n" * 99),
                                             META)),
    ("zip64 local headers (force_zip64)", lambda t: (_zip(t, _members(), force_zip64=True),
                                                     META)),
    ("zip64 by Info-ZIP (zip -fz)", lambda t: (_write(t, INFOZIP_ZIP64), INFOZIP_METADATA)),
    ("zip64 end record: 65,536 members", lambda t: (_many_members(t, 65_533), META)),
    ("central directory beyond the first read", lambda t: (_many_members(t, 1000), META)),
    ("METADATA far from the end", lambda t: (_zip(t, [
        *_members(), ("demo/blob.bin", random.Random(1).randbytes(300_000))]), META)),
    ("bzip2 (read by zipfile)", lambda t: (_zip(t, _members(), method=zipfile.ZIP_BZIP2), META)),
    ("lzma (read by zipfile)", lambda t: (_zip(t, _members(), method=zipfile.ZIP_LZMA), META)),
    ("METADATA twice: the last wins, as in zipfile", lambda t: (_zip(
        t, [*_members(b"Name: first\n"), (_M, META)]), META)),
    ("non-ASCII member names", lambda t: (_zip(t, [*_members(), ("demo/données.txt", b"x"),
                                                   ("demo-1.0.dist-info/é", b"")]), META)),
    ("empty-ish METADATA", lambda t: (_zip(t, _members(b"\n")), b"\n")),
    ("METADATA declares more bytes than it holds", lambda t: (_patch(_zip(
        t, _members()), _set_central(_M, 24, "<I", len(META) + 10)), META)),
]


@pytest.mark.parametrize("build", [g[1] for g in GOOD], ids=[g[0] for g in GOOD])
def test_reads_what_read_wheel_reads(tmp_path: Path,
                                     build: Callable[[Path], tuple[Path, bytes]]) -> None:
    path, metadata = build(tmp_path)
    if metadata in (META, INFOZIP_METADATA):  # others fail read_wheel's parse
        assert read_wheel(path).metadata == metadata
    else:
        assert _zipfile_metadata(path) == metadata
    data = path.read_bytes()
    assert wheel_metadata(io.BytesIO(data), len(data), NAME) == metadata
    with path.open("rb") as f:
        assert wheel_metadata(f, len(data), NAME) == metadata


def _zipfile_metadata(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(_M)


def test_the_cases_are_what_they_say(tmp_path: Path) -> None:
    """The archives have the structures their ids claim (read by zipfile, and by eye)."""
    def info(path: Path) -> zipfile.ZipInfo:
        return zipfile.ZipFile(path).getinfo(_M)
    assert info(_zip(tmp_path / "a", _members(), stream=True)).flag_bits & 0x08
    assert info(_zip(tmp_path / "b", _members(), force_zip64=True)).extract_version == 45
    assert info(_write(tmp_path, INFOZIP_ZIP64)).compress_type == zipfile.ZIP_DEFLATED
    data = INFOZIP_ZIP64
    assert data[-22:].startswith(b"PK\x05\x06") and data[-6:-2] == b"\xff" * 4
    assert data[-42:-38] == b"PK\x06\x07" and data[-98:-94] == b"PK\x06\x06"
    many = _many_members(tmp_path / "c", 65_533).read_bytes()
    assert many[-22 + 8:-22 + 12] == b"\xff\xff\xff\xff"  # both member counts 0xFFFF
    assert many[-42:-38] == b"PK\x06\x07"


class _Counting(io.FileIO):
    """A file that counts the bytes read from it."""

    read_bytes = 0

    def read(self, n: int | None = -1) -> bytes:
        data = super().read(n)
        self.read_bytes += len(data or b"")
        return data or b""


@pytest.mark.parametrize("metadata_first", [True, False])
def test_reads_only_the_end_and_the_member(tmp_path: Path, metadata_first: bool) -> None:
    """A big wheel costs a few small reads: not a pass over the file."""
    members = [("demo/blob.bin", random.Random(2).randbytes(8 << 20)), *_members()]
    path = _zip(tmp_path, members[::-1] if metadata_first else members)
    with _Counting(path) as f:
        assert wheel_metadata(f, path.stat().st_size, NAME) == META  # type: ignore[arg-type]
        assert f.read_bytes < 64 << 10


def test_deviation_member_data_past_the_end(tmp_path: Path) -> None:
    """The known kind of archive read_wheel reads and wheel_metadata refuses: a member whose
    data is said to run past the end of the file (zipfile reads what is there, and the
    bytes it gets match the CRC-32, because only the declared size is kept)."""
    path = _zip(tmp_path, [_members()[i] for i in (0, 2, 1)], method=zipfile.ZIP_STORED)
    _patch(path, _set_central(_M, 20, "<I", 10_000_000))
    assert read_wheel(path).metadata == META
    data = path.read_bytes()
    with pytest.raises(WheelError, match="METADATA's data runs past the end of the file"):
        wheel_metadata(io.BytesIO(data), len(data), NAME)


def test_size_longer_than_the_file(tmp_path: Path) -> None:
    data = _zip(tmp_path, _members()).read_bytes()
    with pytest.raises(WheelError, match=f"{NAME}: the file is shorter than the "):
        wheel_metadata(io.BytesIO(data), len(data) + 1, NAME)


def _corpus(tmp: Path, count: int) -> Iterator[tuple[Path, bytes]]:
    """*count* varied wheels: names, versions, METADATA sizes, layouts, zip features."""
    rng = random.Random(658)
    for i in range(count):
        name = rng.choice(["demo", "Demo.Pkg", "a_b-c", "x"]) + str(i)
        version = rng.choice(["1.0", "2.0.post1", "0.1a2", "10!3.4.5", "1.0+local.7"])
        description = "".join(rng.choice("abc \n\u00e9\u4e2d") for _ in range(rng.choice(
            [0, 10, 3000, 70_000])))
        metadata = (metadata_text(name, version, dependencies=["idna"] * rng.randrange(3))
                    + description).encode()
        dist = name.lower().replace(".", "_").replace("-", "_")
        members = _members(metadata, f"{dist}-{version}.dist-info")
        others = rng.choice([0, 1, 5, 300])
        members += [(f"{dist}/f{j}.py", rng.randbytes(rng.choice([0, 100, 20_000 // others])))
                    for j in range(others)]
        rng.shuffle(members)
        path = _zip(tmp / str(i), members, filename=f"{dist}-{version}-py3-none-any.whl",
                    method=rng.choice([zipfile.ZIP_DEFLATED] * 5 + [zipfile.ZIP_STORED] * 2
                                      + [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]),
                    comment=rng.choice([b"", b"", b"comment " * rng.randrange(9000)]),
                    prefix=rng.choice([b"", b"", b"", b"stub" * rng.randrange(1000)]),
                    stream=rng.random() < 0.3, force_zip64=rng.random() < 0.2)
        yield path, metadata


def test_agrees_with_read_wheel_on_a_corpus(tmp_path: Path) -> None:
    for path, metadata in _corpus(tmp_path, 150):
        assert read_wheel(path).metadata == metadata, path
        data = path.read_bytes()
        assert wheel_metadata(io.BytesIO(data), len(data), path.name) == metadata, path


def _verdict(read: Callable[[], bytes],
             catch: type[Exception] = WheelError) -> bytes | Exception:
    """What *read* gives; our readers may raise WheelError only (anything else would be a
    traceback for the user), zipfile itself anything (*catch*: Exception)."""
    try:
        return read()
    except catch as e:
        return e


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_agrees_with_read_wheel_on_every_corruption(tmp_path: Path, method: int) -> None:
    """Every byte of a small wheel flipped, and every cut: where read_wheel reads METADATA,
    wheel_metadata reads the same bytes; where not, it refuses with a WheelError, or reads
    what zipfile would without the checks of the whole archive that only read_wheel makes."""
    good = _zip(tmp_path, _members(), method=method).read_bytes()
    mutants = [good[:i] for i in range(len(good))]
    for xor in (0x01, 0x80, 0xFF):
        mutants += [good[:i] + bytes([good[i] ^ xor]) + good[i + 1:] for i in range(len(good))]
    path = tmp_path / NAME
    agreed = 0
    for data in mutants:
        path.write_bytes(data)
        expected = _verdict(lambda: read_wheel(path).metadata)
        got = _verdict(lambda: wheel_metadata(io.BytesIO(data), len(data), NAME))  # noqa: B023
        assert isinstance(got, bytes | WheelError), (data, got)
        if isinstance(expected, bytes):
            assert got == expected, (data, got)
            agreed += 1
        elif isinstance(got, bytes):  # zipfile, if it can read the member, reads the same
            alone = _verdict(lambda: _zipfile_metadata(path), Exception)
            assert not isinstance(alone, bytes) or got == alone, (data, got)
    assert agreed > len(good)  # the flips in the other members' data, at least


def test_io_is_any_binary_file(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, "demo", "1.0", dependencies=["idna<4,>=2.5"])
    f: BinaryIO
    with path.open("rb", buffering=0) as f:
        assert wheel_metadata(f, path.stat().st_size, NAME) == META

"""Safe wheel reading: good wheels agree with the stdlib's reader, bad ones are refused.

One table of bad wheels serves both readers: :func:`read_wheel` refuses every one, and
:func:`wheel_metadata` (publish's) refuses, in the same words, those whose archive or
``.dist-info`` directory is wrong, and returns METADATA as stored from the others.
"""

from __future__ import annotations

import base64
import importlib.metadata
import io
import shutil
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import parse_tag
from packaging.version import Version

from ipwhl_checks.errors import WheelError
from ipwhl_checks.sources.wheel import read_wheel, wheel_metadata

from .wheelmaker import make_wheel, metadata_text

DATA = Path(__file__).parent / "data" / "wheels"


def _zip(directory: Path, filename: str, members: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def _claims_huge(tmp: Path) -> Path:
    """A wheel whose central directory says a member unpacks to 3.75 GiB (it is 5 KB)."""
    path = make_wheel(tmp, "demo", "1.0", files={"demo/data.bin": bytes(5000)})
    data = bytearray(path.read_bytes())
    # APPNOTE 4.3.12: central directory header, uncompressed size at offset 24.
    at = data.find(b"PK\x01\x02")
    while data[at + 46:at + 46 + 13] != b"demo/data.bin":
        at = data.find(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", data, at + 24, 0xF0000000)
    path.write_bytes(bytes(data))
    return path


_WHEEL = "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
_META = metadata_text("demo", "1.0")


def test_reads_what_the_stdlib_reads(tmp_path: Path) -> None:
    deps = ["idna<4,>=2.5", 'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
            'colorama; sys_platform == "win32"']
    path = make_wheel(tmp_path, "Demo.Pkg", "1.0.post1", tag="cp312-cp312-manylinux_2_28_x86_64",
                      requires_python=">=3.9", dependencies=deps, extras=["Socks", "dev"])
    info = read_wheel(path)
    # The independent reader: importlib.metadata over the archive, never extracted.
    dist = importlib.metadata.PathDistribution(
        zipfile.Path(path, "demo_pkg-1.0.post1.dist-info/"))  # type: ignore[arg-type]
    assert info.name == dist.metadata["Name"] == "Demo.Pkg"
    assert info.project == "demo-pkg"
    assert info.version == Version(dist.version) == Version("1.0.post1")
    assert info.requires_python == SpecifierSet(dist.metadata["Requires-Python"])
    assert info.dependencies == tuple(Requirement(r) for r in dist.requires or [])
    assert info.extras == ("dev", "socks")
    assert info.tags == parse_tag("cp312-cp312-manylinux_2_28_x86_64")
    assert info.metadata.decode() == dist.read_text("METADATA")


def test_compressed_tag_set(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, "demo", "2", tag="py2.py3-none-any")
    assert read_wheel(path).tags == parse_tag("py2.py3-none-any")


def _copy(name: str, filename: str = "demo-1.0-py3-none-any.whl") -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        return Path(shutil.copy(DATA / name / filename, tmp / filename))
    return build


def _set_central(path: Path, member: str, offset: int, value: int, fmt: str = "<I") -> Path:
    """Set a field of *member*'s central directory entry (APPNOTE 4.3.12 offsets)."""
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x01\x02", 0, data.rfind(member.encode()))
    struct.pack_into(fmt, data, at + offset, value)
    path.write_bytes(bytes(data))
    return path


def _unpacks_to_more(tmp: Path) -> Path:
    """bigmeta's METADATA (8 MiB unpacked) said to unpack to 1000 bytes, under the limit."""
    return _set_central(_copy("bigmeta")(tmp), "dist-info/METADATA", 24, 1000)


_N = "demo-1.0-py3-none-any.whl"
_M = "demo-1.0.dist-info/METADATA"

# (id, builder, the start of read_wheel's message, whether wheel_metadata refuses it too)
BAD: list[tuple[str, Callable[[Path], Path], str, bool]] = [
    ("corrupt zip", _copy("corrupt"),
     f"{_N}: not a zip archive, or a corrupt one (File is not a zip file)", True),
    ("sdist", _copy("sdist", "demo-1.0.tar.gz"),
     "demo-1.0.tar.gz: not a wheel file name (Invalid wheel filename (extension must be "
     "'.whl'): 'demo-1.0.tar.gz')", True),
    ("sdist renamed", _copy("sdist"),
     f"{_N}: not a zip archive, or a corrupt one (File is not a zip file)", True),
    ("overlap bomb", _copy("bomb"), f"{_N}: zip bomb (overlapping members), refused", True),
    ("claims to unpack to 3.75 GiB", _claims_huge, f"{_N}: zip bomb (claims 4026532", True),
    ("huge METADATA", _copy("bigmeta"),
     f"{_N}: {_M} is 8388655 bytes, more than the 4194304-byte limit (zip bomb?)", True),
    ("METADATA unpacks to more than it says", _unpacks_to_more,  # (only 1000 bytes unpacked)
     f"{_N}: not a zip archive, or a corrupt one (Bad CRC-32 for file '{_M}')", True),
    ("two dist-info", lambda t: _zip(t, _N, {
        "demo-1.0.dist-info/WHEEL": _WHEEL, _M: _META, "other-1.0.dist-info/METADATA": _META}),
     f"{_N}: expected exactly one .dist-info directory, found 'demo-1.0.dist-info', "
     "'other-1.0.dist-info'", True),
    ("no dist-info", lambda t: _zip(t, _N, {"demo/__init__.py": ""}),
     f"{_N}: expected exactly one .dist-info directory, found none", True),
    ("dist-info of another version", lambda t: _zip(t, _N, {
        "demo-1.1.dist-info/WHEEL": _WHEEL, "demo-1.1.dist-info/METADATA": _META}),
     f"{_N}: .dist-info directory 'demo-1.1.dist-info' does not match the file name", True),
    ("METADATA encrypted (flag bit 0)", lambda t: _set_central(
        make_wheel(t, "demo", "1.0"), _M, 8, 1, "<H"), f"{_N}: {_M} is encrypted", True),
    ("METADATA strongly encrypted (flag bit 6)", lambda t: _set_central(
        make_wheel(t, "demo", "1.0"), _M, 8, 1 << 6, "<H"), f"{_N}: {_M} is encrypted", True),
    ("no METADATA", lambda t: _zip(t, _N, {"demo-1.0.dist-info/WHEEL": _WHEEL}),
     f"{_N}: no {_M}", True),
    ("no WHEEL", lambda t: _zip(t, _N, {_M: _META}),
     f"{_N}: no demo-1.0.dist-info/WHEEL", False),
    ("Wheel-Version 2", lambda t: _zip(t, _N, {
        "demo-1.0.dist-info/WHEEL": _WHEEL.replace("1.0", "2.0"), _M: _META}),
     f"{_N}: Wheel-Version '2.0', expected 1.x", False),
    ("WHEEL tags differ", lambda t: make_wheel(t, "demo", "1.0", wheel_tags=["py2-none-any"]),
     f"{_N}: WHEEL tags (py2-none-any) differ from the file name's", False),
    ("METADATA names another project", lambda t: make_wheel(
        t, "demo", "1.0", metadata=metadata_text("other", "1.0")),
     f"{_N}: METADATA Name 'other' does not match the file name", False),
    ("METADATA has another version", lambda t: make_wheel(
        t, "demo", "1.0", metadata=metadata_text("demo", "1.0.1")),
     f"{_N}: METADATA Version '1.0.1' does not match the file name", False),
    ("bad Requires-Dist", lambda t: make_wheel(t, "demo", "1.0", dependencies=["idna<<4"]),
     f"{_N}: invalid Requires-Dist 'idna<<4'", False),
    ("bad Requires-Python", lambda t: make_wheel(t, "demo", "1.0", requires_python=">=3.x"),
     f"{_N}: invalid Requires-Python '>=3.x'", False),
]


@pytest.mark.parametrize(("build", "message", "archive"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_bad_wheels_are_refused(tmp_path: Path, build: Callable[[Path], Path], message: str,
                                archive: bool) -> None:
    path = build(tmp_path)
    with pytest.raises(WheelError) as e:
        read_wheel(path)
    assert str(e.value).startswith(message)
    assert list(tmp_path.iterdir()) == [path]  # nothing extracted next to it
    size = path.stat().st_size
    with path.open("rb") as f:
        if archive:
            with pytest.raises(WheelError) as again:
                wheel_metadata(f, size, path.name)
            assert str(again.value) == str(e.value)
        else:  # its METADATA is read as stored: parsing it is read_wheel's business
            assert wheel_metadata(f, size, path.name) == _stored(path, _M)


def _stored(path: Path, member: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)


# Written by Info-ZIP's zip 3.0 (an independent zip writer) with ``TZ=UTC zip -q -X -fz
# NAME demo/__init__.py demo-1.0.dist-info/METADATA demo-1.0.dist-info/WHEEL``: -fz forces
# zip64 (APPNOTE 4.5.3 extra fields, 4.3.14 and 4.3.15 end records); METADATA is deflated.
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


def _infozip(tmp: Path) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / _N
    path.write_bytes(INFOZIP_ZIP64)
    return path


def _written(tmp: Path, *, method: int = zipfile.ZIP_DEFLATED, prefix: bytes = b"",
             comment: bytes = b"", stream: bool = False, metadata: str | bytes = _META) -> Path:
    """A wheel of _META written by zipfile in a given way; *stream*: to a file it cannot
    seek back in, so every member has a data descriptor (APPNOTE 4.3.9, flag bit 3)."""
    class Unseekable(io.BytesIO):
        def seekable(self) -> bool:
            return False
    buf = Unseekable() if stream else io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for member, text in (("demo/__init__.py", ""), (_M, metadata),
                             ("demo-1.0.dist-info/WHEEL", _WHEEL)):
            zf.writestr(zipfile.ZipInfo(member, (2020, 1, 1, 0, 0, 0)), text, method)
        zf.comment = comment
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / _N
    path.write_bytes(prefix + buf.getvalue())
    return path


# (id, builder, the METADATA it holds): both readers read exactly these bytes.
GOOD: list[tuple[str, Callable[[Path], Path], bytes]] = [
    ("wheelmaker (deflated)", lambda t: make_wheel(t, "demo", "1.0"), _META.encode()),
    ("stored", lambda t: _written(t, method=zipfile.ZIP_STORED), _META.encode()),
    ("zip64 by Info-ZIP (zip -fz)", _infozip, INFOZIP_METADATA),
    ("data descriptors", lambda t: _written(t, stream=True), _META.encode()),
    ("a stub before the archive", lambda t: _written(t, prefix=b"#!/bin/sh\n" * 99),
     _META.encode()),
    ("64 KiB zip comment", lambda t: _written(t, comment=b"c" * 0xFFFF), _META.encode()),
    ("bzip2", lambda t: _written(t, method=zipfile.ZIP_BZIP2), _META.encode()),
    ("lzma", lambda t: _written(t, method=zipfile.ZIP_LZMA), _META.encode()),
]


@pytest.mark.parametrize(("build", "metadata"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_both_readers_read_the_metadata_written(tmp_path: Path, build: Callable[[Path], Path],
                                                metadata: bytes) -> None:
    path = build(tmp_path)
    assert read_wheel(path).metadata == metadata
    data = path.read_bytes()
    assert wheel_metadata(io.BytesIO(data), len(data), _N) == metadata
    with path.open("rb", buffering=0) as f:  # any seekable binary file, left open
        assert wheel_metadata(f, len(data), _N) == metadata
        assert not f.closed


def test_wheel_metadata_names_the_file_not_the_path(tmp_path: Path) -> None:
    """publish reads a wheel from the cache under its declared name."""
    path = _copy("corrupt")(tmp_path)
    with path.open("rb") as f, pytest.raises(WheelError) as e:
        wheel_metadata(f, path.stat().st_size, "x-2-py3-none-any.whl")
    assert str(e.value) == ("x-2-py3-none-any.whl: not a zip archive, or a corrupt one (File is "
                            "not a zip file)")


def _says_1000_bytes(tmp: Path, method: int) -> Path:
    """A wheel whose METADATA (16 MiB of zeros, a few KB compressed) is said to be 1000
    bytes: zipfile cuts it there, and refuses it for its CRC-32 (that of 16 MiB)."""
    return _set_central(_written(tmp, method=method, metadata=bytes(16 << 20)), _M, 24, 1000)


def _refusal_and_peak(read: Callable[[], object]) -> tuple[str, int]:
    """What *read* raises and the most memory it held at once (traced by tracemalloc)."""
    tracemalloc.start()
    try:
        with pytest.raises(WheelError) as e:
            read()
        return str(e.value), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA],
                         ids=["deflate", "bzip2", "lzma"])
def test_no_more_than_the_declared_size_is_unpacked(tmp_path: Path, method: int) -> None:
    """The size limit is on the bytes actually unpacked: zipfile unpacks a bzip2 or LZMA
    chunk whole (16 MiB here; a few KB of bzip2 hold gigabytes), so those are capped apart."""
    path = _says_1000_bytes(tmp_path, method)
    size = path.stat().st_size
    with path.open("rb") as f:
        readers = [lambda: read_wheel(path), lambda: wheel_metadata(f, size, _N)]
        for message, peak in map(_refusal_and_peak, readers):
            assert message == (f"{_N}: not a zip archive, or a corrupt one (Bad CRC-32 for "
                               f"file '{_M}')")
            # (LZMA's dictionary is allocated whole: 8 MiB as zipfile writes it)
            assert peak < (1 << 20) + (8 << 20 if method == zipfile.ZIP_LZMA else 0)


def _verdict(read: Callable[[], bytes]) -> bytes | Exception:
    try:
        return read()
    except Exception as e:  # (anything but a WheelError fails the test below)
        return e


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                    zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA],
                         ids=["stored", "deflate", "bzip2", "lzma"])
def test_every_corruption_is_a_wheel_error(tmp_path: Path, method: int) -> None:
    """Every cut of a small wheel, and every byte of it changed: each reader gives METADATA
    or a WheelError (a message, not a traceback), and wheel_metadata gives what read_wheel
    gives wherever read_wheel reads it."""
    good = _written(tmp_path, method=method).read_bytes()
    mutants = [good[:i] for i in range(len(good))]
    for xor in (0x01, 0xFF):
        mutants += [good[:i] + bytes([good[i] ^ xor]) + good[i + 1:] for i in range(len(good))]
    path = tmp_path / _N
    agreed = 0
    for data in mutants:
        path.write_bytes(data)
        expected = _verdict(lambda: read_wheel(path).metadata)
        got = _verdict(lambda: wheel_metadata(io.BytesIO(data), len(data), _N))  # noqa: B023
        assert isinstance(expected, bytes | WheelError), (data, expected)
        assert isinstance(got, bytes | WheelError), (data, got)
        if isinstance(expected, bytes):
            assert got == expected, (data, got)
            agreed += 1
    assert agreed > len(good) // 2  # (changes to what neither reader looks at: times...)

"""Safe wheel reading: good wheels agree with the stdlib's reader, bad ones are refused."""

from __future__ import annotations

import importlib.metadata
import shutil
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import parse_tag
from packaging.version import Version

from ipwhl_checks.errors import WheelError
from ipwhl_checks.sources.wheel import read_wheel

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


BAD: list[tuple[str, Callable[[Path], Path], str]] = [
    ("corrupt zip", _copy("corrupt"),
     "demo-1.0-py3-none-any.whl: not a zip archive, or a corrupt one (File is not a zip file)"),
    ("sdist", _copy("sdist", "demo-1.0.tar.gz"),
     "demo-1.0.tar.gz: not a wheel file name (Invalid wheel filename (extension must be "
     "'.whl'): 'demo-1.0.tar.gz')"),
    ("sdist renamed", _copy("sdist"),
     "demo-1.0-py3-none-any.whl: not a zip archive, or a corrupt one (File is not a zip file)"),
    ("overlap bomb", _copy("bomb"),
     "demo-1.0-py3-none-any.whl: zip bomb (overlapping members), refused"),
    ("claims to unpack to 3.75 GiB", _claims_huge,
     "demo-1.0-py3-none-any.whl: zip bomb (claims 4026532"),
    ("huge METADATA", _copy("bigmeta"),
     "demo-1.0-py3-none-any.whl: demo-1.0.dist-info/METADATA is 8388655 bytes, more than "
     "the 4194304-byte limit (zip bomb?)"),
    ("two dist-info", lambda t: _zip(t, "demo-1.0-py3-none-any.whl", {
        "demo-1.0.dist-info/WHEEL": _WHEEL, "demo-1.0.dist-info/METADATA": _META,
        "other-1.0.dist-info/METADATA": _META}),
     "demo-1.0-py3-none-any.whl: expected exactly one .dist-info directory, found "
     "'demo-1.0.dist-info', 'other-1.0.dist-info'"),
    ("no dist-info", lambda t: _zip(t, "demo-1.0-py3-none-any.whl", {"demo/__init__.py": ""}),
     "demo-1.0-py3-none-any.whl: expected exactly one .dist-info directory, found none"),
    ("dist-info of another version", lambda t: _zip(t, "demo-1.0-py3-none-any.whl", {
        "demo-1.1.dist-info/WHEEL": _WHEEL, "demo-1.1.dist-info/METADATA": _META}),
     "demo-1.0-py3-none-any.whl: .dist-info directory 'demo-1.1.dist-info' does not match "
     "the file name"),
    ("no WHEEL", lambda t: _zip(t, "demo-1.0-py3-none-any.whl", {
        "demo-1.0.dist-info/METADATA": _META}),
     "demo-1.0-py3-none-any.whl: no demo-1.0.dist-info/WHEEL"),
    ("Wheel-Version 2", lambda t: _zip(t, "demo-1.0-py3-none-any.whl", {
        "demo-1.0.dist-info/WHEEL": _WHEEL.replace("1.0", "2.0"),
        "demo-1.0.dist-info/METADATA": _META}),
     "demo-1.0-py3-none-any.whl: Wheel-Version '2.0', expected 1.x"),
    ("WHEEL tags differ", lambda t: make_wheel(t, "demo", "1.0", wheel_tags=["py2-none-any"]),
     "demo-1.0-py3-none-any.whl: WHEEL tags (py2-none-any) differ from the file name's"),
    ("METADATA names another project", lambda t: make_wheel(
        t, "demo", "1.0", metadata=metadata_text("other", "1.0")),
     "demo-1.0-py3-none-any.whl: METADATA Name 'other' does not match the file name"),
    ("METADATA has another version", lambda t: make_wheel(
        t, "demo", "1.0", metadata=metadata_text("demo", "1.0.1")),
     "demo-1.0-py3-none-any.whl: METADATA Version '1.0.1' does not match the file name"),
    ("bad Requires-Dist", lambda t: make_wheel(t, "demo", "1.0", dependencies=["idna<<4"]),
     "demo-1.0-py3-none-any.whl: invalid Requires-Dist 'idna<<4'"),
    ("bad Requires-Python", lambda t: make_wheel(t, "demo", "1.0", requires_python=">=3.x"),
     "demo-1.0-py3-none-any.whl: invalid Requires-Python '>=3.x'"),
]


@pytest.mark.parametrize(("build", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_wheels_are_refused(tmp_path: Path, build: Callable[[Path], Path],
                                message: str) -> None:
    path = build(tmp_path)
    with pytest.raises(WheelError) as e:
        read_wheel(path)
    assert str(e.value).startswith(message)
    assert list(tmp_path.iterdir()) == [path]  # nothing extracted next to it

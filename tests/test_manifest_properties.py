"""Properties of the manifest reader, on inputs hypothesis makes.

* Whatever the bytes (arbitrary, arbitrary JSON, a valid manifest mutated), every reader
  gives a value or a one-line :class:`PublishError`, never another exception, within a
  deadline.
* The line reader (the canonical layout's patterns) and the plain reader (``json`` and a
  check of each field) agree: same value, or the same message.  Valid manifests are made
  from parts that exercise the patterns (file names in and out of the canonical form,
  CIDv0 and CIDv1, requirements with quotes and escapes, sizes at the bounds).
* The shortcuts the reader takes agree with the checks they stand for: a wheel file name
  looked up by its tail with ``parse_wheel_filename``; the CID pattern and the CIDv0 range
  with :func:`~ipwhl_checks.ipld.cid.parse_cid`.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from ipwhl_checks.errors import PublishError
from ipwhl_checks.ipld.cid import parse_cid
from ipwhl_checks.publish import manifest as M
from ipwhl_checks.publish.manifest import Lines, Reader, manifest_bytes, parse_manifest
from ipwhl_checks.publish.previous import Previous, read_previous

from .manifests import canonical_layout, demo_manifest, sample_manifest

# a deadline for every example: bounded time whatever the input
PROPERTY = settings(deadline=2000, max_examples=300,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

VALID = manifest_bytes(sample_manifest(6))


def outcome(read: Callable[[bytes, str], object], data: bytes) -> object:
    """What *read* gives for *data*: its value, or its error's message (one line)."""
    try:
        return read(data, "m.json")
    except PublishError as e:
        message = str(e)
        assert message.startswith("m.json: invalid manifest (") and message.endswith(")")
        assert "\n" not in message and "\r" not in message
        return message


def plain_lines(data: bytes, where: str) -> Lines:
    """:meth:`Reader.lines` without the line reader: the plain reader's answer."""
    reader = Reader(where)
    return reader._lines_of(reader.manifest(data))


def line_lines(data: bytes, where: str) -> Lines:
    return Reader(where).lines(data)


def comparable(lines: object) -> object:
    """A :class:`Lines` as values: its header, canonical bytes, each line's fields."""
    if not isinstance(lines, Lines):
        return lines
    return (lines.header, lines.text, [(p.name, p.cid, p.dag_size, p.declarations, p.line)
                                       for p in lines.projects.values()])


def agree(data: bytes) -> object:
    """Every reader's outcome for *data*; they must be the same (so a manifest the line
    reader accepts is byte for byte the plain reader's canonical rendering of it)."""
    plain = outcome(plain_lines, data)
    assert comparable(outcome(line_lines, data)) == comparable(plain)
    by_lines = Reader("m.json")._canonical_lines(data) is not None
    event("read line by line" if by_lines else "valid, read by the plain reader"
          if isinstance(plain, Lines) else "invalid")
    manifest = outcome(parse_manifest, data)
    previous = outcome(read_previous, data)
    if isinstance(plain, str):
        assert manifest == previous == plain
    else:
        assert isinstance(manifest, M.Manifest) and isinstance(previous, Previous)
        for project in manifest.projects:
            assert previous.entry(project.name) == project
    return plain


# ---- any input ------------------------------------------------------------------------

@PROPERTY
@given(st.binary(max_size=2000))
@example(b"")
@example(b"\xff\xfe{}")
@example(b"[" * 100_000)
@example(b"[" * 100_000 + b"]" * 100_000)
@example(VALID.replace(b"}", b"\0}", 1))
def test_arbitrary_bytes(data: bytes) -> None:
    agree(data)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=30)
# values a field of a valid manifest is replaced with, besides any JSON: near misses
_FIELD_VALUES = ["1.0", -1, 2**63, 2**63 - 1, 1.5, True, None, "", "sha256:" + "a" * 64,
                 "a" * 64, "A" * 64, ">=3.8", ["socks"], ["dep>=1 ;;; bad"], "../../evil",
                 "QmNLei78zWmzUdbeRB3CiUfAizWUrbeeZh5K1rhAQKCh51", "unixfs-v0-2015"]


@PROPERTY
@given(JSON)
def test_arbitrary_json(value: object) -> None:
    for data in (json.dumps(value).encode(), json.dumps(value, ensure_ascii=False).encode()):
        agree(data)


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into JSON *value*."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _nodes(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _nodes(child, (*path, i))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: object) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def _laid_out(raw: object) -> bytes:
    if isinstance(raw, dict):
        try:
            return canonical_layout(raw)
        except TypeError:  # (a key that is not a string: JSON objects have none)
            pass
    return json.dumps(raw).encode()


@PROPERTY
@given(st.data())
def test_a_field_of_a_valid_manifest_replaced(data: st.DataObject) -> None:
    raw = json.loads(VALID)
    path = data.draw(st.sampled_from(_nodes(raw)))
    new = data.draw(JSON | st.sampled_from(_FIELD_VALUES))
    agree(_laid_out(_replaced(raw, path, new)))


@PROPERTY
@given(st.data())
def test_bytes_of_a_valid_manifest_changed(data: st.DataObject) -> None:
    base = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(base)))
        how = data.draw(st.sampled_from(["flip", "delete", "insert", "copy"]))
        if how == "flip" and at < len(base):
            base[at] ^= data.draw(st.integers(1, 255))
        elif how == "delete":
            del base[at:at + data.draw(st.integers(1, 40))]
        elif how == "insert":
            base[at:at] = data.draw(st.binary(min_size=1, max_size=8)
                                    | st.sampled_from([b'"', b",", b"\\", b"}", b"\n", b"0"]))
        else:
            start = data.draw(st.integers(0, len(base)))
            base[at:at] = base[start:start + data.draw(st.integers(1, 200))]
    agree(bytes(base))


# ---- valid manifests, from parts that exercise the patterns -----------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58(raw: bytes) -> str:
    n, digits = int.from_bytes(raw, "big"), []
    while n:
        n, r = divmod(n, 58)
        digits.append(_B58[r])
    return "".join(reversed(digits))


def _v1(codec: int, digest: bytes) -> str:
    return "b" + base64.b32encode(bytes([1, codec, 0x12, 0x20]) + digest).decode() \
        .lower().rstrip("=")


CIDS = st.builds(lambda kind, digest: _v1(0x55, digest) if kind == "raw" else
                 _v1(0x70, digest) if kind == "dag-pb" else _base58(b"\x12\x20" + digest),
                 st.sampled_from(["raw", "dag-pb", "v0"]), st.binary(min_size=32, max_size=32))
SIZES = st.integers(0, 2000) | st.integers(0, 10**17)
BIG_SIZES = SIZES | st.sampled_from([10**18 - 1, 10**18, 2**63 - 1])  # (bounds of the patterns)
SHA256 = st.binary(min_size=32, max_size=32).map(bytes.hex)
NAMES = st.from_regex(r"[a-z0-9]{1,3}(-[a-z0-9]{1,2}){0,2}", fullmatch=True)
# (most of them normalized, as a publish writes them; the last three are not)
VERSIONS = st.sampled_from(["1.0", "2.0.1", "1.0.post1", "1!2.0", "1.0+local.7", "0.3rc1"]) \
    | st.sampled_from(["01.0", "1.0.0", "1.0-1"])
TAGS = st.sampled_from(["py3-none-any", "py2.py3-none-any", "cp312-cp312-win_amd64",
                        "cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64",
                        "1-py3-none-any", "7local-py3-none-any"]) \
    | st.sampled_from(["py3-none-any-x", "py3-none", "x1-py3-none-any"])
REQUIREMENTS = st.sampled_from([
    "idna<4,>=2.5", 'PySocks!=1.5.7,>=1.5.6; extra == "socks"', "a[b]>=1",
    'x; python_version < "3.12" and extra == "y"', 'y; extra == "a\\\\b"']) \
    | st.sampled_from(["dep>=1 ;;; bad", "back\\slash", "caf\u00e9", "quote\"d"])
EXTRAS = st.sampled_from(["socks", "http2", "x-y"]) | st.sampled_from(["Socks", "a_b"])
SPECIFIERS = st.sampled_from([">=3.8", "<4,>=3.9", "", "==3.*"]) | st.none() \
    | st.just(">=3.x")
SOURCES = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12) \
    | st.text(max_size=5)


@st.composite
def wheel_file_names(draw: st.DrawFn, project: str) -> tuple[str, str]:
    """(a file name of a wheel of *project*, the version field for it)."""
    version = draw(VERSIONS)
    stem = project.replace("-", "_") if draw(st.booleans()) else draw(st.sampled_from([
        project.replace("-", ".").upper(), project.replace("-", "__"), project + "x"]))
    filename = f"{stem}-{version}-{draw(TAGS)}.whl"
    field = version if draw(st.integers(0, 3)) else re.sub(r"^0|\.0$", "", version)
    return filename, field


def _file(draw: st.DrawFn, sizes: st.SearchStrategy[int]) -> dict[str, Any]:
    return {"cid": draw(CIDS), "size": draw(sizes), "dag-size": draw(sizes),
            "sha256": draw(SHA256)}


@st.composite
def manifests(draw: st.DrawFn) -> bytes:
    """A manifest in the canonical layout, most of the time a valid one."""
    projects: dict[str, Any] = {}
    sizes = BIG_SIZES if draw(st.integers(0, 4)) == 0 else SIZES
    for name in draw(st.lists(NAMES, min_size=draw(st.sampled_from([0, 1, 1, 1])), max_size=4,
                              unique=True)):
        wheels = {}
        for _ in range(draw(st.integers(0, 3))):
            filename, version = draw(wheel_file_names(name))
            wheels[filename] = {
                "version": version, **_file(draw, sizes), "metadata": _file(draw, sizes),
                "requires-python": draw(SPECIFIERS),
                "extras": draw(st.lists(EXTRAS, max_size=2)),
                "dependencies": draw(st.lists(REQUIREMENTS, max_size=3)),
                "source": draw(SOURCES),
                "declaration": "sha256:" + draw(SHA256)}
        projects[name] = {"cid": draw(CIDS), "dag-size": draw(sizes),
                          "declarations": "sha256:" + draw(SHA256), "index": _file(draw, sizes),
                          "wheels": wheels}
    wheel_sizes = [w["size"] for p in projects.values() for w in p["wheels"].values()]
    raw = {"format": M.FORMAT, "layout": M.LAYOUT,
           "profile": draw(st.sampled_from(["unixfs-v1-2025", "unixfs-v0-2015"])),
           "source-commit": draw(st.none() | st.just("0" * 40) | st.just("ab" * 32)),
           "index": _file(draw, sizes),
           "totals": {"projects": len(projects), "wheels": len(wheel_sizes),
                      "bytes": sum(wheel_sizes)},
           "projects": projects}
    return canonical_layout(raw)


@settings(PROPERTY, max_examples=500)
@given(manifests())
@example(manifest_bytes(demo_manifest()))
def test_the_line_reader_agrees_with_the_plain_reader(data: bytes) -> None:
    agree(data)


def test_valid_manifests_are_read_line_by_line() -> None:
    """(The line reader is the one the agreement is about: it reads these.)"""
    for data in (VALID, manifest_bytes(demo_manifest())):
        assert Reader("m.json")._canonical_lines(data) is not None


# ---- the shortcuts ----------------------------------------------------------------------

def _wheel_version(reader: Reader, filename: str, project: str) -> str:
    try:
        return reader.wheel_version(filename, project, "w")
    except PublishError as e:
        return str(e)


@PROPERTY
@given(NAMES, st.lists(st.tuples(NAMES, st.data()), min_size=1, max_size=6))
def test_a_file_name_looked_up_by_its_tail_is_checked_as_in_full(
        project: str, others: list[tuple[str, st.DataObject]]) -> None:
    """Whatever names a reader has seen, its verdict on a name is a fresh reader's."""
    warm = Reader("r")
    names = [(name, data.draw(wheel_file_names(name))[0]) for name, data in others]
    for name, filename in names:  # remember their tails and versions
        _wheel_version(warm, filename, name)
    for name, filename in [*names, *((project, f) for _, f in names)]:
        assert _wheel_version(warm, filename, name) == _wheel_version(Reader("r"), filename,
                                                                      name)


_CID_PATTERN = re.compile(M._CID)


@PROPERTY
@given(CIDS | st.from_regex(r"b[a-z2-7]{58}|Qm[1-9A-HJ-NP-Za-km-z]{44}", fullmatch=True)
       | st.text(alphabet="abfkreiyQm234567", min_size=46, max_size=59))
def test_the_cid_pattern_accepts_only_cids(text: str) -> None:
    if _CID_PATTERN.fullmatch(text):
        parse_cid(text)  # no ValueError


@PROPERTY
@given(st.binary(min_size=32, max_size=32), st.sampled_from([0x55, 0x70]))
def test_every_cid_kubo_prints_matches_the_pattern(digest: bytes, codec: int) -> None:
    for text in (_v1(codec, digest), _base58(b"\x12\x20" + digest)):
        assert _CID_PATTERN.fullmatch(text)


@PROPERTY
@given(st.text(alphabet=_B58, min_size=44, max_size=44)
       | st.tuples(st.sampled_from([M._V0_LOW, M._V0_HIGH]), st.integers(2, 46),
                   st.text(alphabet=_B58, min_size=44, max_size=44))
       .map(lambda t: t[0][t[1]:] and (t[0][:t[1]] + t[2])[2:46]))
def test_a_cidv0_is_between_the_lowest_and_highest(digits: str) -> None:
    """(Texts near either bound, too: the same start, then anything.)"""
    text = ("Qm" + digits)[:46]
    try:
        parse_cid(text)
        valid = True
    except ValueError:
        valid = False
    assert valid == (M._V0_LOW <= text <= M._V0_HIGH) == bool(_CID_PATTERN.fullmatch(text))


def test_the_range_pattern_matches_exactly_the_range() -> None:
    """Every bound pair over a 4-digit alphabet, every text of 3 digits (not the
    manifest's digits: the construction's, checked against string comparison)."""
    digits = "1Abz"
    texts = ["".join(t) for t in itertools.product(digits, repeat=3)]
    for low, high in itertools.combinations(texts, 2):
        pattern = re.compile(M._between(low, high, digits))
        assert [t for t in texts if pattern.fullmatch(t)] == \
            [t for t in texts if low <= t <= high], (low, high)


def test_the_cidv0_bounds_are_the_lowest_and_highest_digests() -> None:
    assert _base58(b"\x12\x20" + bytes(32)) == M._V0_LOW
    assert _base58(b"\x12\x20" + b"\xff" * 32) == M._V0_HIGH

"""Property tests of every parser of what curators and indexes hand us: declarations, the
settings file, project names and wheel file names, the ``source`` field, index pages (PEP 503
HTML, PEP 691 JSON) and a wheel's METADATA and WHEEL.

Each gives a value or its one error (a problem list, :class:`SettingsError`,
:class:`InvalidWheelFilename`, :class:`DeclarationError`, :class:`DownloadError`,
:class:`WheelError`) in one line, never another exception; a value it gives can be used
by the checks downstream without an exception either.  The last part is a table of the
hostile inputs the properties found or the issue names, each refused at once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.utils import InvalidWheelFilename, canonicalize_name

from ipwhl_checks.errors import DeclarationError, DownloadError, SettingsError, WheelError
from ipwhl_checks.repo.declaration import read_declaration
from ipwhl_checks.repo.layout import (
    MAX_TAGS,
    check_project_name,
    declaration_path,
    locate,
    parse_wheel_name,
)
from ipwhl_checks.repo.settings import parse_settings
from ipwhl_checks.repo.source import parse_source
from ipwhl_checks.sources.simple_index import IndexFile, parse_html, parse_json, project_files
from ipwhl_checks.sources.wheel import read_wheel

PROFILE = "unixfs-v1-2025"
CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
PAGE = "https://index.example/simple/demo/"
ENV = {"implementation_name": "cpython", "implementation_version": "3.12.0",
       "os_name": "nt", "platform_machine": "AMD64", "platform_python_implementation":
       "CPython", "platform_release": "", "platform_system": "Windows",
       "platform_version": "", "python_full_version": "3.12.0", "python_version": "3.12",
       "sys_platform": "win32", "extra": ""}
# Examples of each property (hypothesis stops early for a small search space);
# IPWHL_PROPERTY_EXAMPLES=5000 searches deeper.
EXAMPLES = int(os.environ.get("IPWHL_PROPERTY_EXAMPLES", "400"))

# -- building blocks ------------------------------------------------------------------------

# Characters that look like ASCII letters, or that case-fold to them in some regex modes.
LOOKALIKES = "\u017f\u212a\u0435\u0430\u043e\u0440\u0441\u0131\u0130\u00e9\uff41"
name_chars = st.sampled_from("abcXYZ019._-" + LOOKALIKES)
names = st.one_of(
    st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,12}[A-Za-z0-9])?", fullmatch=True),
    st.text(name_chars, min_size=0, max_size=14),
    st.text(max_size=14),
)
big_numbers = st.integers(4000, 6000).map(lambda n: "1" * n)
versions = st.one_of(
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc)[0-9])?(\.post[0-9])?"
                  r"(\.dev[0-9])?(\+[a-z0-9]{1,4})?", fullmatch=True),
    st.text(st.sampled_from("0123456789.abrcpostdev+!*-_"), max_size=12),
    big_numbers,
)
tag_parts = st.lists(st.from_regex(r"[a-z0-9_]{1,8}", fullmatch=True), min_size=1,
                     max_size=14).map(".".join)
wheel_names = st.one_of(
    st.builds(lambda n, v, b, py, abi, plat: f"{n}-{v}{b}-{py}-{abi}-{plat}.whl",
              names, versions, st.sampled_from(["", "-1", "-1a", "-x", "-"]), tag_parts,
              tag_parts, tag_parts),
    st.text(max_size=40).map(lambda t: t + ".whl"),
    st.text(max_size=40),
)
userinfo = st.one_of(st.just(""), st.from_regex(r"[a-z]{1,6}(:[A-Za-z0-9]{8,12})?@",
                                                 fullmatch=True))
hosts = st.sampled_from(["example.org", "127.0.0.1:8000", "[::1]", "[::1", "h:99999", "",
                         "ex\u0430mple.org", "h\uff0fx"])
sources = st.one_of(
    st.builds(lambda p, f: f"index:{p}/{f}", names, wheel_names),
    st.builds(lambda s, u, h, p, f, q: f"{s}://{u}{h}/{p}{f}{q}",
              st.sampled_from(["https", "http", "file", "ftp", "HTTPS"]), userinfo, hosts,
              st.sampled_from(["", "a/", "%2F/", "x%00/"]), wheel_names,
              st.sampled_from(["", "?sig=1", "#sha256=ab", "?"])),
    st.text(max_size=60),
)
specifiers = st.one_of(
    st.builds(lambda op, v: op + v, st.sampled_from(["", ">=", "==", "~=", "!=", "<",
                                                     "===", ">"]), versions),
    st.text(max_size=20),
)
markers = st.one_of(
    st.builds(lambda k, op, v: f'{k} {op} "{v}"',
              st.sampled_from(["python_version", "os_name", "extra", "sys_platform",
                               "platform_release", "python_full_version"]),
              st.sampled_from(["==", ">=", "<", "in", "not in", "~=", "==="]),
              st.one_of(versions, st.text(max_size=8))),
    st.text(max_size=20),
)
requirements = st.one_of(
    st.builds(lambda n, e, s, m: f"{n}{e}{s}{m}", names,
              st.sampled_from(["", "[a]", "[A_b,c]", "[]"]), specifiers,
              st.one_of(st.just(""), markers.map(lambda m: "; " + m))),
    st.text(max_size=30),
)


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; a lone surrogate is refused)."""
    return json.dumps(text)


toml_values = st.recursive(
    st.one_of(sources.map(toml_string), specifiers.map(toml_string),
              requirements.map(toml_string), st.sampled_from([CID, "Qm", "b"]).map(toml_string),
              st.integers().map(str), st.booleans().map(lambda b: str(b).lower()),
              st.just("1979-05-27T07:32:00Z"), st.just("{a = 1}")),
    lambda inner: st.lists(inner, max_size=4).map(lambda v: "[" + ", ".join(v) + "]"),
    max_leaves=8,
)
keys = st.one_of(st.sampled_from(["source", "content-id", "requires-python", "extras",
                                  "dependencies", "contentid", '"a\\nb"', "[t]\nx"]),
                 st.from_regex(r"[a-z-]{1,10}", fullmatch=True))
declarations = st.one_of(
    st.lists(st.tuples(keys, toml_values), max_size=6).map(
        lambda kv: "".join(f"{k} = {v}\n" for k, v in kv).encode()),
    st.builds(lambda s, e, d: (f"source = {toml_string(s)}\ncontent-id = '{CID}'\n"
                               f"extras = {json.dumps(e)}\ndependencies = {json.dumps(d)}\n"
                               ).encode(), sources, st.lists(names, max_size=3),
              st.lists(requirements, max_size=3)),
    st.binary(max_size=200),
)


def one_line(message: str) -> bool:
    return "\n" not in message and "\r" not in message and len(message) < 2000


def usable(requirement_marker: object) -> None:
    """A marker the parser let through evaluates, or fails as the dependency check expects."""
    from packaging.markers import Marker

    assert isinstance(requirement_marker, Marker)
    with contextlib.suppress(UndefinedComparison, UndefinedEnvironmentName):
        requirement_marker.evaluate(ENV)


# -- declarations -------------------------------------------------------------------------

@settings(max_examples=EXAMPLES, deadline=None)
@given(declarations, wheel_names)
def test_a_declaration_is_fields_or_problems(data: bytes, filename: str) -> None:
    fields, problems = read_declaration(data, PROFILE, filename)
    assert (fields is None) == bool(problems)
    for check, message in problems:
        assert check.startswith("IW1") and one_line(message)
    if fields is not None:
        parse_source(fields.source)  # (the schema parsed it)
        if fields.requires_python is not None:
            fields.requires_python.contains("3.12.0", prereleases=True)
        for requirement in fields.dependencies:
            requirement.specifier.contains("3.12.0", prereleases=True)
            if requirement.marker is not None:
                usable(requirement.marker)


# -- settings -----------------------------------------------------------------------------

platform_names = st.one_of(
    st.builds(lambda k, a, b, arch: f"{k}_{a}_{b}_{arch}",
              st.sampled_from(["manylinux", "musllinux", "macosx"]),
              st.one_of(st.integers(0, 120).map(str), big_numbers, st.just("\u0662")),
              st.one_of(st.integers(0, 120).map(str), big_numbers, st.just("01")),
              st.sampled_from(["x86_64", "arm64", "universal2", "aarch64", "\u0430rm", "a" * 40])),
    st.sampled_from(["win_amd64", "win32", "win_arm64", "linux_x86_64", "any"]),
    st.text(max_size=20),
)
python_names = st.one_of(st.from_regex(r"[0-9]{1,3}\.[0-9]{1,4}(\.[0-9]{1,4})?", fullmatch=True),
                         big_numbers.map(lambda n: "3." + n), st.text(max_size=8))
sizes = st.one_of(  # max-wheel-size lines: bytes, a number and a unit, or neither
    st.one_of(st.integers(-2, 1 << 41).map(str), big_numbers).map(
        lambda n: f"max-wheel-size = {n}\n"),
    st.builds(lambda n, sep, unit: f"max-wheel-size = {toml_string(f'{n}{sep}{unit}')}\n",
              st.one_of(st.integers(0, 1 << 41).map(str), big_numbers, st.just("\u0662")),
              st.sampled_from(["", " ", "  "]),
              st.sampled_from(["B", "kB", "MB", "GB", "KiB", "MiB", "GiB", "mb", "TB", ""])),
)
settings_files = st.one_of(
    st.builds(lambda profile, pys, plats, extra: (
        f"profile = {toml_string(profile)}\npython = {json.dumps(pys)}\n"
        f"platforms = {json.dumps(plats)}\n{extra}").encode(),
        st.sampled_from(["unixfs-v1-2025", "unixfs-v0-2015", "x"]),
        st.lists(python_names, max_size=4), st.lists(platform_names, max_size=4),
        st.one_of(st.sampled_from(["", "extra = 1\n", "python = []\n"]), sizes)),
    st.lists(st.tuples(keys, toml_values), max_size=4).map(
        lambda kv: "".join(f"{k} = {v}\n" for k, v in kv).encode()),
    st.binary(max_size=100),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(settings_files)
def test_a_settings_file_is_settings_or_one_error(data: bytes) -> None:
    start = time.monotonic()
    try:
        found = parse_settings(data, Path("repository.toml"))
    except SettingsError as e:
        assert one_line(str(e))
        return
    assert found.max_wheel_size is None or 0 < found.max_wheel_size <= 1 << 40
    tags = sum(len(env.tags) for env in found.environments)  # what the checks derive
    assert tags < 1_000_000 and time.monotonic() - start < 10


# -- names, wheel file names, places in the tree --------------------------------------------

@settings(max_examples=EXAMPLES, deadline=None)
@given(names)
def test_a_project_name_is_ascii_or_refused(name: str) -> None:
    why = check_project_name(name)
    if why is None:
        assert name.isascii() and name and canonicalize_name(name).isascii()
    else:
        assert one_line(why) and why.isascii()


@settings(max_examples=EXAMPLES, deadline=None)
@given(wheel_names)
def test_a_wheel_name_is_parsed_or_refused(filename: str) -> None:
    try:
        name, _version, _build, tags = parse_wheel_name(filename)
    except InvalidWheelFilename as e:
        assert one_line(str(e))
        with pytest.raises(DeclarationError):
            declaration_path(Path("data"), filename)
        return
    assert check_project_name(name) is None and 0 < len(tags) <= MAX_TAGS
    path = declaration_path(Path("data"), filename)
    location, problems = locate(path.relative_to("data").parts)
    assert problems == [] and location is not None and location.project == name


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.one_of(names, wheel_names.map(lambda f: f.removesuffix(".whl") + ".toml")),
                min_size=1, max_size=4))
def test_any_path_in_the_tree_is_located_or_has_problems(parts: list[str]) -> None:
    location, problems = locate(tuple(parts))
    assert all(one_line(message) for _check, message in problems)
    if location is not None and not problems:
        assert check_project_name(location.project) is None


# -- the source field ---------------------------------------------------------------------

@settings(max_examples=EXAMPLES, deadline=None)
@given(sources)
def test_a_source_is_parsed_or_one_declaration_error(text: str) -> None:
    try:
        source = parse_source(text)
    except DeclarationError as e:
        assert one_line(str(e))
        return
    name = parse_wheel_name(source.filename)[0]
    if source.project is not None:
        assert source.project == name
    else:
        assert source.url == text and "@" not in urlsplit(text).netloc


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from(["https://", "http://", "file://", "HTTP:", "ftp://", "://", ""]),
       st.sampled_from(["", "alice", "a@b", "\uff20"]),
       st.from_regex(r"[A-Za-z0-9]{8,12}", fullmatch=True), hosts,
       st.one_of(wheel_names, st.just("x.whl")))
def test_a_password_in_a_source_is_never_shown(scheme: str, user: str, password: str,
                                               host: str, filename: str) -> None:
    text = f"{scheme}{user}:{password}@{host}/{filename}"
    assume(text.count(password) == 1)
    with pytest.raises(DeclarationError) as caught:
        parse_source(text)
    assert password not in str(caught.value) and one_line(str(caught.value))


# -- index pages --------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=10), sources, wheel_names, specifiers),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12,
)
file_entries = st.dictionaries(
    st.sampled_from(["filename", "url", "hashes", "requires-python", "yanked",
                     "core-metadata", "dist-info-metadata"]),
    st.one_of(json_values, wheel_names, st.sampled_from(["../x.whl", "http://[::1", "//h/"])),
    max_size=7)
json_pages = st.one_of(
    st.lists(file_entries, max_size=5).map(lambda files: json.dumps({"files": files}).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=100),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(json_pages)
def test_a_json_page_is_files_or_one_download_error(body: bytes) -> None:
    try:
        files = parse_json(body, PAGE)
    except DownloadError as e:
        assert one_line(str(e))
        return
    for f in files:
        assert isinstance(f, IndexFile) and isinstance(f.filename, str)
        if f.requires_python is not None:
            f.requires_python.contains("3.12.0", prereleases=True)
        _ = f.wheel


anchors = st.builds(
    lambda href, attrs, text: f"<a href={json.dumps(href)}{attrs}>{text}</a>",
    st.one_of(wheel_names, sources, st.sampled_from(["http://[::1/x.whl", "#", ""])),
    st.lists(st.builds(lambda k, v: f" {k}={json.dumps(v)}",
                       st.sampled_from(["data-requires-python", "data-yanked",
                                        "data-core-metadata", "data-dist-info-metadata"]),
                       st.one_of(specifiers, st.text(max_size=6))), max_size=3).map("".join),
    st.text(max_size=10))
html_pages = st.one_of(
    st.lists(st.one_of(anchors, st.sampled_from(["<base href='http://[::1'>", "<!", "<![",
                                                 "<!--", "</a", "<a", "&#99999999;", "<?"])),
             max_size=6).map("".join),
    st.text(max_size=200),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(html_pages)
def test_an_html_page_is_files_or_one_download_error(text: str) -> None:
    try:
        files = parse_html(text, PAGE)
    except DownloadError as e:
        assert one_line(str(e))
        return
    for f in files:
        if f.requires_python is not None:
            f.requires_python.contains("3.12.0", prereleases=True)
        _ = f.wheel


class _Page:
    """A page getter serving one fixed body (the network is the client's, not tested here)."""

    def __init__(self, content_type: str, body: bytes) -> None:
        self.content_type, self.body = content_type, body

    def get_page(self, url: str, accept: str) -> tuple[str, str, bytes]:
        return url, self.content_type, self.body


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.one_of(json_pages.map(lambda b: ("application/vnd.pypi.simple.v1+json", b)),
                 html_pages.map(lambda t: ("text/html", t.encode("utf-8", "replace")))),
       names)
def test_a_project_page_gives_only_the_projects_wheels(page: tuple[str, bytes],
                                                       project: str) -> None:
    try:
        files = project_files(_Page(*page), "https://index.example/simple/", project)
    except DownloadError as e:
        assert one_line(str(e))
        return
    for f in files:
        if f.filename.endswith(".whl"):
            assert f.wheel is not None and f.wheel[0] == canonicalize_name(project)


# -- a wheel's METADATA and WHEEL -------------------------------------------------------------

metadata_lines = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(
        ["Name", "Version", "Requires-Python", "Requires-Dist", "Provides-Extra",
         "Metadata-Version", "Summary", "X"]),
        st.one_of(names, versions, specifiers, requirements, st.text(max_size=10))),
    st.text(max_size=30),
)
metadata_texts = st.one_of(
    st.lists(metadata_lines, max_size=8).map(lambda lines: "\n".join(lines).encode()),
    st.lists(metadata_lines, max_size=6).map(
        lambda lines: ("Name: demo\nVersion: 1.0\n" + "\n".join(lines) + "\n").encode()),
    st.binary(max_size=200),
)
wheel_texts = st.one_of(
    st.lists(st.one_of(st.just("Wheel-Version: 1.0"), st.just("Tag: py3-none-any"),
                       st.builds(lambda a, b, c: f"Tag: {a}-{b}-{c}", tag_parts, tag_parts,
                                 tag_parts), st.text(max_size=20)),
             max_size=5).map(lambda lines: "\n".join(lines).encode()),
    st.binary(max_size=100),
)


def _wheel(directory: Path, metadata: bytes, wheel: bytes) -> Path:
    path = directory / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("demo/__init__.py", b"")
        zf.writestr("demo-1.0.dist-info/METADATA", metadata)
        zf.writestr("demo-1.0.dist-info/WHEEL", wheel)
    return path


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(metadata_texts, wheel_texts)
def test_metadata_and_wheel_are_read_or_one_wheel_error(metadata: bytes, wheel: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            info = read_wheel(_wheel(Path(tmp), metadata, wheel))
        except WheelError as e:
            assert one_line(str(e))
            return
    assert info.project == "demo"
    if info.requires_python is not None:
        info.requires_python.contains("3.12.0", prereleases=True)
    for requirement in info.dependencies:
        requirement.specifier.contains("3.12.0", prereleases=True)
        if requirement.marker is not None:
            usable(requirement.marker)


# -- the hostile inputs, one by one: refused at once, in one line ---------------------------

DEEP = 100_000
BIG = "1" * 5000
WIDE_TAGS = "-".join(".".join(f"p{i}" for i in range(200)) for _ in range(3))


def _declaration(text: str) -> list[tuple[str, str]]:
    return read_declaration(text.encode(), PROFILE, "x-1.0-py3-none-any.whl")[1]


HOSTILE = [
    ("declaration nested 100,000 deep",
     lambda: _declaration("source = " + "[" * DEEP), "IW100"),
    ("declaration table nested 100,000 deep",
     lambda: _declaration("source = " + "{a = " * DEEP), "IW100"),
    ("requires-python with a 5,000-digit version",
     lambda: _declaration(f"source = 'index:x/x-1.0-py3-none-any.whl'\ncontent-id = '{CID}'\n"
                          f"requires-python = '>={BIG}'\n"), "is not a valid PEP 440 specifier"),
    ("dependency with a 5,000-digit version",
     lambda: _declaration(f"source = 'index:x/x-1.0-py3-none-any.whl'\ncontent-id = '{CID}'\n"
                          f"dependencies = ['a>={BIG}']\n"), "number too long to compare"),
    ("marker comparing a 5,000-digit version",
     lambda: _declaration(f"source = 'index:x/x-1.0-py3-none-any.whl'\ncontent-id = '{CID}'\n"
                          f"dependencies = ['a; python_version >= \"{BIG}\"']\n"),
     "number too long to compare"),
    ("settings nested 60,000 deep",
     lambda: parse_settings(b"python = " + b"[" * 60_000, Path("r.toml")), "nested too deep"),
    ("settings of 10 MB", lambda: parse_settings(b"#" * (10 << 20), Path("r.toml")),
     "more than 65536"),
    ("settings with 1,000 platforms", lambda: parse_settings(
        ("platforms = [" + ", ".join(f"'manylinux_2_{i % 90}_x{i}'" for i in range(1000))
         + "]\n").encode(), Path("r.toml")), "more than 32"),
    ("settings platform with an Arabic-Indic digit",
     lambda: parse_settings("platforms = ['manylinux_2_\u0662\u0668_x86_64']\n".encode(),
                            Path("r.toml")), "unknown platform"),
    ("wheel name with a 5,000-digit version",
     lambda: parse_wheel_name(f"x-{BIG}-py3-none-any.whl"), "invalid version"),
    ("wheel name whose tags expand to 8,000,000",
     lambda: parse_wheel_name(f"x-1.0-{WIDE_TAGS}.whl"), "more than 1024"),
    ("source with a 5,000-digit version",
     lambda: parse_source(f"index:x/x-{BIG}-py3-none-any.whl"), "invalid version"),
    ("JSON page nested 100,000 deep", lambda: parse_json(b"[" * DEEP, PAGE), "nested too deep"),
    ("JSON page whose files nest 100,000 deep",
     lambda: parse_json(b'{"files": [' + b"[" * DEEP + b"]]}", PAGE), "nested too deep"),
    ("JSON page with a 5,000-digit number",
     lambda: parse_json(b'{"files": ' + BIG.encode() + b"}", PAGE), "not a PEP 691"),
    ("HTML page of 100,000 unclosed anchors",
     lambda: parse_html('<a href="x-1.0-py3-none-any.whl">' * DEEP, PAGE), None),
    ("HTML page naming a file with 8,000,000 tags", lambda: [
        f.wheel for f in parse_html(f'<a href="x-1.0-{WIDE_TAGS}.whl">x</a>', PAGE)], None),
]


@pytest.mark.parametrize(("make", "says"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_a_hostile_input_is_refused_at_once(make, says) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    try:
        result = make()
    except (SettingsError, InvalidWheelFilename, DeclarationError, DownloadError) as e:
        result = str(e)
        assert one_line(result)
    assert time.monotonic() - start < 10
    if says is not None:
        assert says in str(result)


def _zip(metadata: bytes, wheel: bytes) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("demo-1.0.dist-info/METADATA", metadata)
        zf.writestr("demo-1.0.dist-info/WHEEL", wheel)
    return out


WHEEL = b"Wheel-Version: 1.0\nTag: py3-none-any\n"
META = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
HOSTILE_WHEELS = [
    ("Requires-Dist nested 10,000 deep", META + b"Requires-Dist: a; " + b"(" * 10_000
     + b'os_name == "nt"' + b")" * 10_000 + b"\n", WHEEL, "invalid Requires-Dist"),
    ("Requires-Dist with a 5,000-digit version", META + b"Requires-Dist: a>=" + BIG.encode()
     + b"\n", WHEEL, "number too long to compare"),
    ("Version of 5,000 digits", b"Name: demo\nVersion: " + BIG.encode() + b"\n", WHEEL,
     "METADATA Version"),
    ("Name with a Kelvin sign", "Name: \u212aelvin\nVersion: 1.0\n".encode(), WHEEL,
     "METADATA Name"),
    ("WHEEL Tag expanding to 8,000,000 tags", META,
     b"Wheel-Version: 1.0\nTag: " + WIDE_TAGS.encode() + b"\n", "more than 1024 tags"),
    ("WHEEL Tag folded onto a second line", META, WHEEL + b" 0\n",
     "invalid Tag 'py3-none-any\\n 0'"),
]


@pytest.mark.parametrize(("metadata", "wheel", "says"), [c[1:] for c in HOSTILE_WHEELS],
                         ids=[c[0] for c in HOSTILE_WHEELS])
def test_a_hostile_wheel_is_refused_at_once(tmp_path: Path, metadata: bytes, wheel: bytes,
                                            says: str) -> None:
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(_zip(metadata, wheel).getvalue())
    start = time.monotonic()
    with pytest.raises(WheelError) as caught:
        read_wheel(path)
    assert time.monotonic() - start < 10
    assert says in str(caught.value) and one_line(str(caught.value))

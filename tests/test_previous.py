"""The previous release as the next publish reads it: what the plain reader gives.

The truth is :meth:`Reader.manifest` (the reader clients use, ``json`` and a check of
every field): for canonical manifests (read line by line) and for the same manifests
laid out otherwise (read by the plain reader), every project's link, digest, line and
entry must agree with it, and a broken manifest must fail with the message it gives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from ipwhl_checks.errors import PublishError
from ipwhl_checks.publish.manifest import (
    Manifest,
    Reader,
    manifest_bytes,
    parse_manifest,
    project_line,
    project_text,
    render_manifest,
)
from ipwhl_checks.publish.previous import ManifestLines, Previous, read_previous

from .manifests import cid, sample_manifest


def _reindented(data: bytes) -> bytes:
    return json.dumps(json.loads(data), indent=2).encode()


def _same(previous: Previous, manifest: Manifest) -> None:
    assert (previous.profile, previous.layout, previous.source_commit, previous.index) == (
        manifest.profile, manifest.layout, manifest.source_commit, manifest.index)
    assert (previous.wheels, previous.total_bytes) == (manifest.wheel_count,
                                                       manifest.total_bytes)
    assert list(previous.projects) == [p.name for p in manifest.projects]
    for p in manifest.projects:
        prior = previous.projects[p.name]
        assert (prior.name, prior.cid, prior.dag_size, prior.declarations) == (
            p.name, p.cid, p.dag_size, p.declarations)
        assert prior.line == project_line(p.name, project_text(p))
        assert previous.entry(p.name) == p
    assert previous.entry("no-such-project") is None


def _line_by_line(data: bytes) -> bool:
    """Whether the reader reads *data* line by line (not with the plain reader)."""
    return Reader("prev.json")._canonical_lines(data) is not None


@pytest.mark.parametrize("layout", [lambda b: b, _reindented], ids=["canonical", "reindented"])
@pytest.mark.parametrize("count", [0, 1, 7])
def test_read_previous_agrees_with_the_plain_reader(
        count: int, layout: Callable[[bytes], bytes]) -> None:
    manifest = sample_manifest(count)
    data = layout(manifest_bytes(manifest))
    assert parse_manifest(data) == manifest
    # a canonical manifest is read line by line (with no project, "projects": {} is not
    # the layout of lines: read by the plain reader)
    assert _line_by_line(data) == bool(count and layout is not _reindented)
    previous = read_previous(data)
    _same(previous, manifest)
    assert previous.data == data


def test_holds_every_cid_the_manifest_names() -> None:
    manifest = sample_manifest(30)
    named = [manifest.index.cid] + [c for p in manifest.projects for c in (
        p.cid, p.index.cid, *(x for w in p.wheels for x in (w.cid, w.metadata.cid)))]
    others = [cid(f"not in the manifest {i}") for i in range(20)]
    for data in (manifest_bytes(manifest), _reindented(manifest_bytes(manifest))):
        previous = read_previous(data)
        assert all(previous.holds(c) for c in named)
        assert not any(previous.holds(c) for c in others)


def _edit(old: str, new: str) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        assert old.encode() in data
        return data.replace(old.encode(), new.encode(), 1)
    return edit


# Manifests the plain reader accepts in a layout the line reader does not: each must be
# read by the plain reader, with its answer (the lines in question are the 2nd and 3rd).
_LINE_2, _LINE_3 = '},\n  "project-001": {', '},\n  "project-002": {'
ODD_LAYOUTS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("two lines on one", _edit(_LINE_2, '}, "project-001": {')),
    ("a line broken in two", _edit('"declarations":', '\n"declarations":')),
    ("a space before a comma", _edit(_LINE_3, '} ,\n  "project-002": {')),
    ("a blank line", _edit(_LINE_3, '},\n\n  "project-002": {')),
    ("a name escaped", _edit('"project-001": {', '"project\\u002d001": {')),
    ("a key order changed", lambda data: re.sub(  # project-001: dag-size before cid
        rb'("project-001": \{)("cid":"[^"]+",)("dag-size":501,)', rb"\1\3\2", data)),
    ("a line holding two projects, totals to match", lambda data: _edit(
        _LINE_2, '}, "project-001": {')(data).replace(b'"projects":5', b'"projects":4')),
    ("a character escaped", _edit("index:project-001", "index:project\\u002d001")),
    ("a size of 10**18", lambda data: data.replace(b'"size":1001,', b'"size":10' + b"0" * 17
                                                   + b",").replace(b'"bytes":3006',
                                                                   b'"bytes":' + str(
                                                                       10**18 + 2005).encode())),
    ("a blank line at the top", _edit("{\n", "{\n\n")),
    ("the top level indented", _edit('\n "layout"', '\n  "layout"')),
    ("wheels in another order", lambda data: data.replace(
        b'"project_002-1.0-py3-none-any.whl"', b'"project_002-1.2-py3-none-any.whl"', 1)
     .replace(b'"version":"1.0"', b'"version":"1.2"', 1)),
]


@pytest.mark.parametrize("change", [c for _, c in ODD_LAYOUTS], ids=[i for i, _ in ODD_LAYOUTS])
def test_a_manifest_in_another_layout_is_read_by_the_plain_reader(
        change: Callable[[bytes], bytes]) -> None:
    data = change(manifest_bytes(sample_manifest(5)))
    assert not _line_by_line(data)
    try:
        expected: Manifest | str = parse_manifest(data, "prev.json")
    except PublishError as error:
        expected = str(error)
    if isinstance(expected, str):
        with pytest.raises(PublishError) as lazy:
            read_previous(data, "prev.json")
        assert str(lazy.value) == expected
    else:
        _same(read_previous(data, "prev.json"), expected)


BROKEN: list[tuple[Callable[[bytes], bytes], str]] = [
    (_edit('"wheels":3}', '"wheels":4}'),
     "totals.wheels is 4 but the projects add up to 3"),
    (_edit('"bytes":3006', '"bytes":3005'),
     "totals.bytes is 3005 but the projects add up to 3006"),
    (_edit('"format": "ipwhl-manifest/1"', '"format": "ipwhl-manifest/9"'),
     "format 'ipwhl-manifest/9', expected 'ipwhl-manifest/1'"),
    (_edit('"dag-size":502,', '"dag-size":-502,'),
     "projects.project-002.dag-size must be a non-negative integer"),
    (_edit('"declarations":"sha256:', '"declarations":7,"x":"'),
     "projects.project-000 has unknown key 'x'"),
    (lambda b: b[:-3], "not JSON"),
    (_edit('"wheels":{"project_001', '"wheels":{"oops":1,"project_001'),  # a reused line
     "projects.project-001.wheels: 'oops' is not a wheel file name"),
    (_edit('"project-001": {', '"project-000": {'),
     "key 'project-000' twice in one object"),
    (_edit('"source-commit": "ffff', '"source-commit": "--output=/tmp/x'),
     "source-commit '--output=/tmp/xffffffffffffffffffffffffffffffffffff' is not a git "
     "commit"),
    (_edit('"profile": "unixfs-v1-2025"', '"profile": "unixfs-v9"'),
     "profile 'unixfs-v9' is not a known profile"),
    (_edit('"sha256":"abab', '"sha256":"ABAB'),
     "projects.project-001.wheels.project_001-1.0-py3-none-any.whl.sha256: 'ABABabab"),
    (_edit('"cid":"bafk', '"cid":"0afk'), ".cid: '0afk"),
    (_edit('"size":1001,', '"size":9223372036854775808,'),
     "projects.project-001.wheels.project_001-1.0-py3-none-any.whl.size must be below 2**63"),
    (_edit('"extras":["socks"]', '"extras":["Socks"]'),
     "extras[0]: 'Socks' is not a normalized extra name (PEP 685)"),
    (_edit('"extras":["socks"]', '"extras":["socks","socks"]'),
     "extras[1]: 'socks' is listed twice"),
    (_edit('"project-001": {', '"Project-001": {'),
     "projects: 'Project-001' is not a normalized project name (PEP 503)"),
    (_edit('"project_001-1.0-py3', '"project_000-1.0-py3'),
     "projects.project-001.wheels: 'project_000-1.0-py3-none-any.whl' is a wheel of "
     "'project-000', not of 'project-001'"),
    (_edit('"index:project-001', '"index:project-\\u00e9'), None),  # (valid: not an error)
]


@pytest.mark.parametrize(("corrupt", "message"), [b for b in BROKEN if b[1] is not None])
def test_a_broken_manifest_fails_as_the_plain_reader_says(
        corrupt: Callable[[bytes], bytes], message: str) -> None:
    data = corrupt(manifest_bytes(sample_manifest(4)))
    with pytest.raises(PublishError) as full:
        parse_manifest(data, "prev.json")
    assert message in str(full.value)
    assert str(full.value).startswith("prev.json: invalid manifest (")
    with pytest.raises(PublishError) as lazy:
        read_previous(data, "prev.json")
    assert str(lazy.value) == str(full.value)


def test_deeply_nested_json_is_one_line() -> None:
    data = b"[" * 100_000 + b"]" * 100_000
    for read in (parse_manifest, read_previous):
        with pytest.raises(PublishError) as error:
            read(data, "deep.json")
        assert str(error.value) == "deep.json: invalid manifest (nested too deeply)"


# Which of 7 projects a publish reuses (the others: a new line each, "+" a project added
# after it): runs of consecutive lines, gaps, a run at either end, nothing reused.
REUSE = ["0123456", "", "0", "6", "0246", "012-456", "01+23+456", "+0123456+", "0+6"]


@pytest.mark.parametrize("layout", [lambda b: b, _reindented], ids=["canonical", "reindented"])
@pytest.mark.parametrize("reuse", REUSE)
def test_reused_lines_render_as_the_lines_themselves(
        reuse: str, layout: Callable[[bytes], bytes]) -> None:
    """ManifestLines keeps runs of the previous manifest's lines as views of its bytes; the
    manifest rendered from them is the one rendered from every line as text."""
    manifest = sample_manifest(7)
    previous = read_previous(layout(manifest_bytes(manifest)))
    priors = list(previous.projects.values())
    lines, texts = ManifestLines(), []
    for i, prior in enumerate(priors):
        if str(i) in reuse.replace("-", ""):
            lines.reuse(prior)
            texts.append(prior.line)
        else:
            new = project_line(f"{prior.name}-new", prior.text)
            lines.add(new)
            texts.append(new)
        if f"{i}+" in reuse:
            lines.add(project_line(f"{prior.name}-added", prior.text))
            texts.append(project_line(f"{prior.name}-added", prior.text))
    pieces = lines.pieces()
    assert lines.count == len(texts)
    common = {"profile": "unixfs-v1-2025", "layout": "ipwhl-publish/1", "source_commit": None,
              "index": manifest.index, "wheels": 3, "total_bytes": 4}
    assert render_manifest(**common, lines=pieces, projects=lines.count) == render_manifest(
        **common, lines=texts)
    views = sum(isinstance(p, memoryview) for p in pieces)
    reused = [str(i) in reuse for i in range(7)]
    runs = sum(reused[i] and (i == 0 or not reused[i - 1] or f"{i - 1}+" in reuse)
               for i in range(7))
    # consecutive reused lines: one view (of the manifest read, or of its canonical
    # rendering if it was in another layout)
    assert views == runs

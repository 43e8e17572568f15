"""Reading a previous release's manifest line by line gives what the full parser gives.

The truth is :func:`parse_manifest` (the reader clients use): for canonical manifests and
for the same manifests re-indented (read in full), every project's link, digest and entry
must agree with it, and a broken manifest must fail with the message it gives.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

import pytest

from ipwhl_checks.errors import PublishError
from ipwhl_checks.publish import previous as previous_module
from ipwhl_checks.publish.manifest import (
    FileEntry,
    Manifest,
    ProjectEntry,
    WheelEntry,
    manifest_bytes,
    parse_manifest,
    project_line,
    render_manifest,
)
from ipwhl_checks.publish.previous import ManifestLines, Previous, read_previous
from ipwhl_checks.unixfs import DagBuilder


def _cid(text: str, directory: bool = False) -> str:
    builder = DagBuilder("unixfs-v1-2025")
    node = builder.add_bytes(text.encode())
    if directory:
        node = builder.add_directory({"f": node})
    return str(node.cid)


def _file(text: str) -> FileEntry:
    return FileEntry(_cid(text), len(text), len(text), hashlib.sha256(text.encode()).hexdigest())


def _manifest(count: int) -> Manifest:
    projects = []
    for i in range(count):
        name = f"project-{i:03d}"
        wheels = tuple(WheelEntry(
            filename=f"project_{i:03d}-1.{k}-py3-none-any.whl", version=f"1.{k}",
            cid=_cid(f"wheel {i} {k}"), size=1000 + i + k, dag_size=1000 + i + k,
            sha256="ab" * 32, metadata=_file(f"Name: {name}\n"), requires_python=">=3.8",
            extras=("socks",) if k else (),
            dependencies=('idna<4,>=2.5', 'PySocks!=1.5.7; extra == "socks"'),
            source=f"index:{name}/w{k}.whl", declaration="sha256:" + "cd" * 32)
            for k in range(i % 3))  # 0, 1 or 2 wheels
        projects.append(ProjectEntry(name=name, cid=_cid(name, directory=True),
                                     dag_size=500 + i, declarations="sha256:" + f"{i:064x}",
                                     index=_file(f"<a>{name}</a>"), wheels=wheels))
    return Manifest(profile="unixfs-v1-2025", source_commit="f" * 40, index=_file("root"),
                    projects=tuple(projects))


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
        assert previous.entry(p.name) == p
    assert previous.entry("no-such-project") is None


@pytest.mark.parametrize("layout", [lambda b: b, _reindented], ids=["canonical", "reindented"])
@pytest.mark.parametrize("count", [0, 1, 7])
def test_read_previous_agrees_with_the_full_parser(
        count: int, layout: Callable[[bytes], bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = _manifest(count)
    data = layout(manifest_bytes(manifest))
    assert parse_manifest(data) == manifest
    if count and layout is not _reindented:  # the line reader must not fall back here
        monkeypatch.setattr(previous_module, "_in_full", None)
    previous = read_previous(data)
    _same(previous, manifest)
    assert previous.data == data


def test_holds_every_cid_the_manifest_names_before_and_after_it_collects_them() -> None:
    manifest = _manifest(30)
    previous = read_previous(manifest_bytes(manifest))
    named = [manifest.index.cid] + [c for p in manifest.projects for c in (
        p.cid, p.index.cid, *(x for w in p.wheels for x in (w.cid, w.metadata.cid)))]
    others = [_cid(f"not in the manifest {i}") for i in range(20)]
    for _ in range(2):  # the first lookups search the bytes, the later ones a set
        assert all(previous.holds(cid) for cid in named)
        assert not any(previous.holds(cid) for cid in others)


def _edit(old: str, new: str) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        assert old.encode() in data
        return data.replace(old.encode(), new.encode(), 1)
    return edit


# Manifests the full parser accepts in a layout the line reader does not: each must be
# read in full, with the full parser's answer (the lines in question are the 2nd and 3rd).
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
]


@pytest.mark.parametrize("change", [c for _, c in ODD_LAYOUTS], ids=[i for i, _ in ODD_LAYOUTS])
def test_a_manifest_in_another_layout_is_read_in_full(
        change: Callable[[bytes], bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    data = change(manifest_bytes(_manifest(5)))
    try:
        expected: Manifest | str = parse_manifest(data, "prev.json")
    except PublishError as error:
        expected = str(error)
    fell_back: list[bool] = []
    in_full = previous_module._in_full

    def spy(data: bytes, where: str) -> Previous:
        fell_back.append(True)
        return in_full(data, where)
    monkeypatch.setattr(previous_module, "_in_full", spy)
    if isinstance(expected, str):
        with pytest.raises(PublishError) as lazy:
            read_previous(data, "prev.json")
        assert str(lazy.value) == expected
    else:
        _same(read_previous(data, "prev.json"), expected)
    assert fell_back


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
]


@pytest.mark.parametrize(("corrupt", "message"), BROKEN)
def test_a_broken_manifest_fails_as_the_full_parser_says(
        corrupt: Callable[[bytes], bytes], message: str) -> None:
    data = corrupt(manifest_bytes(_manifest(4)))
    with pytest.raises(PublishError) as full:
        parse_manifest(data, "prev.json")
    assert message in str(full.value)
    with pytest.raises(PublishError) as lazy:
        read_previous(data, "prev.json")
    assert str(lazy.value) == str(full.value)


def test_a_reused_line_is_checked_in_full_only_when_its_project_is_read() -> None:
    # a canonical start with a broken tail: the line is kept as it is until entry() reads it
    data = _edit('"wheels":{', '"wheels":{"oops":1,')(manifest_bytes(_manifest(3))).replace(
        b'"wheels":{"oops":1,}', b'"wheels":{"oops":1}')
    previous = read_previous(data, "prev.json")
    assert previous.entry("project-001") is not None
    with pytest.raises(PublishError, match=r"^prev.json: invalid manifest \(projects.project-000"):
        previous.entry("project-000")


# Which of 7 projects a publish reuses (the others: a new line each, "+" a project added
# after it): runs of consecutive lines, gaps, a run at either end, nothing reused.
REUSE = ["0123456", "", "0", "6", "0246", "012-456", "01+23+456", "+0123456+", "0+6"]


@pytest.mark.parametrize("layout", [lambda b: b, _reindented], ids=["canonical", "reindented"])
@pytest.mark.parametrize("reuse", REUSE)
def test_reused_lines_render_as_the_lines_themselves(
        reuse: str, layout: Callable[[bytes], bytes]) -> None:
    """ManifestLines keeps runs of the previous manifest's lines as views of its bytes; the
    manifest rendered from them is the one rendered from every line as text."""
    manifest = _manifest(7)
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
    # consecutive reused lines of a canonical manifest: one view; read in full: one each
    assert views == (runs if layout is not _reindented else sum(reused))

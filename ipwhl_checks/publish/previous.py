"""The previous release's manifest, read the way the next publish needs it.

``ipwhl publish --previous MANIFEST`` links every project whose declarations did not
change by its directory's CID and cumulative size, and writes its entry into the next
manifest as it was.  For a 10,000-project repository the manifest is about 10 MB, and
parsing all of it (JSON, then some 50,000 checked entries) takes longer than the rest of
an incremental publish.  So :func:`read_previous` reads the canonical layout that
:func:`~ipwhl_checks.publish.manifest.render_manifest` writes, one project per line:

* the top level (format, layout, profile, source commit, root page, totals) is parsed
  and checked in full;
* every project line must start ``  "<name>": {"cid":"<CID>","dag-size":<n>,
  "declarations":"sha256:<hex>",`` (the canonical key order), names in strictly increasing
  order; the publish reads a reused project's link from that start, and copies the line
  into the next manifest as it is;
* a project the publish changes or drops is parsed and checked in full
  (:meth:`Previous.entry`);
* the totals must be what the lines add up to (a wheel entry is the only place the text
  ``"size":<n>,"source":"`` can occur: within a JSON string every quote is escaped), and
  each line must hold one ``"declarations":`` key, so one project.

Any other manifest is read in full by :func:`~ipwhl_checks.publish.manifest.parse_manifest`: one
in another layout (re-indented by hand, say) gives the same answer, only slower, and a
broken one fails with the full parser's message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..util.nogc import paused_gc
from .manifest import (
    FileEntry,
    ProjectEntry,
    Reader,
    parse_header,
    parse_manifest,
    parse_project,
    project_line,
    project_text,
    read_manifest_file,
)

__all__ = ["ManifestLines", "Previous", "PriorProject", "load_previous", "read_previous"]


class PriorProject(NamedTuple):
    """A project of the previous release: its directory's link, its declarations digest,
    and where its line of the manifest (:func:`~ipwhl_checks.publish.manifest.project_line`) is:
    ``source[start:end]`` (the manifest's bytes, not copied for each line)."""

    name: str
    cid: str
    dag_size: int
    declarations: str
    source: bytes
    start: int
    end: int

    @property
    def line(self) -> str:
        """The project's line of the manifest (without its comma)."""
        return self.source[self.start:self.end].decode("ascii")

    @property
    def text(self) -> str:
        """The entry's compact JSON (the line after ``  "<name>": ``)."""
        return self.line[len(self.name) + 6:]


@dataclass(frozen=True)
class Previous:
    """The previous release's manifest (see the module docstring)."""

    where: str  # names the file in error messages
    data: bytes  # the manifest's bytes
    profile: str
    layout: str
    source_commit: str | None
    index: FileEntry
    wheels: int  # totals
    total_bytes: int
    projects: dict[str, PriorProject]  # by name, in name order
    _cids: set[str] = field(default_factory=set, compare=False, repr=False)
    _lookups: list[int] = field(default_factory=lambda: [0], compare=False, repr=False)

    def entry(self, name: str) -> ProjectEntry | None:
        """The project *name*'s entry, parsed and checked in full (None if there is none)."""
        prior = self.projects.get(name)
        return None if prior is None else parse_project(name, prior.text, self.where)

    def holds(self, cid: str) -> bool:
        """Whether the previous release links a file or directory with CID *cid* (the
        root page, a project directory, a page, a wheel or a metadata file).

        A few lookups search the manifest's bytes; after that, all its CIDs are collected
        once and looked up in a set."""
        needle = f'"cid":"{cid}"'.encode()
        if self._lookups[0] < 16:
            self._lookups[0] += 1
            return needle in self.data
        if not self._cids:
            self._cids.update(m.decode("ascii") for m in _CID_VALUE.findall(self.data))
        return cid in self._cids


# The start of a canonical project line, after the newline that ends the one before: a
# name (PEP 503 normalized), then the entry's start (a CID in kubo's base32 or base58btc
# form, the dag-size, the declarations digest); the rest of the entry runs to the end of
# the line, ending with "}" and a comma unless it is the last.
_HEAD = re.compile(r'\n  "([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)": '
                   r'\{"cid":"(b[a-z2-7]{58}|Qm[1-9A-HJ-NP-Za-km-z]{44})",'
                   r'"dag-size":(0|[1-9][0-9]{0,17}),"declarations":"(sha256:[0-9a-f]{64})",')
_WHEEL_SIZE = re.compile(rb'"size":([0-9]+),"source":"')
_CID_VALUE = re.compile(rb'"cid":"([^"\\]+)"')
_OPEN, _CLOSE = '\n "projects": {', "\n },\n"


def read_previous(data: bytes, where: str = "manifest.json") -> Previous:
    """Read a previous release's manifest (its bytes, *where* naming it in errors)."""
    with paused_gc():  # some 10,000 tuples, no cycles: no collection need walk the heap
        return _read_previous(data, where)


def _read_previous(data: bytes, where: str) -> Previous:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return _in_full(data, where)  # not canonical: let the full reader say what is wrong
    start = text.find(_OPEN)
    end = text.find(_CLOSE, start)
    if start < 0 or end < 0 or not text.startswith("{\n") or not text.endswith("\n}\n"):
        return _in_full(data, where)  # not the canonical layout (or no projects)
    r = Reader(where)
    try:
        top = json.loads(f'{text[:start]}\n "projects": {{}},\n{text[end + len(_CLOSE):]}')
    except ValueError:
        return _in_full(data, where)
    header, _ = parse_header(top, r)
    projects: dict[str, PriorProject] = {}
    body = start + len(_OPEN)  # the projects' lines: text[body:end], each after a newline
    last, at = "", body
    match, find = _HEAD.match, text.find
    while at < end:
        m = match(text, at)
        if m is None:
            return _in_full(data, where)  # a line that is not canonical
        name = m[1]
        newline = find("\n", m.end())  # (the last line's is the one _CLOSE starts with)
        stop = newline - (newline < end)  # the line without its comma
        if name <= last or text[stop - 1] != "}" or (newline < end and text[stop] != ","):
            return _in_full(data, where)
        projects[name] = PriorProject(name, m[2], int(m[3]), m[4], data, at + 1, stop)
        last, at = name, newline
    if at != end:
        return _in_full(data, where)
    sizes = _WHEEL_SIZE.findall(data, body, end)
    if header.totals != (len(projects), len(sizes), sum(map(int, sizes))) \
            or text.count('"declarations":', body, end) != len(projects):
        # totals that do not add up, or a line holding two projects (one "declarations"
        # key each; in a JSON string a quote is escaped): the full parser has the answer
        return _in_full(data, where)
    return Previous(where=where, data=data, profile=header.profile, layout=header.layout,
                    source_commit=header.source_commit, index=header.index,
                    wheels=header.totals[1], total_bytes=header.totals[2], projects=projects)


class ManifestLines:
    """The projects' lines of the next manifest, in name order, for
    :func:`~ipwhl_checks.publish.manifest.render_manifest`: a changed project's new line, or a run
    of consecutive lines of the previous manifest kept as one view of its bytes (10,000
    reused lines are then copied once, not one by one)."""

    def __init__(self) -> None:
        self.count = 0
        self._pieces: list[str | memoryview] = []
        self._run: tuple[bytes, int, int] | None = None  # source, start, end

    def add(self, line: str) -> None:
        """A new line (:func:`~ipwhl_checks.publish.manifest.project_line`)."""
        self._close()
        self._pieces.append(line)
        self.count += 1

    def reuse(self, prior: PriorProject) -> None:
        """The previous manifest's line of *prior*, as it is."""
        run = self._run
        if run is not None and prior.source is run[0] and prior.start == run[2] + 2:
            self._run = (run[0], run[1], prior.end)  # the next line, after ",\n"
        else:
            self._close()
            self._run = (prior.source, prior.start, prior.end)
        self.count += 1

    def pieces(self) -> list[str | memoryview]:
        self._close()
        return self._pieces

    def _close(self) -> None:
        if self._run is not None:
            source, start, end = self._run
            self._pieces.append(memoryview(source)[start:end])
            self._run = None


def _in_full(data: bytes, where: str) -> Previous:
    """:func:`read_previous` for a manifest in any layout: parsed and checked in full."""
    m = parse_manifest(data, where)
    projects = {}
    for p in m.projects:
        line = project_line(p.name, project_text(p)).encode("ascii")
        projects[p.name] = PriorProject(p.name, p.cid, p.dag_size, p.declarations, line, 0,
                                        len(line))
    return Previous(where=where, data=data, profile=m.profile, layout=m.layout,
                    source_commit=m.source_commit, index=m.index, wheels=m.wheel_count,
                    total_bytes=m.total_bytes, projects=projects)


def load_previous(path: Path) -> Previous:
    """Read the manifest file at *path* (a previous release's ``manifest.json``)."""
    return read_previous(read_manifest_file(path), str(path))

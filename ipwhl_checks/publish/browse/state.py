"""``_browse/site.json``: what the next publish needs to rebuild only what changed.

The site's own manifest.  A publish on top of a previous release (``--previous``) reads the
previous one's, links every page, search shard and directory that did not change by its
CID, and rebuilds the rest from it and the new projects; it is never read by a browser.

Format ``ipwhl-browse/1``: JSON, ASCII, keys sorted, one top-level key per line with
``projects`` last, each project on one line (so a publish copies unchanged lines as they
are, and parses only the lines of the projects it touches)::

    {
     "coverage": [[285, 97], ...],       # per environment: projects installing, compiled
     "dangling": {"<name>": ["<dependent>", ...]},   # dependencies the tree lacks
     "environments": ["cp311-manylinux_2_28_x86_64", ...],
     "extra": {"integration/<environment>.json": LINK, ...},  # the root's other files
     "format": "ipwhl-browse/1",
     "layout": "ipwhl-browse-pages/1",    # version of the pages: others are rebuilt
     "links": {"index.html": LINK, "p": LINK, "p/7c": LINK, "search/0.js": LINK, ...},
     "manifest": "sha256:<hex>",          # of the manifest.json published with it
     "names": "sha256:<hex>",             # of the project names, one a line
     "tested": "sha256:<hex>",            # of the integration files, "" when none
     "projects": {
      "<prefix>/<name>": {"covers": [<mask>, <mask>], "deps": [...], "files": "<16 hex>",
                 "from": "<16 hex>", "meta": META, "page": LINK, "rdeps": [...],
                 "tested": "<16 hex>", "version": "2.32.3", "wheels": 1}
     }
    }

A project's key is its name after the prefix directory its data declarations and its page
have (``7c/requests``); the lines are sorted by it.  ``LINK`` is ``[cid, dag-size]``, or
``[cid, dag-size, [leaf CID, ...]]`` for a file of more than one block (the delta CAR then
leaves out the leaves the previous release has).
``links`` names every entry of ``_browse/`` but ``site.json`` itself, and each page
directory and search shard; ``covers`` are bit masks over ``environments`` (the project
installs there; by a compiled wheel); ``deps`` and ``rdeps`` are the projects it depends on
and that depend on it; ``files`` digests its wheels' file names, ``from`` names the METADATA
its ``meta`` (:meth:`~.facts.Meta.to_json`) was read from, ``tested`` digests its
integration rows.  The previous state is used only with the manifest it was published
with; any other (or none) means a publish rebuilds the whole site.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import PublishError
from .facts import Meta

__all__ = ["FORMAT", "LAYOUT", "STATE_NAME", "Header", "Link", "Record", "State",
           "digest", "digest_bytes", "link_json", "names_digest", "read_state", "render_state",
           "short_digest"]

FORMAT = "ipwhl-browse/1"
# Bump when a page's HTML changes for the same inputs: every page is then rebuilt.
LAYOUT = "ipwhl-browse-pages/1"
STATE_NAME = "site.json"

_encode = json.JSONEncoder(ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode
_string = json.encoder.encode_basestring_ascii  # a JSON string, as _encode writes it


def _strings(values: Sequence[str]) -> str:
    return "[" + ",".join(map(_string, values)) + "]"


@dataclass(frozen=True)
class Link:
    """A file or directory known by its CID, cumulative size and (for a file of several
    blocks) its leaves' CIDs."""

    cid: str
    size: int
    leaves: tuple[str, ...] = ()


def link_json(link: Link) -> list[Any]:
    return [link.cid, link.size, list(link.leaves)] if link.leaves else [link.cid, link.size]


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def digest_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def short_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Record:
    """One project's line."""

    version: str
    wheels: int
    files: str
    source: str
    meta: Meta
    page: Link
    deps: tuple[str, ...]
    rdeps: tuple[str, ...]
    covers: tuple[int, int]
    tested: str

    def value(self) -> dict[str, Any]:
        """The project's JSON value."""
        return {"covers": list(self.covers), "deps": list(self.deps), "files": self.files,
                "from": self.source, "meta": self.meta.to_json(),
                "page": link_json(self.page), "rdeps": list(self.rdeps),
                "tested": self.tested, "version": self.version, "wheels": self.wheels}

    def line(self, key: str) -> bytes:
        """The project's line (``  "<prefix>/<name>": {...}``), without its comma: its
        :meth:`value` as the compact encoder writes it (keys sorted, ASCII), composed here
        field by field, five times faster (a test holds the two to the same bytes)."""
        m, s = self.meta, _string
        urls = ",".join(f"[{s(a)},{s(b)}]" for a, b in m.urls)
        return (f'  "{key}": {{"covers":[{self.covers[0]},{self.covers[1]}],'
                f'"deps":{_strings(self.deps)},"files":{s(self.files)},'
                f'"from":{s(self.source)},"meta":{{"changelog":{s(m.changelog)},'
                f'"home":{s(m.home)},"license":{s(m.license)},'
                f'"provides":{_strings(m.provides)},"summary":{s(m.summary)},"urls":[{urls}]}},'
                f'"page":{_encode(link_json(self.page))},"rdeps":{_strings(self.rdeps)},'
                f'"tested":{s(self.tested)},"version":{s(self.version)},'
                f'"wheels":{self.wheels}}}').encode("ascii")


@dataclass(frozen=True)
class Header:
    """Everything but the projects."""

    layout: str
    manifest: str
    environments: tuple[str, ...]
    coverage: tuple[tuple[int, int], ...]
    names: str
    tested: str
    links: dict[str, Link]
    extra: dict[str, Link]  # the files of the root's extra directories, by path
    dangling: dict[str, tuple[str, ...]]


def render_state(header: Header, lines: Sequence[bytes | memoryview]) -> bytes:
    """The canonical bytes of a state: *lines* are the projects' lines (:meth:`Record.line`,
    or a previous state's, as they were), sorted by name."""
    top = {
        "coverage": [list(c) for c in header.coverage],
        "dangling": {k: list(v) for k, v in header.dangling.items()},
        "environments": list(header.environments), "format": FORMAT,
        "extra": {k: link_json(v) for k, v in header.extra.items()},
        "layout": header.layout, "links": {k: link_json(v) for k, v in header.links.items()},
        "manifest": header.manifest, "names": header.names, "tested": header.tested,
    }
    pieces: list[bytes | memoryview] = [b"{\n"]
    for key in sorted(top):
        pieces.append(f" {_encode(key)}: {_encode(top[key])},\n".encode("ascii"))
    if not lines:
        pieces.append(b' "projects": {}\n}\n')
        return b"".join(pieces)
    pieces.append(b' "projects": {\n')
    for line in lines:
        pieces.append(line)
        pieces.append(b",\n")
    pieces[-1] = b"\n }\n}\n"
    return b"".join(pieces)


class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, what: str) -> PublishError:
        return PublishError(f"{self.where}: invalid site state ({what})")

    def obj(self, value: object, what: str, keys: set[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict) or value.keys() != keys:
            raise self.fail(f"{what} must be an object with the keys {', '.join(sorted(keys))}")
        return value

    def strs(self, value: object, what: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{what} must be a list of strings")
        return tuple(value)

    def str_(self, value: object, what: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{what} must be a string")
        return value

    def nat(self, value: object, what: str) -> int:
        if type(value) is not int or value < 0:
            raise self.fail(f"{what} must be a non-negative integer")
        return value

    def link(self, value: object, what: str) -> Link:
        if isinstance(value, list) and len(value) in (2, 3):
            leaves = self.strs(value[2], what) if len(value) == 3 else ()
            return Link(self.str_(value[0], what), self.nat(value[1], what), leaves)
        raise self.fail(f"{what} must be [cid, dag-size] or [cid, dag-size, leaves]")

    def links(self, value: object, what: str) -> dict[str, Link]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be an object")
        return {k: self.link(v, f"{what}.{k}") for k, v in value.items()}


_KEYS = {"coverage", "dangling", "environments", "extra", "format", "layout", "links",
         "manifest", "names", "tested", "projects"}
_RECORD_KEYS = {"covers", "deps", "files", "from", "meta", "page", "rdeps", "tested",
                "version", "wheels"}
_META_KEYS = {"summary", "license", "home", "changelog", "urls", "provides"}
_EXTRA = re.compile(r"[^/]+/[^/]+")
_OPEN, _CLOSE = b'\n "projects": {\n', b"\n }\n}\n"
# the start of a project's line, after the newline that ends the one before: its key
# ("<prefix>/<normalized name>") and the object's brace
_HEAD = re.compile(rb'\n  "([0-9a-f]{2}/[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)": \{')


# In a canonical line (keys sorted, compact JSON) a key with its quotes occurs only as a key:
# within a string every quote is escaped.  The summary is the first "summary" (meta's keys
# before it hold no such key), the version the last "version".
_STRING = rb'"((?:[^"\\]|\\.)*)"'
_SUMMARY = re.compile(rb'"summary":' + _STRING)
_VERSION = re.compile(rb',"version":' + _STRING + rb',"wheels":')
_PAGE = re.compile(rb'"page":\["([A-Za-z0-9]+)",([0-9]+)[,\]]')


def _text(raw: bytes) -> str:
    """A JSON string's value, given its body (ASCII: the state is written so)."""
    return json.loads(b'"' + raw + b'"') if b"\\" in raw else raw.decode("ascii")


@dataclass
class State:
    """A previous release's ``site.json``: its header, and each project's line, parsed only
    when asked for (:meth:`record`; :meth:`row` and :meth:`page` read two fields of it)."""

    where: str
    data: bytes
    header: Header
    keys: list[str]  # every line's key ("<prefix>/<name>"), in order
    starts: list[int]  # where each line starts in data
    ends: list[int]  # where each line ends (before its comma)
    index: dict[str, int] = field(default_factory=dict)  # name -> its line's number
    _records: dict[str, Record] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {key[3:]: i for i, key in enumerate(self.keys)}

    def span(self, name: str) -> tuple[int, int]:
        i = self.index[name]
        return self.starts[i], self.ends[i]

    def by_prefix(self, pfx: str) -> list[str]:
        """The names under prefix *pfx*, sorted."""
        first = bisect_left(self.keys, f"{pfx}/")
        stop = bisect_left(self.keys, f"{pfx}0", first)  # ("0" follows "/")
        return [key[3:] for key in self.keys[first:stop]]

    def run(self, first: int, stop: int) -> memoryview:
        """Lines *first* to *stop* (excluded) as they are, with the ``,\n`` between them."""
        return memoryview(self.data)[self.starts[first]:self.ends[stop - 1]]

    def row(self, name: str) -> tuple[str, str]:
        """*name*'s (version, summary), read from its line without parsing the rest."""
        start, end = self.span(name)
        version = _VERSION.search(self.data, start, end)
        summary = _SUMMARY.search(self.data, start, end)
        if version is None or summary is None:  # not canonical: the checked way
            record = self.record(name)
            assert record is not None
            return record.version, record.meta.summary
        return _text(version[1]), _text(summary[1])

    def page(self, name: str) -> Link:
        """*name*'s page link, read from its line (a page of one block; else parsed)."""
        start, end = self.span(name)
        m = _PAGE.search(self.data, start, end)
        if m is None or self.data[m.end() - 1] != ord("]"):
            record = self.record(name)
            assert record is not None
            return record.page
        return Link(m[1].decode("ascii"), int(m[2]))

    def record(self, name: str) -> Record | None:
        """*name*'s record, checked (None if the state has no such project)."""
        found = self._records.get(name)
        if found is None and name in self.index:
            start, end = self.span(name)
            text = self.data[start:end].decode("ascii")
            found = self._records[name] = _record(
                _Reader(self.where), name, text[text.index(": ") + 2:])
        return found


def _record(r: _Reader, name: str, text: str) -> Record:
    try:
        value = json.loads(text)
    except ValueError as e:
        raise r.fail(f"projects.{name}: not JSON: {e}") from None
    what = f"projects.{name}"
    d = r.obj(value, what, _RECORD_KEYS)
    m = r.obj(d["meta"], f"{what}.meta", _META_KEYS)
    urls = m["urls"]
    if not isinstance(urls, list) or not all(
            isinstance(u, list) and len(u) == 2 and all(isinstance(x, str) for x in u)
            for u in urls):
        raise r.fail(f"{what}.meta.urls must be a list of [label, url]")
    meta = Meta(summary=r.str_(m["summary"], what), license=r.str_(m["license"], what),
                home=r.str_(m["home"], what), changelog=r.str_(m["changelog"], what),
                urls=tuple((a, b) for a, b in urls), provides=r.strs(m["provides"], what))
    covers = d["covers"]
    if not isinstance(covers, list) or len(covers) != 2:
        raise r.fail(f"{what}.covers must be two masks")
    return Record(
        version=r.str_(d["version"], what), wheels=r.nat(d["wheels"], what),
        files=r.str_(d["files"], what), source=r.str_(d["from"], what), meta=meta,
        page=r.link(d["page"], f"{what}.page"), deps=r.strs(d["deps"], f"{what}.deps"),
        rdeps=r.strs(d["rdeps"], f"{what}.rdeps"),
        covers=(r.nat(covers[0], what), r.nat(covers[1], what)),
        tested=r.str_(d["tested"], what))


def read_state(data: bytes, where: str = STATE_NAME) -> State | None:
    """The state in *data* (a previous ``site.json``), its header checked and its lines
    indexed; None when it is of another format (the site is then rebuilt whole);
    PublishError when it is broken."""
    r = _Reader(where)
    if not data.isascii():  # (the state is written so; a line is decoded when asked for)
        raise r.fail("not ASCII")
    start = data.find(_OPEN)
    end = data.rfind(_CLOSE)
    empty = data.endswith(b' "projects": {}\n}\n')
    if empty:
        start = end = len(data) - len(b' "projects": {}\n}\n') - 1
    elif start < 0 or end < start:
        raise r.fail("not the canonical layout")
    try:
        top = json.loads(data[:start] + b'\n "projects": {}\n}\n')
    except ValueError as e:
        raise r.fail(f"not JSON: {e}") from None
    if not isinstance(top, dict) or top.get("format") != FORMAT:
        return None
    d = r.obj(top, "the state", _KEYS)
    coverage = d["coverage"]
    if not isinstance(coverage, list) or not all(
            isinstance(c, list) and len(c) == 2 and all(type(n) is int for n in c)
            for c in coverage):
        raise r.fail("coverage must be a list of [installs, compiled]")
    dangling = d["dangling"]
    if not isinstance(dangling, dict):
        raise r.fail("dangling must be an object")
    header = Header(
        layout=r.str_(d["layout"], "layout"), manifest=r.str_(d["manifest"], "manifest"),
        environments=r.strs(d["environments"], "environments"),
        coverage=tuple((a, b) for a, b in coverage), names=r.str_(d["names"], "names"),
        tested=r.str_(d["tested"], "tested"), links=r.links(d["links"], "links"),
        extra=r.links(d["extra"], "extra"),
        dangling={k: r.strs(v, f"dangling.{k}") for k, v in dangling.items()})
    if len(header.coverage) != len(header.environments):
        raise r.fail("coverage and environments differ in length")
    if not all(_EXTRA.fullmatch(k) for k in header.extra):
        raise r.fail("extra must name files as <directory>/<name>")
    if empty:
        return State(where, data, header, [], [], [])
    # each line starts "\n  "<key>": {" (a raw newline occurs nowhere else: JSON escapes it
    # in a string) and ends "}", with a comma before the next one; keys strictly increasing
    body, stop = start, end + 1  # (from the newline before the first line)
    starts, keys = [], []
    for m in _HEAD.finditer(data, body, stop):
        starts.append(m.start() + 1)
        keys.append(m[1])
    ends = [s - 2 for s in starts[1:]] + [end]
    if not starts or starts[0] != body + len(_OPEN) or len(set(keys)) != len(keys) \
            or keys != sorted(keys) or data.count(b"\n", body, stop) != len(keys) + 2 \
            or not all(data[e - 1] == 0x7D for e in ends) \
            or not all(data[e] == 0x2C for e in ends[:-1]):  # "}" and ","
        raise r.fail("the projects' lines are not canonical")
    return State(where, data, header, [k.decode("ascii") for k in keys], starts, ends)


def names_digest(names: Iterable[str]) -> str:
    return digest("\n".join(names))

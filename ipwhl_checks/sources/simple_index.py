"""A simple repository client: a project page -> the files it lists.

Reads PEP 691 JSON (``application/vnd.pypi.simple.v1+json``) when the index offers it and
PEP 503 HTML otherwise, with the PEP 592 (yanked), PEP 658/714 (core metadata) and PEP 700
(size) additions.  The parsers are pure; :func:`project_files` gets the page through a
:class:`PageGetter` (``ipwhl_checks.sources.fetch.Client``), which owns the network.

A page is outside input: each parser gives the files it lists or one
:class:`DownloadError` line, whatever the bytes (a JSON page nested 100,000 deep, a link
urljoin cannot join, a version number of 5,000 digits).  A link it cannot read is
skipped, as pip skips it.  :func:`project_files` keeps only the files of the project
asked for: a page listing another project's wheel (``evil-1.0-py3-none-any.whl`` on the
page of ``sneaky``) does not make it one of ``sneaky``'s (pip ignores it as well).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote, urldefrag, urljoin

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, NormalizedName, canonicalize_name
from packaging.version import Version

from ..errors import DownloadError
from ..repo.declaration import parse_specifier_set
from ..repo.layout import parse_wheel_name

__all__ = [
    "ACCEPT",
    "IndexFile",
    "NoSuchProject",
    "PageGetter",
    "parse_html",
    "parse_json",
    "project_files",
    "project_url",
]

# PEP 691: ask for JSON, accept HTML; servers that know neither send text/html.
ACCEPT = ("application/vnd.pypi.simple.v1+json, "
          "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01")
_JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class IndexFile:
    """One file on a project page."""

    filename: str
    url: str  # absolute, without the #hash fragment
    hashes: Mapping[str, str] = field(default_factory=dict)  # {"sha256": hex}
    requires_python: SpecifierSet | None = None
    yanked: bool = False
    core_metadata: bool = False  # PEP 658/714: <url>.metadata is served
    metadata_hashes: Mapping[str, str] = field(default_factory=dict)  # of <url>.metadata
    size: int | None = None  # PEP 700: the file's size in bytes (JSON pages only)

    @property
    def is_wheel(self) -> bool:
        return self.wheel is not None

    @property
    def wheel(self) -> tuple[NormalizedName, Version, frozenset[Tag]] | None:
        """(project, version, tags) if this is a wheel with a valid file name."""
        if not self.filename.endswith(".whl"):
            return None
        try:
            name, version, _build, tags = parse_wheel_name(self.filename)
        except InvalidWheelFilename:
            return None
        return name, version, tags


class NoSuchProject(DownloadError):
    """The index has no page for the project (HTTP 404 or 410)."""

    def __init__(self, project: str, index_url: str, status: int, url: str) -> None:
        super().__init__(f"no project {project!r} on {index_url} (HTTP {status} for {url})")
        self.project, self.index_url = project, index_url


class PageGetter(Protocol):
    def get_page(self, url: str, accept: str) -> tuple[str, str, bytes]:
        """GET *url*: (final URL after redirects, Content-Type, body)."""


def project_url(index_url: str, project: str) -> str:
    # PEP 503: the project page is <index>/<normalized name>/.
    return urljoin(index_url.rstrip("/") + "/", canonicalize_name(project) + "/")


def project_files(client: PageGetter, index_url: str, project: str) -> list[IndexFile]:
    """The files of *project* listed on its page of the index at *index_url*: its wheels
    (a wheel named after another project is left out), and the other files it lists.

    Raises :class:`NoSuchProject` when the index answers 404 or 410 for the page (a
    :class:`DownloadError` carrying that ``status``), :class:`DownloadError` otherwise."""
    url = project_url(index_url, project)
    try:
        final_url, content_type, body = client.get_page(url, ACCEPT)
    except DownloadError as e:
        status = getattr(e, "status", None)
        if status in (404, 410):
            raise NoSuchProject(project, index_url, status, url) from None
        raise
    mime = content_type.split(";")[0].strip().lower()
    if mime == _JSON_TYPE:
        files = parse_json(body, final_url)
    elif mime in ("text/html", "application/vnd.pypi.simple.v1+html", ""):
        files = parse_html(body.decode("utf-8", "replace"), final_url)
    else:
        raise DownloadError(f"{url}: unexpected content type {content_type!r} for a project "
                            "page")
    name = canonicalize_name(project)
    return [f for f in files if not f.filename.endswith(".whl")
            or (f.wheel is not None and f.wheel[0] == name)]


def _requires_python(value: object) -> SpecifierSet | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_specifier_set(value)
    except InvalidSpecifier:
        return None  # pip ignores an invalid requires-python as well


def parse_json(body: bytes, page_url: str) -> list[IndexFile]:
    """PEP 691: ``{"files": [{"filename", "url", "hashes", "requires-python", ...}]}``."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise TypeError("not an object")
        entries = data["files"]
        if not isinstance(entries, list):
            raise TypeError("'files' is not a list")
    except RecursionError:
        raise DownloadError(f"{page_url}: not a PEP 691 project page (nested too deeply)") \
            from None
    except (ValueError, KeyError, TypeError) as e:
        raise DownloadError(f"{page_url}: not a PEP 691 project page ({_short(e)})") from None
    files = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        try:
            url = urldefrag(urljoin(page_url, entry["url"])).url
        except ValueError:  # a bad IPv6 literal, a bad port: not a URL
            continue
        hashes = entry.get("hashes")
        name = entry.get("filename")
        # PEP 714 renamed dist-info-metadata to core-metadata; both may appear.
        meta = entry.get("core-metadata", entry.get("dist-info-metadata", False))
        meta_hashes = meta if isinstance(meta, dict) else {}
        files.append(IndexFile(
            filename=name if isinstance(name, str) and name else url.rsplit("/", 1)[-1],
            url=url,
            hashes={k: v for k, v in hashes.items() if isinstance(v, str)}
            if isinstance(hashes, dict) else {},
            requires_python=_requires_python(entry.get("requires-python")),
            yanked=bool(entry.get("yanked", False)),  # PEP 592: True, or the reason
            core_metadata=bool(meta),
            metadata_hashes={str(k): str(v) for k, v in meta_hashes.items()},
            size=_size(entry.get("size")),
        ))
    return files


def _size(value: object) -> int | None:
    """PEP 700: ``size`` is a non-negative integer (anything else is not one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def _short(e: Exception) -> str:
    """The first line of *e*'s message, at most 200 characters (it may quote the page)."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# HTML, read as PEP 503 needs it and in one linear pass (html.parser is quadratic on an
# unclosed tag repeated, and asserts on some declarations: a page is outside input).
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
_ATTRIBUTE = re.compile(r"""[\t\n\f\r ]*([^\t\n\f\r "'>/=]+)"""  # name
                        r"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*"""  # = value
                        r"""(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]+)))?""")
_RAW_TEXT = ("script", "style")  # their content is no markup


def _anchors(text: str) -> tuple[str | None, list[tuple[dict[str, str | None], str]]]:
    """(the first ``<base href>``, each ``<a>``'s attributes and text) of an HTML page.

    Attribute names are lowercased and values unescaped, as ``html.parser`` gives them; an
    anchor's text is the text up to the next tag.  Every step consumes input, and no
    pattern scans past a point it scanned before but for an unclosed quote (once per
    quote character): time linear in the page."""
    base: str | None = None
    anchors: list[tuple[dict[str, str | None], str]] = []
    lower = text.lower()
    i, n = 0, len(text)
    while (i := text.find("<", i)) != -1:
        if text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end == -1:
                break
            i = end + 3
            continue
        if text.startswith(("<!", "<?"), i):
            end = text.find(">", i + 2)
            if end == -1:
                break
            i = end + 1
            continue
        tag = _TAG.match(text, i)
        if tag is None:
            i += 1
            continue
        name = tag.group(2).lower()
        closing = tag.group(1) == "/"
        attrs: dict[str, str | None] = {}
        i = tag.end()
        while i < n and text[i] != ">":
            attribute = _ATTRIBUTE.match(text, i)
            if attribute is None or attribute.end() == i:
                i += 1  # a stray '/', '=' or quote
                continue
            key, *values = attribute.groups()
            value = next((v for v in values if v is not None), None)
            attrs[key.lower()] = html.unescape(value) if value is not None else None
            i = attribute.end()
        i += 1  # past '>'
        if closing:
            continue
        if name == "base" and base is None:
            base = attrs.get("href")
        elif name == "a":
            end = text.find("<", i)
            anchors.append((attrs, html.unescape(text[i:n if end == -1 else end]).strip()))
        elif name in _RAW_TEXT:
            end = lower.find("</" + name, i)
            if end == -1:
                break
            i = end
    return base, anchors


def _attribute_hash(value: str | None) -> dict[str, str]:
    """PEP 658: ``data-core-metadata="sha256=HEX"`` (or ``"true"``: no hash given)."""
    name, eq, digest = (value or "").partition("=")
    return {name.strip(): digest.strip()} if eq and name.strip() and digest.strip() else {}


def parse_html(text: str, page_url: str) -> list[IndexFile]:
    """PEP 503: one ``<a href="URL#sha256=HEX" data-requires-python=...>`` per file."""
    found_base, anchors = _anchors(text)
    try:
        base = urljoin(page_url, found_base) if found_base else page_url
    except ValueError:
        base = page_url
    files = []
    for attrs, anchor_text in anchors:
        href = attrs.get("href")
        if not href:
            continue
        try:
            url, fragment = urldefrag(urljoin(base, href))
        except ValueError:  # a bad IPv6 literal, a bad port: not a URL
            continue
        hashes = {}
        name, eq, value = fragment.partition("=")
        if eq and name and value:
            hashes[name] = value
        # PEP 503: data-requires-python is HTML-escaped (the parser already unescaped it).
        rp = attrs.get("data-requires-python")
        meta = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        filename = url.rstrip("/").rsplit("/", 1)[-1]
        files.append(IndexFile(
            filename=unquote(filename) or anchor_text,
            url=url,
            hashes=hashes,
            requires_python=_requires_python(rp),
            yanked="data-yanked" in attrs,
            core_metadata=meta is not None and meta != "false",
            metadata_hashes=_attribute_hash(meta),
        ))
    return files

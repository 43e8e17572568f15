"""What a project page says about a project: its manifest entry, and one wheel's METADATA.

The entry (:class:`~ipwhl_checks.publish.manifest.ProjectEntry`) gives the wheels, their
versions, tags, hashes and the declared ``requires-python``, extras and dependencies; the
METADATA of the *representative* wheel (the first file name of the newest version) gives
what only the wheel knows: the summary, the license and the project's links
(:class:`Meta`).  A page is a pure function of these, the repository's environments, the
project's reverse dependencies and the integration results (:mod:`.pages`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from ...repo.settings import Environment
from ..manifest import ProjectEntry, WheelEntry

__all__ = ["Chooser", "Dependency", "Meta", "Project", "read_meta", "representative",
           "wheel_rank"]

_SUMMARY_MAX = 300
_LICENSE_MAX = 120
# PEP 753: a Project-URL label is compared with punctuation and whitespace removed,
# lowercased; these are its well-known labels and their aliases, in the order a page
# lists them (the home page and the changelog have their own rows).
_STRIP = str.maketrans("", "", string.punctuation + string.whitespace)
_HOME = ("homepage", "home")  # ("home": not PEP 753's, but common)
_CHANGELOG = ("changelog", "changes", "whatsnew", "history", "releasenotes")
_WELL_KNOWN = (
    ("Documentation", ("documentation", "docs")),
    ("Source", ("source", "repository", "sourcecode", "github")),
    ("Issues", ("issues", "bugs", "issue", "tracker", "issuetracker", "bugtracker")),
    ("Download", ("download",)),
    ("Funding", ("funding", "sponsor", "donate", "donation")),
)
_EXTRA = re.compile(r"""\bextra\s*==\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class Meta:
    """What a page shows from a wheel's METADATA; every URL is ``http(s)``, or empty."""

    summary: str = ""
    license: str = ""
    home: str = ""
    changelog: str = ""
    urls: tuple[tuple[str, str], ...] = ()  # (well-known label, URL), in _WELL_KNOWN order
    provides: tuple[str, ...] = ()  # Provides-Extra, normalized (PEP 685), sorted

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "license": self.license, "home": self.home,
                "changelog": self.changelog, "urls": [list(u) for u in self.urls],
                "provides": list(self.provides)}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Meta:
        return cls(summary=value["summary"], license=value["license"], home=value["home"],
                   changelog=value["changelog"],
                   urls=tuple((str(a), str(b)) for a, b in value["urls"]),
                   provides=tuple(value["provides"]))


def _one_line(text: object, limit: int) -> str:
    if not isinstance(text, str):
        return ""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "\u2026"


_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


def _web(url: object) -> str:
    """*url* if it is an absolute http(s) URL (no ``javascript:`` and the like), else ''."""
    if isinstance(url, str):
        url = url.strip()
        if _URL.fullmatch(url):
            return url
    return ""


def _license(raw: Mapping[str, Any]) -> str:
    # Core metadata 2.4 (PEP 639): License-Expression; before it, License (often the whole
    # license text: its first line only) and the "License ::" trove classifiers.
    expression = _one_line(raw.get("license_expression"), _LICENSE_MAX)
    if expression:
        return expression
    text = raw.get("license")
    first = _one_line(text.strip().splitlines()[0], _LICENSE_MAX) \
        if isinstance(text, str) and text.strip() else ""
    if first and first.upper() not in ("UNKNOWN", "NONE"):
        return first
    classifiers = [c.rsplit("::", 1)[-1].strip() for c in raw.get("classifiers") or ()
                   if isinstance(c, str) and c.startswith("License ::")]
    return _one_line(", ".join(c for c in classifiers if c), _LICENSE_MAX)


# The fields a page shows, as packaging.metadata.parse_email names them; the single-use ones
# count only when given once (parse_email leaves a repeated one unparsed)
_SINGLE = {"summary": "summary", "license": "license",
           "license-expression": "license_expression", "home-page": "home_page"}
_MULTIPLE = {"classifier": "classifiers", "provides-extra": "provides_extra"}


def _raw_fields(data: bytes) -> dict[str, Any] | None:
    """The fields of :data:`_SINGLE`, :data:`_MULTIPLE` and ``project_urls`` of a METADATA
    file, as ``parse_email`` gives them, read from its header lines alone (the email parser
    takes a tenth of a millisecond a file); None when the file is not plain UTF-8 or its
    header has a carriage return, which ``parse_email`` then reads."""
    # Core metadata: RFC 822 headers up to the first empty line; a line starting with
    # whitespace continues the field before it
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\r\n\r\n")) if i >= 0]
    try:
        head = data[:min(ends)].decode("utf-8") if ends else data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in head:  # (a line ends there too, and a folded value keeps its CRLF: rare,
        return None   # the email parser reads such a file)
    found: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and last is not None:
            last[-1] += "\n" + line
            continue
        key, colon, value = line.partition(":")
        if not colon:
            last = None
            continue
        last = found.setdefault(key.strip().lower(), [])
        last.append(value.lstrip(" \t"))
    raw: dict[str, Any] = {}
    for field, name in _SINGLE.items():
        values = found.get(field, [])
        if len(values) == 1:
            raw[name] = values[0]
    for field, name in _MULTIPLE.items():
        if field in found:
            raw[name] = found[field]
    urls: dict[str, str] = {}
    for pair in found.get("project-url", []):
        label, _, target = pair.partition(",")
        if label.strip() in urls:  # a label twice: parse_email leaves the field unparsed
            urls = {}
            break
        urls[label.strip()] = target.strip()
    if urls:
        raw["project_urls"] = urls
    return raw


def read_meta(data: bytes, *, plain: bool = False) -> Meta:
    """The :class:`Meta` of a METADATA file's bytes (core metadata, any version; fields
    that do not parse are left out, as a page would rather say less than fail).

    The header lines are read by :func:`_raw_fields`; *plain*: by packaging's
    ``parse_email`` (the tests hold them to the same answers)."""
    fast = None if plain else _raw_fields(data)
    raw: Mapping[str, Any] = fast if fast is not None else parse_email(data)[0]
    urls: dict[str, str] = {}  # normalized label -> the first URL under it
    for label, url in (raw.get("project_urls") or {}).items():
        if _web(url):
            urls.setdefault(label.translate(_STRIP).lower(), _web(url))

    def first(labels: Iterable[str]) -> str:
        return next((urls[k] for k in labels if k in urls), "")

    home = first(_HOME) or _web(raw.get("home_page"))
    known = tuple((title, url) for title, labels in _WELL_KNOWN if (url := first(labels)))
    provides = sorted({canonicalize_name(e) for e in raw.get("provides_extra") or ()})
    return Meta(summary=_one_line(raw.get("summary"), _SUMMARY_MAX), license=_license(raw),
                home=home, changelog=first(_CHANGELOG), urls=known, provides=tuple(provides))


@dataclass(frozen=True)
class Dependency:
    """One declared dependency: the project it names, its text, the extra it serves."""

    project: str  # normalized
    text: str
    extra: str | None


def _specifier(text: str | None) -> SpecifierSet | None:
    if text is None:
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def wheel_rank(env: Environment, tags: frozenset[Tag], requires_python: SpecifierSet | None
               ) -> int | None:
    """pip's preference for a wheel on *env* (lower is better); None when it does not
    install there: no tag of it is one *env* accepts, or its ``requires-python`` excludes
    *env*'s Python (PEP 503 ``data-requires-python``, which pip honours)."""
    if requires_python is not None and not requires_python.contains(
            env.markers["python_full_version"], prereleases=True):
        return None
    return env.rank(tags)


class Chooser:
    """Which wheel pip installs on each of *environments* (:meth:`serving`), with the
    ranks of each (tags, requires-python) pair worked out once."""

    def __init__(self, environments: Sequence[Environment]) -> None:
        self.environments = tuple(environments)
        self._ranks: dict[tuple[str, str | None], tuple[int | None, ...]] = {}

    def ranks(self, filename: str, requires_python: str | None) -> tuple[int | None, ...]:
        """pip's rank of the wheel *filename* on each environment (None: not there)."""
        # PEP 427: the file name ends {python tag}-{abi tag}-{platform tag}.whl
        tag = "-".join(filename.removesuffix(".whl").split("-")[-3:])
        key = (tag, requires_python)
        found = self._ranks.get(key)
        if found is None:
            try:
                tags = parse_wheel_filename(filename)[3]
            except (InvalidWheelFilename, InvalidVersion):
                tags = frozenset()
            spec = _specifier(requires_python)
            found = self._ranks[key] = tuple(wheel_rank(env, tags, spec)
                                             for env in self.environments)
        return found

    def serving(self, wheels: Sequence[WheelEntry]) -> list[WheelEntry | None]:
        """For each environment, the wheel pip installs there (``pip install <project>``:
        the newest version with a wheel for it, then the most preferred tag), or None."""
        ranked = []
        for w in wheels:
            try:
                version = Version(w.version)
            except InvalidVersion:
                continue
            ranked.append((w, version, self.ranks(w.filename, w.requires_python)))
        chosen: list[WheelEntry | None] = []
        for i in range(len(self.environments)):
            best: tuple[Version, int, str] | None = None
            pick = None
            for wheel, version, ranks in ranked:
                rank = ranks[i]
                if rank is None:
                    continue
                if best is None or (version, -rank) > best[:2] or (
                        (version, -rank) == best[:2] and wheel.filename < best[2]):
                    best, pick = (version, -rank, wheel.filename), wheel
            chosen.append(pick)
        return chosen

    def covers(self, wheels: Sequence[WheelEntry]) -> tuple[int, int]:
        """(environments with a wheel, those where it is a compiled one) as bit masks."""
        every = compiled = 0
        for i, w in enumerate(self.serving(wheels)):
            if w is not None:
                every |= 1 << i
                if not w.filename.endswith("-any.whl"):
                    compiled |= 1 << i
        return every, compiled


@dataclass(frozen=True)
class Project:
    """A project as its page shows it: the manifest *entry* and the *meta* of its
    representative wheel."""

    entry: ProjectEntry
    meta: Meta

    @property
    def name(self) -> str:
        return self.entry.name

    @cached_property
    def versions(self) -> tuple[str, ...]:
        """Every version with a wheel here, newest first (as written in the entries)."""
        found: dict[str, Version] = {}
        for w in self.entry.wheels:
            try:
                found.setdefault(w.version, Version(w.version))
            except InvalidVersion:
                continue
        return tuple(sorted(found, key=lambda v: found[v], reverse=True))

    @property
    def version(self) -> str:
        return self.versions[0] if self.versions else ""

    @cached_property
    def representative(self) -> WheelEntry | None:
        return representative(self.entry.wheels)

    @cached_property
    def dependencies(self) -> tuple[Dependency, ...]:
        """The declared dependencies of every wheel, each text once, sorted by extra (none
        first), project and text."""
        found: dict[str, Dependency] = {}
        for w in self.entry.wheels:
            for text in w.dependencies:
                if text in found:
                    continue
                try:
                    req = Requirement(text)
                except InvalidRequirement:
                    continue
                m = _EXTRA.search(str(req.marker)) if req.marker is not None else None
                extra = canonicalize_name(m[1]) if m else None
                found[text] = Dependency(canonicalize_name(req.name), text, extra)
        return tuple(sorted(found.values(), key=lambda d: (d.extra or "", d.project, d.text)))

    @cached_property
    def dependency_names(self) -> tuple[str, ...]:
        return tuple(sorted({d.project for d in self.dependencies} - {self.name}))

    @cached_property
    def extras(self) -> tuple[str, ...]:
        """The extras the repository supports (declared), over every wheel."""
        return tuple(sorted({e for w in self.entry.wheels for e in w.extras}))


def representative(wheels: Sequence[WheelEntry]) -> WheelEntry | None:
    """The wheel whose METADATA speaks for the project: the newest version's first file."""
    best: tuple[Version, str] | None = None
    pick = None
    for w in wheels:
        try:
            version = Version(w.version)
        except InvalidVersion:
            continue
        if best is None or version > best[0] or (version == best[0] and w.filename < best[1]):
            best, pick = (version, w.filename), w
    return pick if pick is not None else (wheels[0] if wheels else None)

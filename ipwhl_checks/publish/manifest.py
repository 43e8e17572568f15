"""The manifest: the machine-readable description of a published IPWHL tree.

``ipwhl publish`` writes it at the root of the published tree as ``manifest.json``, beside
``index.html`` and the ``<project>/`` directories (a PEP 503 normalized project name never
contains a dot, so neither file name can clash with a project).  Clients read it to lock
an install set without resolving against the gateway (``ipwhl lock``); the next publish
reads it (``--previous``) to reuse every project whose declarations did not change.

Format ``ipwhl-manifest/1``: JSON, ASCII only, keys sorted, one top-level key per line and
each project on one line of compact JSON (:func:`manifest_bytes`), one trailing newline; so
the same content always gives the same bytes and the same CID.  Its content (shown
indented here)::

    {
      "format": "ipwhl-manifest/1",
      "layout": "ipwhl-publish/1",      # version of the tree layout and HTML pages
      "profile": "unixfs-v1-2025",      # the import profile every CID below follows
      "source-commit": "<40 hex>",      # git commit of the data tree, or null
      "index": FILE,                    # /index.html
      "totals": {"projects": 2, "wheels": 3, "bytes": 123456},   # bytes: sum of wheel sizes
      "projects": {
        "<normalized name>": {
          "cid": "<CID of the /<project>/ directory>",
          "dag-size": 4567,             # its cumulative size (the Tsize of its link)
          "declarations": "sha256:<hex>",   # digest of the project's declarations
          "index": FILE,                # /<project>/index.html
          "wheels": {
            "<wheel file name>": {
              "version": "2.32.3",
              "cid": "<CID of the wheel file>", "size": 64928, "dag-size": 64939,
              "sha256": "<hex>",        # of the wheel file, as in the index's #sha256=
              "metadata": FILE,         # /<project>/<wheel file>.metadata (PEP 658)
              "requires-python": ">=3.8",   # or null
              "extras": ["socks"],
              "dependencies": ["idna<4,>=2.5", "PySocks!=1.5.7,>=1.5.6; extra == \\"socks\\""],
              "source": "<the declaration's source>",
              "declaration": "sha256:<hex>"   # digest of this wheel's declaration
            }
          }
        }
      }
    }

where ``FILE`` is ``{"cid": ..., "size": <bytes>, "dag-size": <cumulative size>,
"sha256": "<hex>"}``.  ``cid`` and ``dag-size`` are what ``ipfs add`` gives (and what the
parent directory's link carries), so a publisher can link a file or a whole project
subtree from a previous release knowing only these two numbers.

The declaration digests are defined by :func:`declaration_digest` and
:func:`project_digest`: sha256 of everything the published files depend on (the layout,
the profile, the declaration file's path and bytes, NUL-separated).  Equal digests
mean the published files are byte-identical, which is what makes reuse across releases
safe, and they are computed without parsing the files.

Reading.  :class:`Reader` is the one reader of manifests.  A manifest is checked in full
against what a publish writes, whoever made it (a manifest whose blocks match the CID a
gateway was asked for is only the publisher's file, not a valid one), and the first
problem is one line, ``<where>: invalid manifest (<what>)``:

* the file is ASCII JSON, with no key twice in an object (nor nested so deep that JSON
  cannot be read); ``format`` is ``ipwhl-manifest/1``, and every key is there, none unknown;
* ``profile`` is a known import profile, ``source-commit`` null or a git object name (40
  or 64 lowercase hex digits); every ``cid`` parses as a CID; every ``sha256`` is 64
  lowercase hex digits, every digest ``sha256:`` and 64; sizes are integers in [0, 2**63);
* project names and extras are PEP 503 normalized names (``[a-z0-9]+(-[a-z0-9]+)*``),
  an extra listed once;
* a wheel's file name is a valid wheel file name (PEP 427, ``packaging``'s
  ``parse_wheel_filename``) of letters, digits and ``._+!-`` (no path separator), naming
  at most 256 tags, whose project is its entry's and whose version, normalized, is its
  ``version`` field;
* ``requires-python`` is null or a PEP 440 specifier set, each dependency a PEP 508
  requirement;
* ``totals`` are what the projects add up to.

:meth:`Reader.manifest` reads a manifest in any layout into a :class:`Manifest`.
:meth:`Reader.lines` reads it for the next publish (:class:`Lines`: each project's
directory link, declarations digest and line, the entry parsed only on demand): a
manifest in the canonical layout is checked line by line with one pattern per line and
per wheel (:data:`_HEAD`, :data:`_WHEEL`) that accept exactly the canonical JSON of an
entry whose fields have the right forms, the checks patterns cannot make (a requirement,
a specifier, a file name against its project and version) applied to each distinct text
once; any other manifest, and any line those patterns do not accept, is read by
:meth:`Reader.manifest`, which gives the same answer or names the problem.  The
patterns exist because parsing and checking all of a 10,000-project manifest takes
longer than the rest of an incremental publish (``benchmarks/publish.py``); the tests
hold them to the plain reading.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from ..errors import PublishError
from ..ipld.cid import parse_cid
from ..unixfs.profiles import PROFILES
from ..util.atomic import atomic_write

__all__ = [
    "FORMAT",
    "LAYOUT",
    "MANIFEST_NAME",
    "MAX_SIZE",
    "MAX_TAGS",
    "FileEntry",
    "Header",
    "Lines",
    "Manifest",
    "ProjectEntry",
    "ProjectLine",
    "Reader",
    "WheelEntry",
    "cid_named",
    "cids_named",
    "declaration_digest",
    "dump_manifest",
    "load_manifest",
    "manifest_bytes",
    "parse_manifest",
    "parse_project",
    "project_digest",
    "project_line",
    "project_text",
    "read_lines",
    "read_manifest_file",
    "render_manifest",
]

FORMAT = "ipwhl-manifest/1"
# Bump when the published files change for the same declarations (HTML pages, file set,
# manifest fields): a previous release's subtrees are then never reused.
LAYOUT = "ipwhl-publish/1"
MANIFEST_NAME = "manifest.json"
# Every size is below this: TOML's integers (a PEP 751 lock file's sizes) are 64-bit
# signed, and a dag-pb link's Tsize is a uint64.
MAX_SIZE = 2**63
# A wheel file name names at most this many tags (a compressed tag set such as
# ``py2.py3-none-any`` names the product of its parts: a few in practice, but a hostile
# name of 255 characters could name 70,000, each an object when read).
MAX_TAGS = 256


@dataclass(frozen=True)
class FileEntry:
    """One file of the published tree: its CID, byte size, cumulative DAG size and sha256."""

    cid: str
    size: int
    dag_size: int
    sha256: str


@dataclass(frozen=True)
class WheelEntry:
    """One wheel: the file, its PEP 658 metadata file, and what its declaration says."""

    filename: str
    version: str
    cid: str
    size: int
    dag_size: int
    sha256: str
    metadata: FileEntry
    requires_python: str | None
    extras: tuple[str, ...]
    dependencies: tuple[str, ...]
    source: str
    declaration: str

    @property
    def file(self) -> FileEntry:
        return FileEntry(self.cid, self.size, self.dag_size, self.sha256)


@dataclass(frozen=True)
class ProjectEntry:
    """One ``/<project>/`` directory: its CID and cumulative size, its page and wheels."""

    name: str
    cid: str
    dag_size: int
    declarations: str
    index: FileEntry
    wheels: tuple[WheelEntry, ...]  # sorted by file name


@dataclass(frozen=True)
class Manifest:
    """The whole published tree, minus the root directory's own CID (it contains this file)."""

    profile: str
    source_commit: str | None
    index: FileEntry
    projects: tuple[ProjectEntry, ...]  # sorted by name
    layout: str = LAYOUT

    @property
    def wheel_count(self) -> int:
        return sum(len(p.wheels) for p in self.projects)

    @property
    def total_bytes(self) -> int:
        return sum(w.size for p in self.projects for w in p.wheels)

    def project(self, name: str) -> ProjectEntry | None:
        return next((p for p in self.projects if p.name == name), None)


def declaration_digest(relpath: str, data: bytes, profile: str) -> str:
    """Digest of one declaration file: its path under the data root, its bytes, the profile
    and the layout (everything one wheel's published files and manifest entry depend on)."""
    head = f"{LAYOUT}\0{profile}\0{relpath}\0".encode()
    return "sha256:" + hashlib.sha256(head + data).hexdigest()


def project_digest(name: str, wheel_digests: Iterable[str], profile: str) -> str:
    """Digest of one project's declarations (order-insensitive)."""
    text = "\0".join([LAYOUT, profile, name, *sorted(wheel_digests)])
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# ---- writing ---------------------------------------------------------------------------

def _file_json(f: FileEntry) -> dict[str, Any]:
    return {"cid": f.cid, "size": f.size, "dag-size": f.dag_size, "sha256": f.sha256}


def _project_json(p: ProjectEntry) -> dict[str, Any]:
    wheels = {}
    for w in p.wheels:
        wheels[w.filename] = {
            "version": w.version, "cid": w.cid, "size": w.size, "dag-size": w.dag_size,
            "sha256": w.sha256, "metadata": _file_json(w.metadata),
            "requires-python": w.requires_python, "extras": list(w.extras),
            "dependencies": list(w.dependencies), "source": w.source,
            "declaration": w.declaration,
        }
    return {"cid": p.cid, "dag-size": p.dag_size, "declarations": p.declarations,
            "index": _file_json(p.index), "wheels": wheels}


# json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":")), with one
# encoder made once (json.dumps makes one per call: a third of the time for a short value)
_compact = json.JSONEncoder(ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode


# a name JSON writes as it is, between quotes (every PEP 503 normalized name)
_PLAIN = re.compile("[a-z0-9._-]*")


def project_text(p: ProjectEntry) -> str:
    """The compact JSON of *p*'s entry: its line of ``manifest.json`` after the name."""
    return _compact(_project_json(p))


def manifest_bytes(manifest: Manifest) -> bytes:
    """The manifest's canonical bytes (what ``manifest.json`` holds).

    Keys sorted, ASCII; the top level one key per line and each project on one line of
    compact JSON (readable diffs, and the C encoder: a pretty-printed 10,000-project
    manifest takes seconds to write in pure Python).
    """
    m = manifest
    return render_manifest(
        profile=m.profile, layout=m.layout, source_commit=m.source_commit, index=m.index,
        wheels=m.wheel_count, total_bytes=m.total_bytes,
        lines=[project_line(p.name, project_text(p)) for p in sorted(m.projects, key=_name)])


def _name(p: ProjectEntry) -> str:
    return p.name


def project_line(name: str, text: str) -> str:
    """A project's line in ``manifest.json`` (without the comma): its name, its entry's
    compact JSON *text*."""
    return f'  "{name}": {text}' if _PLAIN.fullmatch(name) else f"  {_compact(name)}: {text}"


def render_manifest(*, profile: str, layout: str, source_commit: str | None, index: FileEntry,
                    wheels: int, total_bytes: int, lines: Sequence[str | bytes | memoryview],
                    projects: int | None = None) -> bytes:
    """The canonical bytes of a manifest given each project's line (:func:`project_line`,
    sorted by name), the one place the layout of ``manifest.json`` is written.

    A piece of *lines* may also be the bytes of several consecutive lines, joined by
    ``",\n"`` as in a manifest (a run of a previous manifest's lines, not copied one by
    one); *projects* then gives their number."""
    top = {
        "format": FORMAT, "layout": layout, "profile": profile,
        "source-commit": source_commit, "index": _file_json(index),
        "totals": {"projects": len(lines) if projects is None else projects,
                   "wheels": wheels, "bytes": total_bytes},
        "projects": None,
    }
    pieces: list[bytes | memoryview] = []  # joined once: one copy of a previous run
    for key in sorted(top):
        pieces.append(b"{\n" if not pieces else b",\n")
        if key != "projects":
            pieces.append(f" {_compact(key)}: {_compact(top[key])}".encode("ascii"))
        elif not lines:
            pieces.append(b' "projects": {}')
        else:
            pieces.append(b' "projects": {\n')
            for line in lines:
                pieces.append(line.encode("ascii") if isinstance(line, str) else line)
                pieces.append(b",\n")
            pieces[-1] = b"\n }"
    pieces.append(b"\n}\n")
    return b"".join(pieces)


# ---- reading: what it gives ------------------------------------------------------------

@dataclass(frozen=True)
class Header:
    """A manifest's top-level fields, checked; ``totals`` as it says (projects, wheels,
    bytes)."""

    profile: str
    layout: str
    source_commit: str | None
    index: FileEntry
    totals: tuple[int, int, int]


class ProjectLine(NamedTuple):
    """One project's line of a manifest (checked): the link to its directory, its
    declarations digest, and where the line (:func:`project_line`) is:
    ``source[start:end]`` (the manifest's bytes, not copied for each line; or the line's
    own bytes, for a manifest not in the canonical layout)."""

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
class Lines:
    """A checked manifest as the next publish reads it: its header, each project's line
    (by name, in name order), and the manifest in the canonical layout (the bytes read, if
    they are in it), which the lines are views of."""

    header: Header
    projects: dict[str, ProjectLine]
    text: bytes


# ---- reading: the checks ---------------------------------------------------------------

_TOP_KEYS = frozenset({"format", "layout", "profile", "source-commit", "index", "totals",
                       "projects"})
_TOTALS_KEYS = frozenset({"projects", "wheels", "bytes"})
_FILE_KEYS = frozenset({"cid", "size", "dag-size", "sha256"})
_PROJECT_KEYS = frozenset({"cid", "dag-size", "declarations", "index", "wheels"})
_WHEEL_KEYS = frozenset({"version", "cid", "size", "dag-size", "sha256", "metadata",
                         "requires-python", "extras", "dependencies", "source",
                         "declaration"})

# PEP 503 (projects) and PEP 685 (extras): a valid name, normalized
_NORMALIZED = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1 or SHA-256 object name
_FILE_NAME = re.compile(r"[A-Za-z0-9._+!-]+")


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused if it names a key twice (``json`` would keep the last)."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return value


def _shown(value: object) -> str:
    """*value* quoted for a one-line message: its repr, cut to 100 characters (an object
    or array named by its kind)."""
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "an array"
    text = repr(value)
    return text if len(text) <= 100 else text[:100] + "..."


# The checks of one text, each giving what is wrong with it or None; :class:`Reader`
# remembers each verdict (a tree repeats the same texts).

def _requirement_problem(text: str) -> str | None:
    try:
        Requirement(text)
    except InvalidRequirement as e:
        reason = str(e).splitlines()[0] if str(e) else "unparsable"
        return f"{_shown(text)} is not a PEP 508 requirement ({reason})"
    return None


def _specifier_problem(text: str) -> str | None:
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return f"{_shown(text)} is not a PEP 440 specifier set"
    return None


def _extra_problem(text: str) -> str | None:
    if _NORMALIZED.fullmatch(text):
        return None
    return f"{_shown(text)} is not a normalized extra name (PEP 685)"


def _cid_problem(text: str) -> str | None:
    try:
        parse_cid(text)
    except ValueError:
        return f"{_shown(text)} is not a CID"
    return None


def _version_problem(text: str) -> str | None:
    """None if *text* is a PEP 440 version in its normal form (``str(Version(text))``)."""
    try:
        if str(Version(text)) == text:
            return None
    except InvalidVersion:
        pass
    return f"{_shown(text)} is not a normalized PEP 440 version"


_CHECKS = {"requirement": _requirement_problem, "specifier": _specifier_problem,
           "extra": _extra_problem, "cid": _cid_problem, "version": _version_problem}


class Reader:
    """The manifest reader (see the module docstring): typed, checked access to a
    manifest named *where* in messages, each problem a :class:`PublishError`."""

    def __init__(self, where: str) -> None:
        self.where = where
        # (check, text) -> what is wrong with the text, or None
        self._verdicts: dict[tuple[str, str], str | None] = {}
        # wheel file name tails ("py3-none-any.whl") valid after any "<project>-<version>-",
        # and the normalized versions seen (see wheel_version)
        self._tails: set[str] = set()
        self._versions: set[str] = set()
        # canonical JSON texts the line reader found valid (lists, requires-python)
        self._texts: set[str] = set()

    def fail(self, message: str) -> PublishError:
        return PublishError(f"{self.where}: invalid manifest ({message})")

    # ---- values ----

    def document(self, data: bytes | str, what: str = "") -> Any:
        """The JSON value of *data*, which must be ASCII; *what* names the part it is."""
        prefix = f"{what}: " if what else ""
        if not data.isascii():
            raise self.fail(f"{prefix}not ASCII")
        try:
            return json.loads(data, object_pairs_hook=_object)
        except _DuplicateKey as e:
            raise self.fail(f"{prefix}key {_shown(e.key)} twice in one object") from e
        except RecursionError as e:
            raise self.fail(f"{prefix}nested too deeply") from e
        except ValueError as e:
            raise self.fail(f"{prefix}not JSON: {e}") from e

    def obj(self, value: object, what: str, keys: frozenset[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be an object")
        if value.keys() != keys:
            missing = sorted(keys - value.keys())
            if missing:
                raise self.fail(f"{what} lacks key {missing[0]!r}")
            raise self.fail(f"{what} has unknown key {_shown(sorted(value.keys() - keys)[0])}")
        return value

    def str_(self, value: object, what: str, optional: bool = False) -> Any:
        if isinstance(value, str) or (optional and value is None):
            return value
        raise self.fail(f"{what} must be a string")

    def int_(self, value: object, what: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(f"{what} must be a non-negative integer")
        if value >= MAX_SIZE:
            raise self.fail(f"{what} must be below 2**63")
        return value

    def strs(self, value: object, what: str) -> tuple[str, ...]:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise self.fail(f"{what} must be a list of strings")

    def check(self, kind: str, text: str, what: str) -> str:
        """*text*, if the check *kind* (``requirement``, ``specifier``, ``extra``, ``cid``,
        ``version``) finds nothing wrong with it."""
        key = (kind, text)
        try:
            problem = self._verdicts[key]
        except KeyError:
            problem = self._verdicts[key] = _CHECKS[kind](text)
        if problem is not None:
            raise self.fail(f"{what}: {problem}")
        return text

    def cid(self, value: object, what: str) -> str:
        return self.check("cid", self.str_(value, what), what)

    def sha256(self, value: object, what: str) -> str:
        if not _SHA256.fullmatch(self.str_(value, what)):
            raise self.fail(f"{what}: {_shown(value)} is not 64 lowercase hex digits")
        return str(value)

    def digest(self, value: object, what: str) -> str:
        if not _DIGEST.fullmatch(self.str_(value, what)):
            raise self.fail(f"{what}: {_shown(value)} is not 'sha256:' and 64 lowercase hex "
                            "digits")
        return str(value)

    def file(self, value: object, what: str) -> FileEntry:
        d = self.obj(value, what, _FILE_KEYS)
        return FileEntry(self.cid(d["cid"], f"{what}.cid"), self.int_(d["size"], f"{what}.size"),
                         self.int_(d["dag-size"], f"{what}.dag-size"),
                         self.sha256(d["sha256"], f"{what}.sha256"))

    # ---- the parts of a manifest ----

    def header(self, raw: object) -> tuple[Header, Mapping[str, Any]]:
        """(the checked top level of parsed manifest JSON *raw*, its ``projects`` object)."""
        if isinstance(raw, dict) and raw.get("format") != FORMAT:
            raise self.fail(f"format {_shown(raw.get('format'))}, expected {FORMAT!r}")
        top = self.obj(raw, "the manifest", _TOP_KEYS)
        projects_raw = top["projects"]
        if not isinstance(projects_raw, dict):
            raise self.fail("'projects' must be an object")
        t = self.obj(top["totals"], "totals", _TOTALS_KEYS)
        profile = self.str_(top["profile"], "profile")
        if profile not in PROFILES:
            raise self.fail(f"profile {_shown(profile)} is not a known profile (expected "
                            f"{' or '.join(PROFILES)})")
        commit = self.str_(top["source-commit"], "source-commit", optional=True)
        if commit is not None and not _COMMIT.fullmatch(commit):
            raise self.fail(f"source-commit {_shown(commit)} is not a git commit (40 or 64 "
                            "lowercase hex digits)")
        header = Header(
            profile=profile, layout=self.str_(top["layout"], "layout"), source_commit=commit,
            index=self.file(top["index"], "index"),
            totals=(self.int_(t["projects"], "totals.projects"),
                    self.int_(t["wheels"], "totals.wheels"), self.int_(t["bytes"], "totals.bytes")))
        return header, projects_raw

    def check_totals(self, header: Header, projects: int, wheels: int, total_bytes: int) -> None:
        """PublishError unless the header's totals are what the projects add up to."""
        for key, said, value in zip(("projects", "wheels", "bytes"), header.totals,
                                    (projects, wheels, total_bytes), strict=True):
            if said != value:
                raise self.fail(f"totals.{key} is {said!r} but the projects add up to {value}")

    def project(self, name: str, value: object) -> ProjectEntry:
        """The entry of project *name*, its JSON *value* checked."""
        if not _NORMALIZED.fullmatch(name):
            raise self.fail(f"projects: {_shown(name)} is not a normalized project name "
                            "(PEP 503)")
        what = f"projects.{name}"
        p = self.obj(value, what, _PROJECT_KEYS)
        cid = self.cid(p["cid"], f"{what}.cid")
        dag_size = self.int_(p["dag-size"], f"{what}.dag-size")
        declarations = self.digest(p["declarations"], f"{what}.declarations")
        index = self.file(p["index"], f"{what}.index")
        wheels_raw = p["wheels"]
        if not isinstance(wheels_raw, dict):
            raise self.fail(f"{what}.wheels must be an object")
        wheels = tuple(self._wheel(name, fn, wheels_raw[fn]) for fn in sorted(wheels_raw))
        return ProjectEntry(name=name, cid=cid, dag_size=dag_size, declarations=declarations,
                            index=index, wheels=wheels)

    def _wheel(self, project: str, filename: str, value: object) -> WheelEntry:
        version = self.wheel_version(filename, project, f"projects.{project}.wheels")
        what = f"projects.{project}.wheels.{filename}"
        d = self.obj(value, what, _WHEEL_KEYS)
        said = self.str_(d["version"], f"{what}.version")
        if said != version:
            raise self.fail(f"{what}.version is {_shown(said)} but the file name says "
                            f"{version!r}")
        cid = self.cid(d["cid"], f"{what}.cid")
        size = self.int_(d["size"], f"{what}.size")
        dag_size = self.int_(d["dag-size"], f"{what}.dag-size")
        sha256 = self.sha256(d["sha256"], f"{what}.sha256")
        metadata = self.file(d["metadata"], f"{what}.metadata")
        rp = self.str_(d["requires-python"], f"{what}.requires-python", optional=True)
        if rp is not None:
            self.check("specifier", rp, f"{what}.requires-python")
        extras, dependencies = self._lists(d["extras"], d["dependencies"], what)
        return WheelEntry(
            filename=filename, version=version, cid=cid, size=size, dag_size=dag_size,
            sha256=sha256, metadata=metadata, requires_python=rp, extras=extras,
            dependencies=dependencies, source=self.str_(d["source"], f"{what}.source"),
            declaration=self.digest(d["declaration"], f"{what}.declaration"))

    def _lists(self, extras: object, dependencies: object, what: str
               ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        names = self.strs(extras, f"{what}.extras")
        for i, name in enumerate(names):
            self.check("extra", name, f"{what}.extras[{i}]")
            if name in names[:i]:
                raise self.fail(f"{what}.extras[{i}]: {name!r} is listed twice")
        requirements = self.strs(dependencies, f"{what}.dependencies")
        for i, text in enumerate(requirements):
            self.check("requirement", text, f"{what}.dependencies[{i}]")
        return names, requirements

    def wheel_version(self, filename: str, project: str, what: str) -> str:
        """The version (normalized) of wheel file name *filename*, a wheel of *project*.

        Most names are ``<project, '-' as '_'>-<normalized version>-<tail>``.  A tail
        (``py3-none-any.whl``) found valid once is valid after any such start: the project
        and version parts have no ``-``, so ``parse_wheel_filename`` splits them off
        whatever the tail, and accepts them.  Such a name is checked by looking its tail
        and its version up."""
        stem = project.replace("-", "_") + "-"
        version = dash = tail = ""
        if filename.startswith(stem):
            version, dash, tail = filename[len(stem):].partition("-")
            if dash and tail in self._tails and version in self._versions:
                return version
        found = self._wheel_version(filename, project, what)
        if dash and found == version:
            self._versions.add(version)
            self._tails.add(tail)
        return found

    def _wheel_version(self, filename: str, project: str, what: str) -> str:
        if not _FILE_NAME.fullmatch(filename):
            raise self.fail(f"{what}: {_shown(filename)} is not a wheel file name (only "
                            "letters, digits and ._+!- can be in one)")
        tags = math.prod(part.count(".") + 1 for part in filename[:-4].split("-")[-3:])
        if tags > MAX_TAGS and filename.endswith(".whl"):
            raise self.fail(f"{what}: {_shown(filename)} names {tags} tags, more than "
                            f"{MAX_TAGS}")
        try:
            name, version, _build, _tags = parse_wheel_filename(filename)
        except InvalidWheelFilename as e:
            raise self.fail(f"{what}: {_shown(filename)} is not a wheel file name ({e})") from e
        if name != project:
            raise self.fail(f"{what}: {filename!r} is a wheel of {name!r}, not of {project!r}")
        return str(version)

    # ---- whole manifests ----

    def manifest(self, data: bytes) -> Manifest:
        """The manifest whose bytes are *data*, in any layout, checked in full."""
        header, projects_raw = self.header(self.document(data))
        projects = tuple(self.project(name, projects_raw[name]) for name in sorted(projects_raw))
        manifest = Manifest(profile=header.profile, source_commit=header.source_commit,
                            index=header.index, projects=projects, layout=header.layout)
        self.check_totals(header, len(projects), manifest.wheel_count, manifest.total_bytes)
        return manifest

    def entry(self, name: str, text: str) -> ProjectEntry:
        """The entry of project *name* from its compact JSON *text* (a line's)."""
        return self.project(name, self.document(text, f"projects.{name}"))

    def lines(self, data: bytes) -> Lines:
        """The manifest whose bytes are *data*, checked in full, as :class:`Lines`."""
        return self._canonical_lines(data) or self._lines_of(self.manifest(data))

    @staticmethod
    def _lines_of(m: Manifest) -> Lines:
        lines = [project_line(p.name, project_text(p)) for p in m.projects]
        text = render_manifest(profile=m.profile, layout=m.layout, source_commit=m.source_commit,
                               index=m.index, wheels=m.wheel_count, total_bytes=m.total_bytes,
                               lines=lines)
        projects, at = {}, text.find(_OPEN.encode()) + len(_OPEN) + 1
        for p, line in zip(m.projects, lines, strict=True):
            projects[p.name] = ProjectLine(p.name, p.cid, p.dag_size, p.declarations, text, at,
                                           at + len(line))
            at += len(line) + 2  # (and ",\n")
        header = Header(m.profile, m.layout, m.source_commit, m.index,
                        (len(m.projects), m.wheel_count, m.total_bytes))
        return Lines(header, projects, text)

    def _canonical_lines(self, data: bytes) -> Lines | None:
        """:meth:`lines` for a manifest in the canonical layout whose every line the
        patterns accept; None for any other (see the module docstring)."""
        if b"\0" in data:  # (see _HEX)
            return None
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            return None
        start, end = text.find(_OPEN), text.rfind(_CLOSE)
        if not 0 <= start < end or not text.startswith("{\n") or not text.endswith("\n}\n"):
            return None
        try:  # the top level, with the projects left out
            header, _ = self.header(self.document(
                f'{text[:start]}\n "projects": {{}},\n{text[end + len(_CLOSE):]}'))
        except PublishError:
            return None
        # ... laid out as render_manifest() lays it out (its lines around one empty one)
        top = render_manifest(profile=header.profile, layout=header.layout,
                              source_commit=header.source_commit, index=header.index,
                              wheels=header.totals[1], total_bytes=header.totals[2],
                              lines=[b""], projects=header.totals[0])
        cut = start + len(_OPEN) + 1
        if data[:cut] != top[:cut] or data[end:] != top[cut:]:
            return None
        projects: dict[str, ProjectLine] = {}
        sizes: list[str] = []
        head, wheel = _HEAD.match, _WHEEL.match
        texts, tails, versions = self._texts, self._tails, self._versions
        last, at = "", start + len(_OPEN)  # each line starts after a newline
        while True:
            m = head(text, at)
            if m is None:
                return None
            name, cid, dag_size, declarations = m.groups()
            stem, line, previous = name.replace("-", "_"), at + 1, ""
            at = m.end()
            while text[at] != "}":  # the wheels, sorted by file name, "," between two
                w = wheel(text, at)
                if w is None:
                    return None
                filename, name_part, version, tail, lists, rp, size = w.groups()
                try:  # (a name as wheel_version() looks it up first, or that method)
                    if filename <= previous or (not (
                            name_part == stem and tail in tails and version in versions) \
                            and version != self.wheel_version(filename, name, "")):
                        return None
                    if lists not in texts:  # "dependencies":[...],"extras":[...]
                        value = json.loads(f"{{{lists}}}")
                        self._lists(value["extras"], value["dependencies"], "")
                        texts.add(lists)
                    if rp not in texts:
                        if rp != "null":
                            self.check("specifier", json.loads(rp), "")
                        texts.add(rp)
                except PublishError:
                    return None
                sizes.append(size)
                at, previous = w.end(), filename
                if text[at] == ",":
                    at += 1
                    if text[at] != '"':
                        return None
            if text[at + 1] != "}" or name <= last:
                return None
            at, last = at + 2, name
            projects[name] = _project_line((name, cid, int(dag_size), declarations, data, line,
                                            at))
            if at == end:
                break
            if text[at] != ",":
                return None
            at += 1
        if header.totals != (len(projects), len(sizes), sum(map(int, sizes))):
            return None
        return Lines(header, projects, data)


# ---- reading: the canonical layout's patterns ------------------------------------------

_OPEN, _CLOSE = '\n "projects": {', "\n },\n"
_CID_VALUE = re.compile(rb'"cid":"([^"]+)"')
_project_line = partial(tuple.__new__, ProjectLine)  # ProjectLine(*fields), without a frame
# An integer below 10**18 (so below MAX_SIZE) as JSON writes it.
_N = r"(?:0|[1-9][0-9]{0,17})"
# Digits of a CID or a sha256.  re tests a class of one or two ranges range by range,
# 1.5 times slower than one of three or more, which it looks up in a bitmap; hence the
# NUL in these classes, which cannot match (the line reader takes no text with a NUL).
_BASE32 = r"[\x00a-z2-7]"
_HEX = r"[\x000-9a-f]{64}"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # (in ASCII order)


def _between(low: str, high: str, digits: str = _BASE58) -> str:
    """A pattern of the texts of ``len(low)`` *digits* from *low* to *high* (``low < high``),
    both included.

    *digits* are letters and digits in ASCII order, so that a text sorts as its number.
    After the start the bounds share, a text is in range if its next digit lies strictly
    between theirs (any digits follow), or is low's and the rest is at least low's rest,
    or is high's and the rest at most high's."""
    def digit_class(first: int, last: int) -> str:  # digits[first..last]
        chosen = digits[first:last + 1]
        return "[" + "".join(f"{chosen[i]}-{chosen[j - 1]}" if j - i > 2 else chosen[i:j]
                             for i, j in _runs(chosen)) + "]"

    any_digit = digit_class(0, len(digits) - 1)

    def beyond(bound: str, above: bool) -> str:  # the texts >= bound (<= if not above)
        if not bound:
            return ""
        i = digits.index(bound[0])
        first, last = (i + 1, len(digits) - 1) if above else (0, i - 1)
        rest = f"{bound[0]}{beyond(bound[1:], above)}"
        if first > last:  # bound[0] is the highest (lowest) digit
            return rest
        return f"(?:{digit_class(first, last)}{any_digit}{{{len(bound) - 1}}}|{rest})"

    n = next(i for i, (a, b) in enumerate(zip(low, high, strict=True)) if a != b)
    first, last = digits.index(low[n]), digits.index(high[n])
    middle = f"{digit_class(first + 1, last - 1)}{any_digit}{{{len(low) - n - 1}}}|" \
        if last - first > 1 else ""
    return (f"{low[:n]}(?:{middle}{low[n]}{beyond(low[n + 1:], True)}"
            f"|{high[n]}{beyond(high[n + 1:], False)})")


def _runs(chars: str) -> list[tuple[int, int]]:
    """(start, end) of each run of consecutive ASCII characters of sorted *chars*."""
    runs, start = [], 0
    for i in range(1, len(chars) + 1):
        if i == len(chars) or ord(chars[i]) != ord(chars[i - 1]) + 1:
            runs.append((start, i))
            start = i
    return runs


# A CID as kubo prints it under either profile: base32 CIDv1 of a raw or dag-pb block and
# a sha2-256 digest (the header 01 55|70 12 20 is "bafkrei"/"bafybei" and the 7th digit's
# two high bits; the last digit's two low bits are padding, 0), or a base58btc CIDv0 of a
# sha2-256 digest: from that of 00...00 to that of ff...ff.
_V0_LOW = "QmNLei78zWmzUdbeRB3CiUfAizWUrbeeZh5K1rhAQKCh51"  # 12 20 00...00
_V0_HIGH = "QmfZy5bvk7a3DQAjCbGNtmrPXWkyVvPrdnZMyBZ5q5ieKG"  # 12 20 ff...ff
_CID = rf"(?:b(?:afkrei|afybei)[a-h]{_BASE32}{{50}}[aeimquy4]|{_between(_V0_LOW, _V0_HIGH)})"
# A string of printable ASCII as the encoder writes it (only " and \ escaped); a string
# with another escape is left to the plain reader.
_STR = r'"[ !#-\[\]-~]*+(?:\\["\\][ !#-\[\]-~]*+)*+"'
_STRS = rf"(?:{_STR}(?:,{_STR})*+)?+"
_FILE = rf'\{{"cid":"{_CID}","dag-size":{_N},"sha256":"{_HEX}","size":{_N}\}}'
# A project's line up to its first wheel: name, CID, dag-size, declarations.
_HEAD = re.compile(
    rf'\n  "([a-z0-9]+(?:-[a-z0-9]+)*+)": \{{"cid":"({_CID})","dag-size":({_N}),'
    rf'"declarations":"(sha256:{_HEX})","index":{_FILE},"wheels":\{{')
# One wheel: file name (and its parts before the first and second "-", and the rest, as
# parse_wheel_filename splits it), dependencies and extras, requires-python, size; its
# version is the file name's.
_WHEEL = re.compile(
    r'"(([A-Za-z0-9._+!]++)-([A-Za-z0-9._+!]++)-([A-Za-z0-9._+!-]++))":\{'
    rf'"cid":"{_CID}","dag-size":{_N},"declaration":"sha256:{_HEX}",'
    rf'("dependencies":\[{_STRS}\],"extras":\[{_STRS}\]),"metadata":{_FILE},'
    rf'"requires-python":({_STR}|null),"sha256":"{_HEX}","size":({_N}),"source":{_STR},'
    r'"version":"\3"\}')


# ---- reading: functions ----------------------------------------------------------------

def parse_manifest(data: bytes, where: str = "manifest.json") -> Manifest:
    """Parse and check a manifest's bytes; *where* names it in error messages."""
    return Reader(where).manifest(data)


def parse_project(name: str, text: str, where: str) -> ProjectEntry:
    """One project's entry from its JSON *text* (a line of a manifest named *where*)."""
    return Reader(where).entry(name, text)


def cids_named(text: bytes) -> frozenset[str]:
    """Every CID the manifest *text* in the canonical layout (:attr:`Lines.text`) names."""
    return frozenset(cid.decode("ascii") for cid in _CID_VALUE.findall(text))


def cid_named(text: bytes, cid: str) -> bool:
    """Whether the manifest *text* in the canonical layout names *cid* (a ``"cid"``
    value: in a string every quote is escaped)."""
    return f'"cid":"{cid}"'.encode() in text


def read_lines(data: bytes, where: str = "manifest.json") -> Lines:
    """A manifest's bytes, checked, as the next publish reads them (:meth:`Reader.lines`)."""
    return Reader(where).lines(data)


def read_manifest_file(path: Path) -> bytes:
    """The bytes of the manifest file at *path*; PublishError naming it if unreadable."""
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise PublishError(f"{path}: cannot read manifest ({e.strerror or e})") from e


def load_manifest(path: Path) -> Manifest:
    """Read a manifest file (a previous release's ``manifest.json``)."""
    return parse_manifest(read_manifest_file(path), str(path))


def dump_manifest(manifest: Manifest, path: Path) -> None:
    """Write *manifest* to *path* atomically (:func:`~ipwhl_checks.util.atomic.atomic_write`)."""
    atomic_write(path, manifest_bytes(manifest))

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
A reader must reject a ``format`` it does not know; unknown keys are an error too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PublishError
from ..util.atomic import atomic_write
from ..util.nogc import paused_gc

__all__ = [
    "FORMAT",
    "LAYOUT",
    "MANIFEST_NAME",
    "FileEntry",
    "Header",
    "Manifest",
    "ProjectEntry",
    "Reader",
    "WheelEntry",
    "check_totals",
    "declaration_digest",
    "dump_manifest",
    "load_manifest",
    "manifest_bytes",
    "parse_header",
    "parse_manifest",
    "parse_project",
    "project_digest",
    "project_line",
    "project_text",
    "read_manifest_file",
    "render_manifest",
]

FORMAT = "ipwhl-manifest/1"
# Bump when the published files change for the same declarations (HTML pages, file set,
# manifest fields): a previous release's subtrees are then never reused.
LAYOUT = "ipwhl-publish/1"
MANIFEST_NAME = "manifest.json"


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
        return self._by_name.get(name)

    @property
    def _by_name(self) -> dict[str, ProjectEntry]:
        cached: dict[str, ProjectEntry] | None = self.__dict__.get("_by_name_cache")
        if cached is None:
            cached = {p.name: p for p in self.projects}
            object.__setattr__(self, "_by_name_cache", cached)
        return cached


def declaration_digest(relpath: str, data: bytes, profile: str) -> str:
    """Digest of one declaration file: its path under the data root, its bytes, the profile
    and the layout (everything one wheel's published files and manifest entry depend on)."""
    head = f"{LAYOUT}\0{profile}\0{relpath}\0".encode()
    return "sha256:" + hashlib.sha256(head + data).hexdigest()


def project_digest(name: str, wheel_digests: Iterable[str], profile: str) -> str:
    """Digest of one project's declarations (order-insensitive)."""
    text = "\0".join([LAYOUT, profile, name, *sorted(wheel_digests)])
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# ---- JSON ----------------------------------------------------------------------------

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

_TEXT = "_compact_json"  # a ProjectEntry's cached compact JSON (it is frozen: never stale)


def project_text(p: ProjectEntry) -> str:
    """compact(_project_json(p)), made once per entry (a reused project's entry comes from
    the previous manifest with its text: the next manifest is written without re-encoding
    it)."""
    text: str | None = p.__dict__.get(_TEXT)
    if text is None:
        text = _compact(_project_json(p))
        object.__setattr__(p, _TEXT, text)
    return text


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


class Reader:
    """Typed access to a parsed JSON object, raising PublishError that names the file."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, message: str) -> PublishError:
        return PublishError(f"{self.where}: invalid manifest ({message})")

    def obj(self, value: object, what: str, keys: set[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be an object")
        missing = sorted(keys - set(value))
        extra = sorted(set(value) - keys)
        if missing:
            raise self.fail(f"{what} lacks key {missing[0]!r}")
        if extra:
            raise self.fail(f"{what} has unknown key {extra[0]!r}")
        return value

    def str_(self, value: object, what: str, optional: bool = False) -> Any:
        if isinstance(value, str) or (optional and value is None):
            return value
        raise self.fail(f"{what} must be a string")

    def int_(self, value: object, what: str) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise self.fail(f"{what} must be a non-negative integer")

    def strs(self, value: object, what: str) -> tuple[str, ...]:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise self.fail(f"{what} must be a list of strings")

    def file(self, value: object, what: str) -> FileEntry:
        d = self.obj(value, what, {"cid", "size", "dag-size", "sha256"})
        return FileEntry(self.str_(d["cid"], f"{what}.cid"), self.int_(d["size"], f"{what}.size"),
                         self.int_(d["dag-size"], f"{what}.dag-size"),
                         self.str_(d["sha256"], f"{what}.sha256"))


_WHEEL_KEYS = {"version", "cid", "size", "dag-size", "sha256", "metadata", "requires-python",
               "extras", "dependencies", "source", "declaration"}
_FILE_KEYS = {"cid", "size", "dag-size", "sha256"}
_PROJECT_KEYS = {"cid", "dag-size", "declarations", "index", "wheels"}

# Fast paths: a valid manifest is checked with plain type tests (no message strings built);
# anything they do not accept goes through Reader, which names the first problem.


def _nat(value: object) -> bool:
    return type(value) is int and value >= 0


def _strs(value: object) -> bool:
    return type(value) is list and all(type(v) is str for v in value)


def _fast_file(d: Any) -> FileEntry | None:
    if type(d) is dict and d.keys() == _FILE_KEYS:
        cid, size, dag_size, sha256 = d["cid"], d["size"], d["dag-size"], d["sha256"]
        if type(cid) is str and type(sha256) is str and _nat(size) and _nat(dag_size):
            return FileEntry(cid, size, dag_size, sha256)
    return None


def _fast_wheel(filename: str, d: Any) -> WheelEntry | None:
    if type(d) is not dict or d.keys() != _WHEEL_KEYS:
        return None
    metadata = _fast_file(d["metadata"])
    rp = d["requires-python"]
    strs = (d["version"], d["cid"], d["sha256"], d["source"], d["declaration"])
    if metadata is None or not (rp is None or type(rp) is str) \
            or not all(type(v) is str for v in strs) or not _nat(d["size"]) \
            or not _nat(d["dag-size"]) or not _strs(d["extras"]) \
            or not _strs(d["dependencies"]):
        return None
    return WheelEntry(
        filename=filename, version=strs[0], cid=strs[1], size=d["size"],
        dag_size=d["dag-size"], sha256=strs[2], metadata=metadata, requires_python=rp,
        extras=tuple(d["extras"]), dependencies=tuple(d["dependencies"]), source=strs[3],
        declaration=strs[4])


def _fast_project(name: str, d: Any) -> ProjectEntry | None:
    if type(d) is not dict or d.keys() != _PROJECT_KEYS:
        return None
    index, wheels_raw = _fast_file(d["index"]), d["wheels"]
    if index is None or type(wheels_raw) is not dict or type(d["cid"]) is not str \
            or type(d["declarations"]) is not str or not _nat(d["dag-size"]):
        return None
    wheels = []
    for filename in sorted(wheels_raw):
        wheel = _fast_wheel(filename, wheels_raw[filename])
        if wheel is None:
            return None
        wheels.append(wheel)
    entry = ProjectEntry(name=name, cid=d["cid"], dag_size=d["dag-size"],
                         declarations=d["declarations"], index=index, wheels=tuple(wheels))
    # the project's JSON as manifest_bytes writes it (d holds exactly the entry's fields)
    object.__setattr__(entry, _TEXT, _compact(d))
    return entry


def _wheel(r: Reader, filename: str, value: object, what: str) -> WheelEntry:
    d = r.obj(value, what, _WHEEL_KEYS)
    return WheelEntry(
        filename=filename, version=r.str_(d["version"], f"{what}.version"),
        cid=r.str_(d["cid"], f"{what}.cid"), size=r.int_(d["size"], f"{what}.size"),
        dag_size=r.int_(d["dag-size"], f"{what}.dag-size"),
        sha256=r.str_(d["sha256"], f"{what}.sha256"),
        metadata=r.file(d["metadata"], f"{what}.metadata"),
        requires_python=r.str_(d["requires-python"], f"{what}.requires-python", optional=True),
        extras=r.strs(d["extras"], f"{what}.extras"),
        dependencies=r.strs(d["dependencies"], f"{what}.dependencies"),
        source=r.str_(d["source"], f"{what}.source"),
        declaration=r.str_(d["declaration"], f"{what}.declaration"))


def _project(r: Reader, name: str, value: object) -> ProjectEntry:
    fast = _fast_project(name, value)
    if fast is not None:
        return fast
    what = f"projects.{name}"
    p = r.obj(value, what, _PROJECT_KEYS)
    wheels_raw = p["wheels"]
    if not isinstance(wheels_raw, dict):
        raise r.fail(f"{what}.wheels must be an object")
    wheels = tuple(_wheel(r, fn, wheels_raw[fn], f"{what}.wheels.{fn}")
                   for fn in sorted(wheels_raw))
    return ProjectEntry(
        name=name, cid=r.str_(p["cid"], f"{what}.cid"),
        dag_size=r.int_(p["dag-size"], f"{what}.dag-size"),
        declarations=r.str_(p["declarations"], f"{what}.declarations"),
        index=r.file(p["index"], f"{what}.index"), wheels=wheels)


def parse_project(name: str, text: str, where: str) -> ProjectEntry:
    """One project's entry from its JSON *text* (a line of a manifest named *where*)."""
    r = Reader(where)
    try:
        value = json.loads(text)
    except ValueError as e:
        raise r.fail(f"projects.{name}: not JSON: {e}") from e
    return _project(r, name, value)


def parse_manifest(data: bytes, where: str = "manifest.json") -> Manifest:
    """Parse a manifest's bytes; *where* names it in error messages."""
    with paused_gc():  # a large manifest is ~10 objects a wheel, none in a cycle
        return _parse_manifest(data, where)


@dataclass(frozen=True)
class Header:
    """A manifest's top-level fields, checked; ``totals`` as it says (projects, wheels,
    bytes), for the caller to compare with what its projects add up to."""

    profile: str
    layout: str
    source_commit: str | None
    index: FileEntry
    totals: tuple[int, int, int]


def parse_header(raw: object, r: Reader) -> tuple[Header, Mapping[str, Any]]:
    """(the checked top level of parsed manifest JSON *raw*, its ``projects`` object)."""
    if isinstance(raw, dict) and raw.get("format") != FORMAT:
        raise r.fail(f"format {raw.get('format')!r}, expected {FORMAT!r}")
    top = r.obj(raw, "the manifest",
                {"format", "layout", "profile", "source-commit", "index", "totals", "projects"})
    projects_raw = top["projects"]
    if not isinstance(projects_raw, dict):
        raise r.fail("'projects' must be an object")
    t = r.obj(top["totals"], "totals", {"projects", "wheels", "bytes"})
    header = Header(
        profile=r.str_(top["profile"], "profile"), layout=r.str_(top["layout"], "layout"),
        source_commit=r.str_(top["source-commit"], "source-commit", optional=True),
        index=r.file(top["index"], "index"),
        totals=(r.int_(t["projects"], "totals.projects"), r.int_(t["wheels"], "totals.wheels"),
                r.int_(t["bytes"], "totals.bytes")))
    return header, projects_raw


def check_totals(header: Header, projects: int, wheels: int, total_bytes: int,
                 r: Reader) -> None:
    """PublishError unless the header's totals are what the projects add up to."""
    for key, said, value in zip(("projects", "wheels", "bytes"), header.totals,
                                (projects, wheels, total_bytes), strict=True):
        if said != value:
            raise r.fail(f"totals.{key} is {said!r} but the projects add up to {value}")


def _parse_manifest(data: bytes, where: str) -> Manifest:
    r = Reader(where)
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise r.fail(f"not JSON: {e}") from e
    header, projects_raw = parse_header(raw, r)
    projects = [_project(r, name, projects_raw[name]) for name in sorted(projects_raw)]
    manifest = Manifest(profile=header.profile, source_commit=header.source_commit,
                        index=header.index, projects=tuple(projects), layout=header.layout)
    check_totals(header, len(projects), manifest.wheel_count, manifest.total_bytes, r)
    return manifest


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

"""Publish a checked data tree as one UnixFS DAG: the PEP 503 tree, its manifest and a CAR.

The published tree (every CID from :class:`~ipwhl_checks.unixfs.DagBuilder`, so it is what
``ipfs add -r`` gives for the tree ``--out`` writes)::

    /index.html                         PEP 503 root page, every project
    /manifest.json                      ipwhl_checks.manifest (format ipwhl-manifest/1)
    /<project>/index.html               PEP 503 project page (PEP 658/714 attributes)
    /<project>/<wheel file>             the declared wheel, byte for byte
    /<project>/<wheel file>.metadata    its METADATA (PEP 658)

Every wheel is read once: the same pass builds its DAG (whose root CID must equal the
declared ``content-id``, else :class:`PublishError` and nothing is written), its sha256,
and, with ``--out``, its copy.  Outputs are built under temporary names in the target's
directory and renamed into place only when everything succeeded.

Incremental publishing: given the previous release's manifest, a project whose
declarations digest is unchanged is linked by its subtree CID and cumulative size, without
fetching anything; in a changed project every unchanged wheel is linked the same way.  The
CAR then holds only the blocks the previous release lacks (a delta CAR).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .declaration import Declaration, Problem
from .errors import DownloadError, PublishError
from .manifest import (
    LAYOUT,
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    ProjectEntry,
    WheelEntry,
    declaration_digest,
    manifest_bytes,
    project_digest,
)
from .settings import SETTINGS_FILE, Settings, load_settings
from .simple_html import WheelLink, project_page, root_page
from .tree import load_file
from .unixfs import CarWriter, DagBuilder, Node, get_profile

__all__ = ["PublishOptions", "PublishResult", "publish", "source_commit"]


@dataclass(frozen=True)
class PublishOptions:
    """Where the outputs go and how wheels are fetched."""

    out: Path | None = None  # write the tree to this directory
    car: Path | None = None  # write the DAG (a delta with `previous`) to this CAR
    previous: Manifest | None = None
    previous_bytes: bytes | None = None  # the previous manifest's file (for a delta CAR)
    index_url: str | None = None
    allow_file: bool = False
    source_commit: str | None = None


@dataclass(frozen=True)
class PublishResult:
    root_cid: str
    root_size: int
    manifest: Manifest
    manifest_cid: str
    reused_projects: int = 0
    fetched_wheels: int = 0
    car_blocks: int = 0
    stats: dict[str, float] = field(default_factory=dict, compare=False)


def source_commit(root: Path) -> str | None:
    """The git commit of the data tree at *root*, or None outside git or when it is dirty."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    try:
        head = git("rev-parse", "--verify", "HEAD")
        if head.returncode:
            return None
        status = git("status", "--porcelain", "--untracked-files=all", "--", ".")
    except OSError:
        return None
    if status.returncode or status.stdout.strip():
        return None
    return head.stdout.strip()


# ---- CID text, fast --------------------------------------------------------------------
# multiformats needs ~0.3 ms to make a CID object; a 10,000-project tree has ~50,000 nodes.
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def _cid_text(raw: bytes) -> str:
    """A binary CID as kubo prints it."""
    # CID spec: a CIDv0 is a bare sha2-256 multihash (0x12 0x20 + 32 bytes) in base58btc;
    # kubo prints CIDv1 in multibase base32: prefix 'b', RFC 4648 lowercase, no padding.
    if len(raw) == 34 and raw[:2] == b"\x12\x20":
        n, digits = int.from_bytes(raw, "big"), []
        while n:
            n, r = divmod(n, 58)
            digits.append(_B58[r])
        return "".join(reversed(digits))  # 0x12 first: no leading zero bytes to encode
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


# RFC 4648 base32 digits -> the digits of int(..., 32): decoding is then one C call.
_B32_AS_INT = str.maketrans("abcdefghijklmnopqrstuvwxyz234567", "0123456789abcdefghijklmnopqrstuv")


def _cid_raw(text: str) -> bytes:
    """The binary form of a CID string (fast paths for kubo's two forms)."""
    if len(text) == 46 and text.startswith("Qm") and all(c in _B58_INDEX for c in text):
        n = 0
        for c in text:
            n = n * 58 + _B58_INDEX[c]
        return n.to_bytes(34, "big")
    body = text[1:]
    if text.startswith("b") and body.isalnum() and body.islower() and "1" not in body \
            and "0" not in body and "8" not in body and "9" not in body:
        bits = 5 * len(body)
        size, spare = divmod(bits, 8)
        n = int(body.translate(_B32_AS_INT), 32)
        if not n & ((1 << spare) - 1):  # canonical: the padding bits are zero
            return (n >> spare).to_bytes(size, "big")
    from multiformats import CID
    try:
        return bytes(CID.decode(text))
    except (ValueError, KeyError) as e:
        raise PublishError(f"invalid CID {text!r} ({e})") from e


def _same_cid(raw: bytes, text: str) -> bool:
    try:
        return raw == _cid_raw(text)
    except PublishError:
        return False


def _known(raw: bytes, size: int) -> Node:
    """A DAG known by its binary CID and cumulative size (DagBuilder.add_known, no parsing)."""
    return Node(raw, size)


def _builder(profile: str, raw_sink: Callable[[bytes, bytes], None] | None) -> DagBuilder:
    # raw_sink: blocks with binary CIDs (a multiformats.CID object costs ~0.3 ms)
    return DagBuilder(profile, raw_sink=raw_sink)


# ---- reading a wheel once --------------------------------------------------------------

class _Tee(io.RawIOBase):
    """A read-only stream over *source* that copies (and, if asked, hashes) what is read."""

    def __init__(self, source: IO[bytes], copy: IO[bytes] | None, hash_it: bool) -> None:
        self._source, self._copy = source, copy
        self.sha256 = hashlib.sha256() if hash_it else None
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._source.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            view = memoryview(buffer)[:n]
            if self.sha256 is not None:
                self.sha256.update(view)
            if self._copy is not None:
                self._copy.write(view)
            self.size += n
        return int(n or 0)


_RAW_SHA256 = b"\x01\x55\x12\x20"  # CIDv1, multicodec raw (0x55), sha2-256, 32 bytes


def _whole_file_sha256(node: Node) -> str | None:
    """The file's sha256 when its DAG is one raw block (a raw leaf holds the file's bytes
    as they are, so the block's multihash digest is the file's sha256), else None."""
    return node.raw[4:].hex() if node.raw[:4] == _RAW_SHA256 else None


# ---- the outputs -----------------------------------------------------------------------

class _Outputs:
    """The --out directory and the CAR, staged under temporary names until commit()."""

    def __init__(self, stack: ExitStack, options: PublishOptions, exclude: set[str],
                 profile: str) -> None:
        self.out_tmp: Path | None = None
        self.exclude = exclude
        self._car: CarWriter | None = None
        self._car_file: IO[bytes] | None = None
        self._car_tmp: Path | None = None
        self._options = options
        if options.out is not None:
            target = Path(options.out)
            if target.exists() and (not target.is_dir() or (
                    any(target.iterdir()) and not (target / MANIFEST_NAME).is_file())):
                raise PublishError(f"{target}: exists and is not a published tree (no "
                                   f"{MANIFEST_NAME}); refusing to replace it")
            target.parent.mkdir(parents=True, exist_ok=True)
            self.out_tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            stack.callback(shutil.rmtree, self.out_tmp, ignore_errors=True)
        if options.car is not None:
            car = Path(options.car)
            car.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{car.name}.", dir=car.parent)
            self._car_tmp = Path(tmp)
            stack.callback(self._car_tmp.unlink, missing_ok=True)
            self._car_file = stack.enter_context(os.fdopen(fd, "w+b"))
            # The root is known only at the end; its CID has a fixed length (the root is a
            # dag-pb directory: 34 bytes under CIDv0, 36 under CIDv1), so the header is
            # written with a placeholder root of that length and rewritten in place.
            self._car = CarWriter(self._car_file, [_placeholder_root(profile)])

    @property
    def blocks(self) -> int:
        return self._car.blocks if self._car is not None else 0

    def sink(self, raw: bytes, data: bytes) -> None:
        if self._car is None:
            return
        if not self.exclude or _cid_text(raw) not in self.exclude:  # a delta CAR: only new
            self._car.add(raw, data)

    def file(self, relpath: str) -> IO[bytes] | None:
        if self.out_tmp is None:
            return None
        path = self.out_tmp / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("wb")

    def write(self, relpath: str, data: bytes) -> None:
        f = self.file(relpath)
        if f is not None:
            with f:
                f.write(data)

    def commit(self, root: Node) -> None:
        """Move the outputs into place (only called when everything succeeded)."""
        if self._car_file is not None and self._car_tmp is not None \
                and self._options.car is not None:
            assert self._car is not None
            self._car.replace_roots([root.raw])
            self._car_file.flush()
            os.fsync(self._car_file.fileno())
            os.replace(self._car_tmp, self._options.car)
        if self.out_tmp is not None and self._options.out is not None:
            target = Path(self._options.out)
            old: Path | None = None
            if target.exists() or target.is_symlink():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
                os.replace(target, old / "tree")
            os.replace(self.out_tmp, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)


def _placeholder_root(profile_or_raw: str | bytes) -> bytes:
    """A dag-pb CID of the root's length (binary), all-zero digest."""
    if isinstance(profile_or_raw, bytes):
        v1 = not profile_or_raw.startswith(b"\x12\x20")
    else:
        v1 = get_profile(profile_or_raw).cid_version == 1
    return (b"\x01\x70" if v1 else b"") + b"\x12\x20" + bytes(32)


# ---- building the tree -----------------------------------------------------------------

def _wheel_bytes_path(decl: Declaration, profile: str, options: PublishOptions,
                      fresh: bool) -> Path:
    """The declared wheel in the cache; *fresh*: go through the fetcher's verification."""
    from .fetch import cache_dir, fetch_wheel
    if not fresh:
        # fetch module: the cache is ``<cache_dir>/wheels/<cid>/<filename>``; this pass
        # verifies the CID itself, so a hit is not hashed twice.
        cached = cache_dir() / "wheels" / decl.content_id / decl.filename
        if cached.is_file():
            return cached
    return fetch_wheel(decl, profile, index_url=options.index_url, allow_file=options.allow_file)


class _Publisher:
    def __init__(self, builder: Any, outputs: _Outputs, profile: str,
                 options: PublishOptions) -> None:
        self.builder, self.outputs, self.profile, self.options = builder, outputs, profile, options
        self.raw_leaves = get_profile(profile).raw_leaves
        self.chunk_size = get_profile(profile).chunk_size
        self.fetched = 0
        self.reused = 0

    def add_bytes(self, relpath: str, data: bytes) -> tuple[Any, FileEntry]:
        node = self.builder.add_file(io.BytesIO(data))
        self.outputs.write(relpath, data)
        digest = _whole_file_sha256(node) or hashlib.sha256(data).hexdigest()
        return node, FileEntry(_cid_text(node.raw), len(data), node.size, digest)

    def add_wheel(self, decl: Declaration, digest: str) -> tuple[Any, Any, WheelEntry]:
        from .wheel import read_wheel
        relpath = f"{decl.project}/{decl.filename}"
        for fresh in (False, True):
            try:
                path = _wheel_bytes_path(decl, self.profile, self.options, fresh)
            except DownloadError as e:
                raise PublishError(f"{decl.path}: {e}; nothing was published") from e
            with path.open("rb") as f:
                # one raw leaf (see _whole_file_sha256): no second pass of sha256 needed
                one_block = self.raw_leaves and os.fstat(f.fileno()).st_size <= self.chunk_size
                copy = self.outputs.file(relpath)
                with copy if copy is not None else ExitStack():
                    tee = _Tee(f, copy, hash_it=not one_block)
                    node = self.builder.add_file(tee)
            if _same_cid(node.raw, decl.content_id):
                break
            if fresh:
                raise PublishError(
                    f"{decl.path}: content-id: declared {decl.content_id!r} but the wheel "
                    f"{decl.filename} gives {_cid_text(node.raw)!r}; nothing was published")
        self.fetched += 1
        sha256 = tee.sha256.hexdigest() if tee.sha256 else _whole_file_sha256(node)
        if sha256 is None:  # not one raw block after all: hash the file
            with path.open("rb") as f:
                sha256 = hashlib.file_digest(f, "sha256").hexdigest()
        info = read_wheel(path, decl.filename)
        meta_node, meta = self.add_bytes(relpath + ".metadata", info.metadata)
        rp = decl.requires_python
        entry = WheelEntry(
            filename=decl.filename, version=str(decl.version), cid=_cid_text(node.raw),
            size=tee.size, dag_size=node.size, metadata=meta,
            sha256=sha256,
            requires_python=None if rp is None else str(rp), extras=tuple(decl.extras),
            dependencies=tuple(str(d) for d in decl.dependencies), source=decl.source,
            declaration=digest)
        return node, meta_node, entry

    def add_project(self, name: str, decls: Sequence[Declaration], digests: dict[str, str],
                    previous: ProjectEntry | None) -> tuple[Node, ProjectEntry]:
        """The ``/<project>/`` directory; unchanged wheels of *previous* are linked by CID."""
        old = {w.filename: w for w in previous.wheels} if previous else {}
        children: dict[str, Node] = {}
        entries = []
        for decl in sorted(decls, key=lambda d: d.filename):
            prior = old.get(decl.filename)
            if prior is not None and prior.declaration == digests[decl.filename] \
                    and self.options.out is None:
                node = _known(_cid_raw(prior.cid), prior.dag_size)
                meta_node = _known(_cid_raw(prior.metadata.cid), prior.metadata.dag_size)
                entry = prior
            else:
                node, meta_node, entry = self.add_wheel(decl, digests[decl.filename])
            children[decl.filename] = node
            children[decl.filename + ".metadata"] = meta_node
            entries.append(entry)
        page = project_page(name, [WheelLink(e.filename, e.sha256, e.requires_python,
                                             e.metadata.sha256) for e in entries])
        children["index.html"], index = self.add_bytes(f"{name}/index.html", page)
        node = self.builder.add_directory(children)
        pdigest = project_digest(name, digests.values(), self.profile)
        return node, ProjectEntry(name=name, cid=_cid_text(node.raw), dag_size=node.size,
                                  declarations=pdigest, index=index, wheels=tuple(entries))


def _previous_blocks(previous: Manifest, previous_bytes: bytes | None) -> set[str]:
    """CIDs of blocks the previous release holds that a delta CAR leaves out."""
    cids = {previous.index.cid}
    for p in previous.projects:
        cids.update((p.cid, p.index.cid))
        for w in p.wheels:
            cids.update((w.cid, w.metadata.cid))
    if previous_bytes is not None:
        # Rebuild the previous root directory from its known children: its blocks (the
        # root node, HAMT shards) are mostly unchanged in the next release.
        seen: list[bytes] = []
        builder = _builder(previous.profile, lambda cid, data: seen.append(cid))
        children = {p.name: _known(_cid_raw(p.cid), p.dag_size) for p in previous.projects}
        children["index.html"] = _known(_cid_raw(previous.index.cid), previous.index.dag_size)
        children[MANIFEST_NAME] = builder.add_file(io.BytesIO(previous_bytes))
        builder.add_directory(children)
        cids.update(_cid_text(raw) for raw in seen)
    return cids


def _walk(root: str, parts: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path parts of every file under *root*, sorted (os.scandir: no Path objects)."""
    with os.scandir(os.path.join(root, *parts)) as it:
        entries = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in it)
    for name, is_dir in entries:
        if is_dir:
            yield from _walk(root, (*parts, name))
        else:
            yield (*parts, name)


@dataclass
class _Scan:
    """The data tree as publishing needs it."""

    settings: Settings
    declarations: dict[str, list[Declaration]] = field(default_factory=dict)  # changed
    reused: dict[str, ProjectEntry] = field(default_factory=dict)  # unchanged since previous
    digests: dict[str, dict[str, str]] = field(default_factory=dict)  # project -> file -> dig
    problems: list[Problem] = field(default_factory=list)


def _scan(root: Path, previous: Manifest | None, reuse: bool) -> _Scan:
    """Walk the tree once: digest every declaration file's bytes; parse and check only the
    files of projects whose digest differs from *previous* (all of them without it).

    A reused project's files are byte for byte those of a release published before, at
    the same paths, so they were read and checked then.
    """
    scan = _Scan(load_settings(root))
    profile = scan.settings.profile
    files: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for parts in _walk(str(root)):
        if parts == (SETTINGS_FILE,):
            continue
        if len(parts) != 3 or not parts[2].endswith(".toml"):
            scan.problems += load_file(root, parts, profile)[1]  # not a declaration's place
            continue
        files[parts[1]].append(parts)
    for project in sorted(files):
        rels = sorted(files[project])
        digests = {}
        for parts in rels:
            relpath = "/".join(parts)
            try:
                with open(os.path.join(root, relpath), "rb") as f:
                    data = f.read()
            except OSError as e:
                raise PublishError(f"{root / relpath}: cannot read ({e.strerror})") from e
            digests[parts[2].removesuffix(".toml") + ".whl"] = declaration_digest(
                relpath, data, profile)
        scan.digests[project] = digests
        prior = previous.project(project) if previous is not None and reuse else None
        if prior is not None and prior.declarations == project_digest(
                project, digests.values(), profile):
            scan.reused[project] = prior
            continue
        for parts in rels:
            declaration, found = load_file(root, parts, profile)
            scan.problems += found
            if declaration is not None:
                scan.declarations.setdefault(declaration.project, []).append(declaration)
    return scan


def publish(root: Path, options: PublishOptions) -> PublishResult:
    """Publish the data tree at *root* (see the module docstring)."""
    root = Path(root)
    if not root.is_dir():
        raise PublishError(f"the data root is not a directory: {str(root)!r}")
    previous = options.previous
    settings = load_settings(root)
    if previous is not None and (previous.profile != settings.profile
                                 or previous.layout != LAYOUT):
        previous = None  # another profile or layout: nothing can be reused
    scan = _scan(root, previous, reuse=options.out is None)
    if scan.problems:
        first = sorted(scan.problems)[0]
        more = len(scan.problems) - 1
        raise PublishError(f"{first}" + (f" (and {more} more problems)" if more else "")
                           + "; run `ipwhl check` and fix the tree before publishing")
    profile = settings.profile
    exclude = _previous_blocks(previous, options.previous_bytes) \
        if previous is not None and options.car is not None else set()
    with ExitStack() as stack:
        outputs = _Outputs(stack, options, exclude, profile)
        builder = _builder(profile, outputs.sink if options.car is not None else None)
        pub = _Publisher(builder, outputs, profile, options)
        children: dict[str, Node] = {}
        projects = []
        for name in sorted(scan.declarations.keys() | scan.reused.keys()):
            if name in scan.reused:
                entry = scan.reused[name]
                children[name] = _known(_cid_raw(entry.cid), entry.dag_size)
            else:
                prior = previous.project(name) if previous is not None else None
                children[name], entry = pub.add_project(
                    name, scan.declarations[name], scan.digests[name], prior)
            projects.append(entry)
        names = [p.name for p in projects]
        children["index.html"], index = pub.add_bytes("index.html", root_page(names))
        manifest = Manifest(profile=profile, source_commit=options.source_commit, index=index,
                            projects=tuple(projects))
        children[MANIFEST_NAME], manifest_entry = pub.add_bytes(MANIFEST_NAME,
                                                                manifest_bytes(manifest))
        root_node = builder.add_directory(children)
        outputs.commit(root_node)
    return PublishResult(root_cid=_cid_text(root_node.raw), root_size=root_node.size,
                         manifest=manifest, manifest_cid=manifest_entry.cid,
                         reused_projects=len(scan.reused), fetched_wheels=pub.fetched,
                         car_blocks=outputs.blocks)

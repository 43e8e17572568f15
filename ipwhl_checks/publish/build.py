"""Publish a checked data tree as one UnixFS DAG: the PEP 503 tree, its manifest and a CAR.

The published tree (every CID from :class:`~ipwhl_checks.unixfs.DagBuilder`, so it is what
``ipfs add -r`` gives for the tree ``--out`` writes)::

    /index.html                         PEP 503 root page, every project
    /manifest.json                      ipwhl_checks.publish.manifest (format ipwhl-manifest/1)
    /<project>/index.html               PEP 503 project page (PEP 658/714 attributes)
    /<project>/<wheel file>             the declared wheel, byte for byte
    /<project>/<wheel file>.metadata    its METADATA (PEP 658)
    /_browse/...                        a site to look projects up in (:mod:`.browse`)
    /integration/<environment>.json     integration results, when given

The declared wheels missing from the wheel cache are downloaded in the background,
several at a time through one client (:mod:`ipwhl_checks.publish.prefetch`: one session,
pip's index read once, each project page fetched once), each verified against its CID as
it streams in, while the tree is built from those already there.  Every wheel is read
once, mapped from the wheel cache rather than copied: the same pass builds its DAG (whose
root CID must equal the declared ``content-id``, else :class:`PublishError` and nothing
is written), its sha256, and, with ``--out``, its copy.
Outputs are built under temporary names in the target's directory and renamed into place
only when everything succeeded.

The declarations are the files on disk under the data root, or a commit's tree read from
git's objects (:mod:`ipwhl_checks.publish.committed`: ``--commit``, ``ipwhl release`` and ``ipwhl
verify``); a clean checkout of the commit gives the same outputs.

Incremental publishing: given the previous release's manifest (read line by line,
:mod:`ipwhl_checks.publish.previous`), a project whose declarations digest is unchanged is linked
by its subtree CID and cumulative size, without fetching anything, and its manifest entry
is carried over as it is; in a changed project every unchanged wheel is linked the same
way, and so is ``/index.html`` when the project names are the same.  In a git work tree
holding the previous manifest's ``source-commit``, git lists the files changed since (for
a commit's tree: the difference between the two commits' trees) and only their projects
are digested (:mod:`ipwhl_checks.publish.scan`; otherwise every
declaration file is).  The CAR then holds only the blocks the previous release lacks (a
delta CAR): a changed project's blocks that the previous manifest does not name, the new
manifest's chunks that the previous one lacks, and of the root directory only the HAMT
shards on the paths of the names that changed (a shard is a function of its place and its
entries, so every other one is the previous root's).
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

from packaging.utils import parse_wheel_filename

from ..errors import DownloadError, GitError, PublishError, WheelError
from ..ipld.cid import cid_text, parse_cid, parse_cids
from ..repo.declaration import Declaration
from ..repo.layout import prefix
from ..repo.settings import Settings, format_size
from ..sources import cache
from ..sources.wheel import wheel_metadata
from ..unixfs import DagBuilder, Node
from ..util.git import git
from .browse import DIRECTORY, SITE_DIR, Results, Site, previous_state, read_results
from .committed import CommittedTree
from .manifest import (
    LAYOUT,
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    ProjectEntry,
    WheelEntry,
    parse_manifest,
    project_digest,
    project_line,
    project_text,
    render_manifest,
)
from .options import PublishOptions, Staged
from .outputs import Outputs
from .prefetch import Prefetch
from .previous import ManifestLines, Previous, PriorProject
from .scan import scan_tree
from .simple_html import WheelLink, project_page, root_page

if TYPE_CHECKING:
    from ..sources.fetch import Client

__all__ = ["PublishOptions", "PublishResult", "Staged", "publish", "source_commit"]


@dataclass(frozen=True)
class PublishResult:
    root_cid: str
    root_size: int
    manifest_bytes: bytes  # the published manifest.json
    manifest_cid: str
    profile: str
    projects: int
    wheels: int
    total_bytes: int
    reused_projects: int = 0
    fetched_wheels: int = 0
    car_blocks: int = 0
    site_state: bytes = b""  # the published _browse/site.json (b"" when linked by CID)
    site_cid: str = ""  # /_browse/'s CID and cumulative size
    site_size: int = 0

    @cached_property
    def manifest(self) -> Manifest:
        """The published manifest, parsed."""
        return parse_manifest(self.manifest_bytes, MANIFEST_NAME)


def source_commit(root: Path) -> str | None:
    """The last git commit that changed the data tree at *root*.

    None outside git, or when the tree has uncommitted changes, untracked or ignored files
    (an ignored file is not in the commit, yet a publish would read it).  Commits that
    change only the tooling leave it (and so the root CID) as it was: the CID names the
    data.
    """
    try:
        head = git(root, "rev-parse", "--verify", "HEAD", check=False)
        if head.returncode:
            return None
        status = git(root, "status", "--porcelain", "--untracked-files=all", "--ignored", "--",
                     ".", check=False)
        if status.returncode or status.stdout.strip():
            return None
        # In a shallow clone the oldest commit present stands for all history before it.
        last = git(root, "log", "-1", "--format=%H", "--", ".", check=False)
    except GitError:
        return None
    if last.returncode or not last.stdout.strip():
        return None
    return last.stdout.strip()


def _linked(cid: str, size: int) -> Node:
    """A DAG known by its CID and cumulative size: linked, not built (nothing is read).
    *cid* comes from a manifest the reader checked, so it parses."""
    return Node(parse_cid(cid), size)


def _same(raw: bytes, text: str) -> bool:
    """Whether the CID *text* (a declaration's, checked by the schema) names *raw*."""
    try:
        return parse_cid(text) == raw
    except ValueError:
        return False


# ---- reading a wheel once --------------------------------------------------------------


@contextmanager
def _whole(f: IO[bytes], limit: int) -> Iterator[memoryview]:
    """The (small) file open as *f*, up to *limit* bytes: mapped, or read where the file
    system cannot map files."""
    try:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        with memoryview(f.read(limit)) as view:
            yield view
        return
    with mapped, memoryview(mapped)[:limit] as view:
        yield view


# ---- building the tree -----------------------------------------------------------------

class _Publisher:
    def __init__(self, builder: DagBuilder, outputs: Outputs, profile: str,
                 options: PublishOptions) -> None:
        self.builder, self.outputs, self.profile, self.options = builder, outputs, profile, options
        # UnixFS with raw leaves: a file of at most one chunk is one raw block, made in one
        # hash call without the chunker's buffers (the wheels, pages and .metadata files)
        self.small = builder.one_block_limit
        self._wheels: str | None = None  # the cache's wheels directory, once a wheel is read
        self._client: Client | None = None  # made for the first download
        self._prefetch: Prefetch | None = None
        self.fetched = 0
        self.reused = 0
        self.metadata: dict[str, bytes] = {}  # file name -> METADATA of the project's wheels read

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    @property
    def client(self) -> Client:
        """The one HTTP client of this publish (loaded only when a wheel must be fetched)."""
        if self._client is None:
            from ..sources.fetch import Client, FetchOptions

            jobs = {"jobs": self.options.jobs} if self.options.jobs else {}
            self._client = Client(FetchOptions.from_env(allow_file=self.options.allow_file,
                                                        **jobs))
        return self._client

    def _fetch(self, decl: Declaration) -> str:
        """The declared wheel, downloaded into the cache and verified there."""
        from ..sources.fetch import fetch_wheel

        try:
            return str(fetch_wheel(decl, self.profile, index_url=self.options.index_url,
                                   client=self.client))
        except DownloadError as e:
            raise PublishError(f"{decl.path}: {e}; nothing was published") from e

    def prefetch(self, decls: Sequence[Declaration], stack: ExitStack) -> None:
        """Start downloading the wheels of *decls* missing from the cache, in the
        background (:mod:`~ipwhl_checks.publish.prefetch`), stopped when *stack* closes."""
        missing = [d for d in decls if not os.path.isfile(
            cache.wheel_path(d.content_id, d.filename, self.wheel_cache))]
        if missing:
            self._prefetch = Prefetch(self.client, missing, self._fetch)
            stack.push(self._prefetch.close)  # (before it starts: a signal may come meanwhile)
            self._prefetch.start()

    def _wheel_bytes_path(self, decl: Declaration, fresh: bool) -> str:
        """The declared wheel in the cache; *fresh*: go through the fetcher's
        verification (a download if it is not there, or damaged)."""
        if not fresh:
            if self._prefetch is not None:
                self._prefetch.wait(decl)  # (its download's error, if it failed)
            # this pass verifies the CID itself, so a hit is not hashed twice
            cached = cache.wheel_path(decl.content_id, decl.filename, self.wheel_cache)
            if os.path.isfile(cached):
                return cached
        return self._fetch(decl)

    def relinks(self, decl: Declaration, digest: str, previous: ProjectEntry | None) -> bool:
        """Whether *decl*'s wheel is linked from *previous* by CID, without reading it."""
        prior = {w.filename: w for w in previous.wheels}.get(decl.filename) \
            if previous else None
        return prior is not None and prior.declaration == digest and self.options.out is None

    @property
    def wheel_cache(self) -> str:
        if self._wheels is None:
            self._wheels = cache.wheels_dir()
        return self._wheels

    def add_bytes(self, relpath: str, data: bytes) -> tuple[Node, FileEntry]:
        node = self.builder.add_bytes(data)
        self.outputs.write(relpath, data)
        sha256 = node.file_sha256
        digest = sha256.hex() if sha256 is not None else hashlib.sha256(data).hexdigest()
        return node, FileEntry(cid_text(node.raw), len(data), node.size, digest)

    def add_wheel(self, decl: Declaration, digest: str) -> tuple[Node, Node, WheelEntry]:
        relpath = f"{decl.project}/{decl.filename}"
        for fresh in (False, True):
            path = self._wheel_bytes_path(decl, fresh)
            with open(path, "rb") as f:
                node, size, sha256 = self._read_wheel_file(f, relpath)
                if _same(node.raw, decl.content_id):
                    # the declared bytes: their METADATA is the PEP 658 file
                    metadata = self._metadata(decl, f, size)
                    break
            if fresh:
                raise PublishError(
                    f"{decl.path}: content-id: declared {decl.content_id!r} but the wheel "
                    f"{decl.filename} gives {cid_text(node.raw)!r}; nothing was published")
        self.fetched += 1
        self.metadata[decl.filename] = metadata
        meta_node, meta = self.add_bytes(relpath + ".metadata", metadata)
        rp = decl.requires_python
        entry = WheelEntry(
            filename=decl.filename, version=str(decl.version), cid=cid_text(node.raw),
            size=size, dag_size=node.size, metadata=meta,
            sha256=sha256,
            requires_python=None if rp is None else str(rp), extras=tuple(decl.extras),
            dependencies=tuple(str(d) for d in decl.dependencies), source=decl.source,
            declaration=digest)
        return node, meta_node, entry

    def metadata_of(self, project: str, wheel: WheelEntry) -> bytes:
        """The METADATA of a wheel of the project just built, as read; or, for a wheel
        linked from the previous release (*wheel*: its manifest entry), from the cache if
        it has what the manifest names, else from a verified download (for the site)."""
        read = self.metadata.get(wheel.filename)
        if read is not None:
            return read
        # the declaration as the manifest entry gives it (what fetching needs)
        name, version, _build, tags = parse_wheel_filename(wheel.filename)
        decl = Declaration(
            path=Path(prefix(project), project, wheel.filename.removesuffix(".whl") + ".toml"),
            filename=wheel.filename, project=name, version=version, tags=tags,
            source=wheel.source, content_id=wheel.cid, requires_python=None, extras=(),
            dependencies=())
        for fresh in (False, True):
            path = self._wheel_bytes_path(decl, fresh)  # (a download's error: PublishError)
            with open(path, "rb") as f:
                data = self._metadata(decl, f, os.fstat(f.fileno()).st_size)
            if hashlib.sha256(data).hexdigest() == wheel.metadata.sha256:
                return data
        raise PublishError(f"{decl.path}: the wheel's METADATA is not what the previous "
                           "release published; nothing was published")

    @staticmethod
    def _metadata(decl: Declaration, f: BinaryIO, size: int) -> bytes:
        """The wheel's METADATA (its agreement with the declaration is ``ipwhl check
        --online``'s business: publishing needs the bytes, from a well-formed wheel)."""
        try:
            return wheel_metadata(f, size, decl.filename)
        except WheelError as e:
            raise PublishError(f"{decl.path}: {e}; nothing was published") from e

    def _read_wheel_file(self, f: BinaryIO, relpath: str) -> tuple[Node, int, str]:
        """(DAG, size, sha256) of the wheel open as *f*, copied to the --out tree if any.

        *f* is a file of the wheel cache (content-addressed, replaced only by rename, never
        truncated): it is mapped and hashed in place, not copied into buffers (see
        :meth:`~ipwhl_checks.unixfs.DagBuilder.add_file`)."""
        size = os.fstat(f.fileno()).st_size
        if 0 < size <= self.small:
            with _whole(f, self.small + 1) as data:
                if len(data) <= self.small:  # one raw block: its digest is the file's sha256
                    self.outputs.write(relpath, data)
                    node = self.builder.add_one_block(data)
                    digest = node.file_sha256
                    assert digest is not None
                    return node, len(data), digest.hex()
            f.seek(0)  # it grew meanwhile
        copy = self.outputs.file(relpath)
        sha256 = hashlib.sha256()
        read = [0]

        def observe(view: memoryview) -> None:  # the same pass: whole-file sha256, copy
            sha256.update(view)
            if copy is not None:
                copy.write(view)
            read[0] += len(view)
        with copy if copy is not None else ExitStack():
            node = self.builder.add_file(f, observe=observe, mapped=True)
        return node, read[0], sha256.hexdigest()

    def add_project(self, name: str, decls: Sequence[Declaration], digests: dict[str, str],
                    previous: ProjectEntry | None) -> tuple[Node, ProjectEntry]:
        """The ``/<project>/`` directory; unchanged wheels of *previous* are linked by CID."""
        old = {w.filename: w for w in previous.wheels} if previous else {}
        self.metadata = {}
        children: dict[str, Node] = {}
        entries = []
        for decl in sorted(decls, key=lambda d: d.filename):
            prior = old.get(decl.filename)
            if prior is not None and self.relinks(decl, digests[decl.filename], previous):
                node = _linked(prior.cid, prior.dag_size)
                meta_node = _linked(prior.metadata.cid, prior.metadata.dag_size)
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
        return node, ProjectEntry(name=name, cid=cid_text(node.raw), dag_size=node.size,
                                  declarations=pdigest, index=index, wheels=tuple(entries))


def publish(root: Path | CommittedTree, options: PublishOptions) -> PublishResult:
    """Publish the data tree at *root* (see the module docstring): the files on disk under
    a directory, or a commit's tree (:func:`~ipwhl_checks.publish.committed.committed_tree`, whose
    commit is then the manifest's ``source-commit``)."""
    if isinstance(root, CommittedTree):
        options = replace(options, source_commit=root.commit, clean=False)
    else:
        root = Path(root)
        if not root.is_dir():
            raise PublishError(f"the data root is not a directory: {str(root)!r}")
    return _publish(root, options)


def _publish(root: Path | CommittedTree, options: PublishOptions) -> PublishResult:
    results = _integration_results(options)
    scan = scan_tree(root, options.previous, reuse=options.out is None,
                     head=options.source_commit if options.clean else None)
    previous = scan.previous
    # the previous site, if it is the previous release's (its pages are then reused)
    state = previous_state(options.previous_site, previous.data, "the previous site.json") \
        if previous is not None and options.out is None else None
    if scan.problems:
        first = sorted(scan.problems)[0]
        more = len(scan.problems) - 1
        others = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
        raise PublishError(f"{first}{others}; run `ipwhl check` and fix the tree before "
                           "publishing")
    profile = scan.settings.profile
    delta = previous if options.car is not None else None  # a delta CAR on top of it
    with ExitStack() as stack:
        outputs = Outputs(stack, options, profile)
        if delta is not None:
            outputs.held = _held_by(delta)
        # raw_sink: blocks with binary CIDs (a multiformats.CID object costs ~0.3 ms); a
        # block may be a view of a mapped wheel, written out, never kept
        builder = DagBuilder(profile, raw_sink=outputs.sink if options.car is not None else None)
        pub = _Publisher(builder, outputs, profile, options)
        stack.callback(pub.close)
        site = None if options.site is not None else Site(
            scan.settings, sink=outputs.sink if options.car is not None else None,
            write=outputs.write, metadata=pub.metadata_of, previous=state,
            manifest=previous, integration=results, baseline=options.changes_since)
        children: dict[str, Node] = {}
        lines = ManifestLines()  # the projects' lines of the manifest
        prior_entries: dict[str, ProjectEntry | None] = {}
        wheels = total = 0  # of the projects built here
        reused = dict(zip(scan.reused, parse_cids([p.cid for p in scan.reused.values()]),
                          strict=True))
        to_read = []  # the wheels this publish reads (those not linked from previous)
        for name in sorted(scan.declarations.keys() - scan.reused.keys()):
            old = prior_entries[name] = previous.entry(name) if previous is not None else None
            digests = scan.digests[name]
            to_read += [d for d in sorted(scan.declarations[name], key=lambda d: d.filename)
                        if not pub.relinks(d, digests[d.filename], old)]
        pub.prefetch(to_read, stack)  # (in the order add_project reads them)
        for name in sorted(scan.declarations.keys() | scan.reused.keys()):
            prior = scan.reused.get(name)
            if prior is not None:
                children[name] = Node(reused[name], prior.dag_size)
                lines.reuse(prior)
                continue
            old = prior_entries[name]
            children[name], entry = pub.add_project(
                name, scan.declarations[name], scan.digests[name], old)
            _within_limit(entry, scan.declarations[name], scan.settings)
            if site is not None:
                site.built(entry)
            lines.add(project_line(name, project_text(entry)))
            wheels += len(entry.wheels)
            total += sum(w.size for w in entry.wheels)
        if previous is not None and scan.reused:
            more_wheels, more_bytes = _reused_totals(previous, scan.reused, prior_entries)
            wheels, total = wheels + more_wheels, total + more_bytes
        names = list(children)
        if previous is not None and state is not None and options.out is None and len(
                names) == len(previous.projects) and names == list(previous.projects):
            # the root page depends on the names alone (and the layout, the same; a
            # previous release with a site has the search form)
            index = previous.index
            children["index.html"] = _linked(index.cid, index.dag_size)
        else:
            children["index.html"], index = pub.add_bytes(
                "index.html", root_page(names, search=f"{SITE_DIR}/index.html"))
        manifest = render_manifest(
            profile=profile, layout=LAYOUT, source_commit=options.source_commit, index=index,
            wheels=wheels, total_bytes=total, lines=lines.pieces(), projects=lines.count)
        changed = None
        if delta is not None:
            # the previous manifest's blocks (its first chunks may be this one's)
            old_blocks: set[bytes] = set()
            old_manifest = DagBuilder(profile, raw_sink=lambda cid, _: old_blocks.add(cid)) \
                .add_file(io.BytesIO(delta.data))
            outputs.held = old_blocks.__contains__
        children[MANIFEST_NAME], manifest_entry = pub.add_bytes(MANIFEST_NAME, manifest)
        outputs.held = None  # (the site holds back what the previous site has)
        extra = _add_extra(pub, builder, children, options.extra)
        if site is None:
            assert options.site is not None
            children[SITE_DIR] = _linked(*options.site)
        else:
            children.update(site.finish(names, manifest=manifest, manifest_cid=manifest_entry.cid,
                                        wheels=wheels, total_bytes=total,
                                        source_commit=options.source_commit, extra=extra))
        if delta is not None:
            changed = _changed_names(delta, scan.reused, children, old_manifest, builder,
                                     site.previous_nodes if site is not None else None)
            outputs.held = None  # the root's shards: new (see _changed_names)
        root_node = builder.add_directory(children, changed)
        if options.before_commit is not None:
            reused_entries = [previous.entry(name) for name in sorted(scan.reused)] \
                if previous is not None else []
            options.before_commit(Staged(
                [d for name in sorted(scan.declarations) for d in scan.declarations[name]],
                [e for e in reused_entries if e is not None], manifest_entry.cid))
        outputs.commit(root_node)
    return PublishResult(root_cid=cid_text(root_node.raw), root_size=root_node.size,
                         manifest_bytes=manifest, manifest_cid=manifest_entry.cid,
                         profile=profile, projects=len(names), wheels=wheels, total_bytes=total,
                         reused_projects=len(scan.reused), fetched_wheels=pub.fetched,
                         car_blocks=outputs.blocks,
                         site_state=site.state if site is not None else b"",
                         site_cid=cid_text(children[SITE_DIR].raw),
                         site_size=children[SITE_DIR].size)


def _integration_results(options: PublishOptions) -> list[Results]:
    """What the pages show of the integration results among :attr:`PublishOptions.extra`
    (``/integration/<environment>.json``); PublishError when one is known by its CID alone
    and the site is to be made (its pages could not show it)."""
    results = []
    for relpath, content in sorted(options.extra.items()):
        directory, _, name = relpath.partition("/")
        if directory != DIRECTORY:
            continue
        if isinstance(content, bytes):
            found = read_results(content, f"/{relpath}")
            if found.filename != name:
                raise PublishError(f"/{relpath}: the results of {found.environment} must be "
                                   f"named {found.filename}")
            results.append(found)
        elif options.site is None:
            raise PublishError(f"/{relpath} is known by its CID alone: the site, which shows "
                               "it, cannot be made; link the site by its CID")
    return results


def _within_limit(entry: ProjectEntry, decls: Sequence[Declaration],
                  settings: Settings) -> None:
    """A wheel over the repository's ``max-wheel-size`` stops the publish (IW508)."""
    for wheel in entry.wheels:
        if settings.over_limit(wheel.size):
            assert settings.max_wheel_size is not None
            path = next(d.path for d in decls if d.filename == wheel.filename)
            raise PublishError(f"{path}: IW508 size: the wheel is {format_size(wheel.size)}, "
                               f"more than the repository's max-wheel-size of "
                               f"{format_size(settings.max_wheel_size)}; nothing was published")


def _add_extra(pub: _Publisher, builder: DagBuilder, children: dict[str, Node],
               extra: Mapping[str, bytes | tuple[str, int]]) -> dict[str, Node]:
    """Add the directories of *extra* (see :attr:`PublishOptions.extra`) to the root; the
    files added, by path."""
    dirs: dict[str, dict[str, Node]] = {}
    added: dict[str, Node] = {}
    for relpath, content in sorted(extra.items()):
        directory, _, name = relpath.partition("/")
        if not name or "/" in name or directory in (MANIFEST_NAME, "index.html", SITE_DIR):
            raise PublishError(f"cannot add {relpath!r} to the published tree")
        if directory in children and directory not in dirs:
            raise PublishError(f"cannot add /{directory}/ to the published tree: "
                               f"{directory!r} is a project of the repository")
        if isinstance(content, bytes):
            node = pub.add_bytes(relpath, content)[0]
        else:
            node = _linked(*content)
        dirs.setdefault(directory, {})[name] = added[relpath] = node
        children[directory] = builder.add_directory(dirs[directory])
    return added


def _reused_totals(previous: Previous, reused: dict[str, PriorProject],
                   parsed: dict[str, ProjectEntry | None]) -> tuple[int, int]:
    """(wheels, bytes) of the *reused* projects: the previous release's totals less its
    other projects' (changed or dropped; *parsed*: the entries already read)."""
    wheels, total = previous.wheels, previous.total_bytes
    for name in previous.projects.keys() - reused.keys():
        old = parsed[name] if name in parsed else previous.entry(name)
        assert old is not None
        wheels -= len(old.wheels)
        total -= sum(w.size for w in old.wheels)
    return wheels, total


def _held_by(previous: Previous) -> Callable[[bytes], bool]:
    """Whether *previous* links a file or directory of binary CID *raw* (see
    :meth:`Previous.holds`)."""
    def held(raw: bytes) -> bool:
        return previous.holds(cid_text(raw))
    return held


def _changed_names(previous: Previous, reused: dict[str, PriorProject],
                   children: dict[str, Node], old_manifest: Node,
                   builder: DagBuilder, others: Mapping[str, Node] | None) -> set[str] | None:
    """The root's entries added, dropped or relinked since *previous* (whose manifest's
    DAG is *old_manifest*, and *others* the previous root's entries that are neither
    projects nor its own files: the site's and the extra directories, None when they are
    not known), for a delta CAR: the root then emits only the blocks the previous root
    lacks.  None when the previous root was a HAMT and this one is not, or the other way
    round (they share no blocks), or when *others* is not known (an entry dropped since
    could not be seen): every block of the root is new."""
    if others is None:
        return None
    old = dict(children)
    for name in children.keys() - reused.keys():
        prior = previous.projects.get(name)
        if prior is None:
            del old[name]
        else:
            old[name] = _linked(prior.cid, prior.dag_size)
    for name in previous.projects.keys() - children.keys():
        prior = previous.projects[name]
        old[name] = _linked(prior.cid, prior.dag_size)
    old["index.html"] = _linked(previous.index.cid, previous.index.dag_size)
    old[MANIFEST_NAME] = old_manifest
    old.update(others)
    # (a project whose declarations changed may publish the same files: the same link)
    changed = {name for name in old.keys() | children.keys() if name not in reused and (
        name not in old or name not in children or old[name].raw != children[name].raw
        or old[name].size != children[name].size)}
    return changed if builder.is_sharded(old) == builder.is_sharded(children) else None

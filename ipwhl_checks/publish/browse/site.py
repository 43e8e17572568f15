"""Building ``/_browse/`` for one publish.

:class:`Site` is told each project the publish builds (:meth:`Site.built`, with its new
manifest entry), then :meth:`Site.finish` makes the directories.  On top of a previous
release's site (its :class:`~.state.State`), only what changed is made again:

* the pages of the projects built here, of the projects whose dependents changed, or
  whose dependencies entered or left the tree, or whose integration rows changed (every
  page when the page layout or the environments changed); every other page is linked by
  its CID, as are the page directories (``p/<prefix>/``) and search shards none of these
  fall in, and the list of projects when the names are the same;
* the coverage counts are the previous ones less the changed projects' old masks plus
  their new ones; the dependents, the previous ones updated with the changed projects'
  dependencies (:mod:`.graph`).

Blocks the previous site holds are not given to the sink (a delta CAR).  Without a
previous state (or of another page layout) every page is made: a reused project's from its
previous manifest entry and, unless the state has read it, its wheel's METADATA (which the
*metadata* callback gives: the publish reads it from the cached wheel).
"""

from __future__ import annotations

import io
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from importlib.resources import files

from ...ipld.cid import cid_text, parse_cid, parse_cids
from ...repo.layout import prefix
from ...repo.settings import Settings
from ...unixfs import DagBuilder, Node, RawSink
from ..manifest import ProjectEntry, WheelEntry
from ..previous import Previous
from .changes import Baseline, Current, changes_page, current, diff, summary
from .facts import Chooser, Meta, Project, read_meta, representative
from .graph import all_dependents, updated_dependents
from .html import ASSETS, PAGES, SITE_DIR, page_path
from .integration import Results
from .pages import Context, Figures, front_page, project_page, projects_page
from .search import SHARDS, search_shard, shard_of, shard_prefixes
from .state import (
    LAYOUT,
    STATE_NAME,
    Header,
    Link,
    Record,
    State,
    digest,
    digest_bytes,
    names_digest,
    render_state,
    short_digest,
)
from .svg import coverage

__all__ = ["Site"]


def _node(link: Link) -> Node:
    return Node(parse_cid(link.cid), link.size)


class Site:
    """The site of one publish (see the module docstring)."""

    def __init__(self, settings: Settings, *, sink: RawSink | None,
                 write: Callable[[str, bytes], None],
                 metadata: Callable[[str, WheelEntry], bytes], previous: State | None = None,
                 manifest: Previous | None = None, integration: Sequence[Results] = (),
                 baseline: Baseline | None = None) -> None:
        self.settings = settings
        self.chooser = Chooser(settings.environments)
        self.env_names = tuple(env.name for env in settings.environments)
        self.old = previous
        self.manifest = manifest
        self.integration = sorted(integration, key=lambda r: r.environment)
        self.baseline = baseline
        self.built_here: dict[str, Project] = {}
        self._facts: dict[str, Project] = {}  # reused projects, when their page is remade
        self.covers: dict[str, tuple[int, int]] = {}
        self._sink, self._write, self._metadata = sink, write, metadata
        self._held: set[str] = set()  # CIDs of the blocks the previous site has
        self._recording: list[bytes] | None = None
        self.builder = DagBuilder(settings.profile, raw_sink=self._emit)
        # the previous release's root entries other than its projects and own files (None:
        # not known, without a previous state)
        self.previous_nodes: dict[str, Node] | None = None
        self.state = b""
        if previous is not None:
            for link in previous.header.links.values():
                self._hold(link)

    # ---- blocks ----------------------------------------------------------------------

    def _emit(self, raw: bytes, block: bytes) -> None:
        if self._recording is not None:
            self._recording.append(raw)
        if self._sink is not None and not (self._held and cid_text(raw) in self._held):
            self._sink(raw, block)

    def _hold(self, link: Link) -> None:
        """The previous site has the blocks of *link*: they are not given to the sink."""
        self._held.add(link.cid)
        self._held.update(link.leaves)

    def _file(self, path: str, data: bytes) -> tuple[Node, Link]:
        """The file at *path* (from the published tree's root): written, its blocks made."""
        self._recording = []
        node = self.builder.add_bytes(data)
        leaves = tuple(cid_text(raw) for raw in self._recording if raw != node.raw) \
            if len(self._recording) > 1 else ()
        self._recording = None
        self._write(path, data)
        return node, Link(cid_text(node.raw), node.size, leaves)

    def _directory(self, children: Mapping[str, Node]) -> tuple[Node, Link]:
        node = self.builder.add_directory(children)
        return node, Link(cid_text(node.raw), node.size)

    # ---- the previous site -----------------------------------------------------------

    def _record(self, name: str) -> Record | None:
        """*name*'s record in the previous site."""
        if self.old is None or name not in self.old.index:
            return None
        return self.old.record(name)

    def _page_layout_kept(self) -> bool:
        return self.old is not None and self.old.header.layout == LAYOUT \
            and self.old.header.environments == self.env_names

    # ---- projects --------------------------------------------------------------------

    def _meta(self, entry: ProjectEntry) -> Meta:
        """What the pages show of *entry*'s METADATA: the previous site's, if it read the
        same file, else read (the *metadata* callback: asked only then)."""
        rep = representative(entry.wheels)
        if rep is None:
            return Meta()
        old = self._record(entry.name)
        if old is not None and old.source == short_digest(rep.metadata.cid):
            return old.meta
        return read_meta(self._metadata(entry.name, rep))

    def built(self, entry: ProjectEntry) -> None:
        """A project this publish builds, with its new *entry*."""
        self.built_here[entry.name] = Project(entry, self._meta(entry))
        self.covers[entry.name] = self.chooser.covers(entry.wheels)

    def _project(self, name: str) -> Project:
        """A project's facts: built here, or the previous release's (reused)."""
        found = self.built_here.get(name) or self._facts.get(name)
        if found is not None:
            return found
        entry = self.manifest.entry(name) if self.manifest is not None else None
        if entry is None:
            raise AssertionError(f"{name}: reused, yet not in the previous manifest")
        found = self._facts[name] = Project(entry, self._meta(entry))
        return found

    # ---- the whole site --------------------------------------------------------------

    def finish(self, names: Sequence[str], *, manifest: bytes, manifest_cid: str,
               wheels: int, total_bytes: int, source_commit: str | None,
               extra: Mapping[str, Node]) -> dict[str, Node]:
        """The root's new entry ``_browse``, for the project *names* (sorted), the manifest
        just made and the *extra* files the root has (by path: the integration results);
        sets :attr:`state` and :attr:`previous_nodes`."""
        old = self.old if self._page_layout_kept() else None
        build = _Build(self, names, old)
        build.dependents()
        build.integration_rows()
        build.coverage()
        build.pages()
        children: dict[str, Node] = {}
        links: dict[str, Link] = {}
        build.page_directories(children, links)
        build.search(children, links)
        build.project_list(children, links)
        picture = coverage(self.settings.pythons, self.settings.platforms, self.env_names,
                           build.counts, len(names))
        line = build.changes(children, links)
        figures = Figures(len(names), wheels, total_bytes, self.env_names, manifest_cid,
                          source_commit, self.settings.profile)
        children["index.html"], links["index.html"] = self._file(
            f"{SITE_DIR}/index.html", front_page(figures, picture, line))
        for asset in ASSETS:
            data = (files(__package__) / "static" / asset).read_bytes()
            children[asset], links[asset] = self._file(f"{SITE_DIR}/{asset}", data)
        header = Header(
            layout=LAYOUT, manifest=digest_bytes(manifest), environments=self.env_names,
            coverage=tuple(build.counts), names=names_digest(names),
            tested=build.tested_header, links=dict(sorted(links.items())),
            extra={k: Link(cid_text(v.raw), v.size) for k, v in sorted(extra.items())},
            dangling=build.dangling)
        self.state = render_state(header, build.lines())
        self._previous_nodes()
        children[STATE_NAME] = self._file(f"{SITE_DIR}/{STATE_NAME}", self.state)[0]
        return {SITE_DIR: self.builder.add_directory(
            {k: children[k] for k in sorted(children) if "/" not in k})}

    def _previous_nodes(self) -> None:
        """The previous release's ``_browse`` and extra directories (for a delta CAR's
        root), remade from its state; the blocks of its ``site.json`` are held."""
        if self.old is None:
            return
        found: dict[str, Node] = {}
        blank = DagBuilder(self.settings.profile,
                           raw_sink=lambda raw, _: self._held.add(cid_text(raw)))
        state = blank.add_file(io.BytesIO(self.old.data))
        top = {k: _node(v) for k, v in self.old.header.links.items() if "/" not in k}
        top[STATE_NAME] = state
        found[SITE_DIR] = blank.add_directory(top)
        directories: dict[str, dict[str, Node]] = {}
        for relpath, link in self.old.header.extra.items():
            directory, _, name = relpath.partition("/")
            directories.setdefault(directory, {})[name] = _node(link)
        for directory, entries in directories.items():
            found[directory] = blank.add_directory(entries)
        self.previous_nodes = found


class _Build:
    """One :meth:`Site.finish`: what changes, worked out step by step."""

    def __init__(self, site: Site, names: Sequence[str], old: State | None) -> None:
        self.site, self.names, self.old = site, names, old
        self.current = frozenset(names)
        # without a previous site every page is made: every project counts as built
        self.built = dict(site.built_here) if site.old is not None else {
            n: site._project(n) for n in names}
        self.removed: list[str] = sorted(
            site.old.index.keys() - self.current) if site.old else []
        self.added = [n for n in self.built if site.old is None or n not in site.old.index]
        self.rerender: set[str] = set(self.built) if old is not None else set(names)
        self.new_dependents: dict[str, tuple[str, ...]] = {}
        self.dangling: dict[str, tuple[str, ...]] = {}
        self.counts: list[tuple[int, int]] = []
        self.tested: dict[str, str] = {}
        self.tested_header = ""
        self.page_links: dict[str, Link] = {}
        self.page_nodes: dict[str, Node] = {}

    def _before(self, name: str) -> tuple[str, ...]:
        site = self.site
        if site.old is None:
            return ()
        record = site._record(name)
        return record.rdeps if record is not None else site.old.header.dangling.get(name, ())

    def dependents(self) -> None:
        site = self.site
        if site.old is None:
            found = all_dependents({n: p.dependency_names for n, p in self.built.items()})
            self.new_dependents = {n: found.get(n, ()) for n in self.names}
            self.dangling = {n: d for n, d in found.items() if n not in self.current}
            return
        changes: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for name, project in self.built.items():
            record = site._record(name)
            changes[name] = (frozenset(record.deps) if record else frozenset(),
                             frozenset(project.dependency_names))
        for name in self.removed:
            record = site._record(name)
            changes[name] = (frozenset(record.deps) if record else frozenset(), frozenset())
        updated = updated_dependents(changes, self._before, [*self.built, *self.removed])
        dangling = dict(site.old.header.dangling)
        for name, dependents in updated.items():
            if name in self.current:
                dangling.pop(name, None)
                self.new_dependents[name] = dependents
                if self.old is not None and name not in self.built \
                        and dependents != self._before(name):
                    self.rerender.add(name)
            elif dependents:
                dangling[name] = dependents
            else:
                dangling.pop(name, None)
        self.dangling = dict(sorted(dangling.items()))
        # a dependency that entered or left the tree: its dependents' links change
        for name in (*self.added, *self.removed):
            for dependent in updated.get(name, self._before(name)):
                if dependent in self.current:
                    self.rerender.add(dependent)

    def dependents_of(self, name: str) -> tuple[str, ...]:
        found = self.new_dependents.get(name)
        return found if found is not None else self._before(name)

    def integration_rows(self) -> None:
        results = self.site.integration
        if not results:
            header = ""
        else:
            header = digest("\n".join(short_digest(r.data.decode("utf-8", "replace"))
                                      + r.environment for r in results))
        self.tested_header = header
        site = self.site
        if site.old is not None and site.old.header.tested == header and self.old is not None:
            for name in self.built:
                self.tested[name] = _tested(name, results)
            return
        for name in self.names:  # the rows of every project may have moved
            self.tested[name] = _tested(name, results)
            record = site._record(name) if name not in self.built else None
            if record is not None and record.tested != self.tested[name]:
                self.rerender.add(name)

    def coverage(self) -> None:
        site = self.site
        size = len(site.env_names)
        if self.old is None:  # (a new site, or other environments: every mask anew)
            for name in self.names:
                if name not in site.covers:
                    site.covers[name] = site.chooser.covers(site._project(name).entry.wheels)
            self.counts = _count(site.covers.values(), size)
            return
        counts = [list(c) for c in self.old.header.coverage]
        for name in (*self.built, *self.removed):
            record = site._record(name)
            if record is not None:
                _add(counts, record.covers, -1)
            if name in site.covers:
                _add(counts, site.covers[name], 1)
        self.counts = [(a, b) for a, b in counts]

    def pages(self) -> None:
        site = self.site
        ctx = Context(site.chooser, site.settings.pythons, site.settings.platforms,
                      site.integration)
        for name in sorted(self.rerender):
            if site.old is not None and name in site.old.index:
                site._hold(site.old.page(name))  # (the same page again: not a new block)
            project = site._project(name)
            linked = [d for d in project.dependency_names if d in self.current]
            data = project_page(project, ctx, self.dependents_of(name), linked)
            self.page_nodes[name], self.page_links[name] = site._file(
                f"{SITE_DIR}/{page_path(name)}", data)

    def members(self, pfx: str) -> list[str]:
        """The projects of prefix *pfx*, sorted."""
        site = self.site
        if site.old is None:
            return self._groups().get(pfx, [])
        kept = [n for n in site.old.by_prefix(pfx) if n in self.current]
        new = [n for n in self.added if prefix(n) == pfx]
        return sorted(kept + new) if new else kept

    _grouped: dict[str, list[str]] | None = None

    def _groups(self) -> dict[str, list[str]]:
        if self._grouped is None:
            grouped: dict[str, list[str]] = {}
            for name in self.names:
                grouped.setdefault(prefix(name), []).append(name)
            self._grouped = grouped
        return self._grouped

    def _touched(self, names: Iterable[str]) -> set[str]:
        return {prefix(n) for n in names}

    def page_directories(self, children: dict[str, Node], links: dict[str, Link]) -> None:
        site = self.site
        if site.old is None:
            prefixes = sorted(self._groups())
            touched = set(prefixes)
        else:
            touched = self._touched([*self.rerender, *self.removed, *self.added])
            prefixes = sorted(touched | {k[2:] for k in site.old.header.links
                                         if k.startswith(f"{PAGES}/")})
        top: dict[str, Node] = {}
        for pfx in prefixes:
            key = f"{PAGES}/{pfx}"
            if pfx not in touched:
                assert site.old is not None
                links[key] = site.old.header.links[key]
                top[pfx] = _node(links[key])
                continue
            members = self.members(pfx)
            if not members:
                continue
            unchanged = [n for n in members if n not in self.page_nodes]
            assert site.old is not None or not unchanged
            olds = [site.old.page(n) for n in unchanged] if site.old is not None else []
            raws = parse_cids([link.cid for link in olds])
            pages = {n: Node(raw, link.size) for n, raw, link in zip(unchanged, raws, olds,
                                                                      strict=True)}
            pages.update((n, self.page_nodes[n]) for n in members if n in self.page_nodes)
            top[pfx], links[key] = site._directory({f"{n}.html": pages[n] for n in members})
        if top:  # (an empty directory: no file for --out to write, so none in the tree)
            children[PAGES], links[PAGES] = site._directory(top)

    def search(self, children: dict[str, Node], links: dict[str, Link]) -> None:
        site = self.site
        if self.old is None:
            touched = set(SHARDS)
        else:
            touched = {shard_of(pfx) for pfx in self._touched([*self.built, *self.removed])}
        shards: dict[str, Node] = {}
        for shard in SHARDS:
            key = f"search/{shard}.js"
            if shard not in touched and self.old is not None and key in self.old.header.links:
                links[key] = self.old.header.links[key]
                shards[f"{shard}.js"] = _node(links[key])
                continue
            rows = [self._row(name) for pfx in shard_prefixes(shard)
                    for name in self.members(pfx)]
            shards[f"{shard}.js"], links[key] = site._file(
                f"{SITE_DIR}/{key}", search_shard(sorted(rows)))
        children["search"], links["search"] = site._directory(shards)

    def _row(self, name: str) -> tuple[str, str, str]:
        project = self.built.get(name)
        if project is not None:
            return name, project.version, project.meta.summary
        assert self.site.old is not None
        return (name, *self.site.old.row(name))

    def project_list(self, children: dict[str, Node], links: dict[str, Link]) -> None:
        site = self.site
        names = names_digest(self.names)
        if self.old is not None and self.old.header.names == names \
                and "projects.html" in self.old.header.links:
            links["projects.html"] = self.old.header.links["projects.html"]
            children["projects.html"] = _node(links["projects.html"])
            return
        children["projects.html"], links["projects.html"] = site._file(
            f"{SITE_DIR}/projects.html", projects_page(self.names))

    def _now(self, name: str) -> Current:
        project = self.built.get(name)
        if project is not None:
            return current((w.filename for w in project.entry.wheels), project.version)
        record = self.site._record(name)
        if record is not None:
            return Current(record.version, record.wheels, record.files)
        return current(w.filename for w in self.site._project(name).entry.wheels)

    def changes(self, children: dict[str, Node], links: dict[str, Link]) -> str | None:
        baseline = self.site.baseline
        if baseline is None:
            return None
        manifest = self.site.manifest
        if self.site.old is not None and manifest is not None \
                and manifest.source_commit == baseline.commit:
            # the previous release is the baseline: only what this publish touched moved
            names = sorted({*self.built, *self.removed})
            before = baseline.current(names)
            now = {n: self._now(n) for n in names if n in self.current}
        else:
            before = baseline.current()
            now = {n: self._now(n) for n in self.names}
        found = diff(before, now)
        children["changes.html"], links["changes.html"] = self.site._file(
            f"{SITE_DIR}/changes.html", changes_page(baseline.commit, found))
        return summary(found)

    def lines(self) -> list[bytes | memoryview]:
        """The state's project lines, by key (prefix, then name): the previous state's
        runs of unchanged lines as they are, between the new ones."""
        site, old = self.site, self.site.old
        if old is None:
            return [self._line(name) for pfx in sorted(self._groups())
                    for name in self._groups()[pfx]]
        edits: list[tuple[str, bytes | None]] = [(f"{prefix(n)}/{n}", None)
                                                for n in self.removed]
        for name in sorted({*self.built, *self.page_links, *site.covers, *self.tested}):
            if self._new_record(name) is not None:
                edits.append((f"{prefix(name)}/{name}", self._line(name)))
        out: list[bytes | memoryview] = []
        at = 0  # the next line of the previous state to copy
        for key, line in sorted(edits):
            i = bisect_left(old.keys, key, at)
            if i > at:
                out.append(old.run(at, i))
            at = i + 1 if i < len(old.keys) and old.keys[i] == key else i
            if line is not None:
                out.append(line)
        if at < len(old.keys):
            out.append(old.run(at, len(old.keys)))
        return out

    def _line(self, name: str) -> bytes:
        record = self._new_record(name)
        assert record is not None
        return record.line(f"{prefix(name)}/{name}")

    def _new_record(self, name: str) -> Record | None:
        """*name*'s record, None when it is the previous line as it was."""
        site = self.site
        project = self.built.get(name)
        if project is None and name not in self.page_links and name not in site.covers:
            if name not in self.tested:
                return None
            kept = site._record(name)
            if kept is not None and kept.tested == self.tested[name]:
                return None
        old = site._record(name)
        page = self.page_links.get(name) or (old.page if old is not None else None)
        assert page is not None
        if project is None:
            assert old is not None
            covers = site.covers.get(name, old.covers)
            return replace(old, page=page, rdeps=self.dependents_of(name), covers=covers,
                           tested=self.tested.get(name, old.tested))
        rep = project.representative
        now = current((w.filename for w in project.entry.wheels), project.version)
        return Record(
            version=now.version, wheels=now.wheels, files=now.files,
            source=short_digest(rep.metadata.cid) if rep is not None else "",
            meta=project.meta, page=page, deps=project.dependency_names,
            rdeps=self.dependents_of(name), covers=site.covers[name],
            tested=self.tested.get(name, ""))


def _tested(name: str, results: Sequence[Results]) -> str:
    if not results:
        return ""
    rows = []
    for r in results:
        o = r.projects.get(name)
        rows.append(f"{r.environment}\t-" if o is None else
                    f"{r.environment}\t{o.version}\t{o.outcome}\t{o.detail}\t{o.tests}\t"
                    f"{o.tests_detail}")
    return short_digest("\n".join(rows))


def _count(masks: Iterable[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    counts = [[0, 0] for _ in range(size)]
    tally: dict[tuple[int, int], int] = {}
    for pair in masks:
        tally[pair] = tally.get(pair, 0) + 1
    for pair, n in tally.items():
        _add(counts, pair, n)
    return [(a, b) for a, b in counts]


def _add(counts: list[list[int]], covers: tuple[int, int], n: int) -> None:
    every, compiled = covers
    for i, c in enumerate(counts):
        if every >> i & 1:
            c[0] += n
        if compiled >> i & 1:
            c[1] += n

"""``ipwhl add``: generate declarations from an index, a wheel URL or a local wheel.

For ``NAME==VERSION`` every supported environment gets the wheel pip would choose there
among that release's files on the index (best tag rank, ``requires-python`` admitting the
environment's Python; yanked files only when the release has nothing else), and each
distinct wheel chosen gets one declaration, written from the wheel's own METADATA.
Adding a project replaces the declarations of its other versions (the tree is singly
versioned).

Extras are curated (:mod:`ipwhl_checks.repo.extras`): a declaration declares only the extras
wanted of its project that its wheel provides, and only their dependencies.  Wanted are
the extras named in the SPEC (``NAME[EXTRA,...]==VERSION``), those the project's previous
declarations declared (kept on upgrade), and those any requirement of the resulting tree
asks for (``foo[bar]``, where it applies on some supported environment).  A wanted extra
a wheel lacks is a warning.  With *recursive*, every project a new declaration depends on
(on any supported environment, for no extra and for each extra it declares, as the
dependency check reads it) that the tree does not have is added too, at the newest
release that satisfies all the requirements on it, and a project already in the tree
whose declarations lack an extra asked of it is rewritten with it (same wheels, read
from the cache); this goes on to a fixed point.  Without *recursive*, the projects
already in the tree are left as they are (the dependency check names a missing extra).

Wheels over the repository's ``max-wheel-size`` are passed over (their size from the
index, PEP 700, else the downloaded file's): pip's next choice serves, or the environment
is left uncovered.  A SPEC without a version (``NAME``) or with a range (``NAME>=1,<2``)
takes the newest release in it that has such wheels for every supported environment (for
a project in the tree covering only some, for those), else, as a project may cover only
some environments, the newest with a wheel for some; it says which newer ones it passed
over and why (:func:`~ipwhl_checks.curate.choose.pick_release`).  ``NAME==VERSION`` takes
that release, whatever it lacks.  When pip's choices of a release
would overlap on some machine (IW301), wheels that cover the same environments and do not
overlap are declared instead, if the release has them
(:func:`~ipwhl_checks.curate.choose.choose_apart`).  For a project the index does not have,
the error suggests close names among those the repository knows (its projects and the
projects they depend on); the index's root page is not read for this, as on a large index
it lists hundreds of thousands of names.

Everything is planned (downloads, CIDs, texts) before anything is written; the writes
are staged as temporary files next to their targets and only then put in place, so a
failure leaves the tree as it was.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

from ..errors import IpwhlError, UsageError
from ..repo.declaration import Declaration
from ..repo.extras import requirements_for_extras
from ..repo.fmt import render
from ..repo.layout import declaration_path
from ..repo.settings import Environment, Settings, format_size
from ..repo.source import URL_SCHEMES, index_source, parse_source
from ..repo.tree import Tree
from ..sources.fetch import Client, download_wheel, fetch_wheel
from ..sources.simple_index import IndexFile, NoSuchProject
from ..sources.wheel import WheelInfo, read_wheel
from ..unixfs import file_cid
from ..util.atomic import plain_mode
from .choose import choose_apart, choose_wheels, installable, pick_release, within_limit
from .coverage import project_coverage

__all__ = ["AddError", "Plan", "SpecError", "apply_plan", "plan_add"]

class AddError(IpwhlError):
    """A SPEC cannot be added (no such release, no wheel at all...)."""


class SpecError(AddError, UsageError):
    """A SPEC that cannot be understood (a usage error)."""


@dataclass
class Plan:
    """What ``ipwhl add`` will do: the files to write and remove, and what to tell."""

    root: Path
    writes: dict[Path, str] = field(default_factory=dict)
    removes: set[Path] = field(default_factory=set)
    added: list[str] = field(default_factory=list)  # "demo 1.0", in order
    warnings: list[str] = field(default_factory=list)
    new: list[Declaration] = field(default_factory=list)
    infos: dict[Path, WheelInfo] = field(default_factory=dict)  # the wheel of each write


# The requirements on a missing project: (requirement, environment, declaration requiring it)
_Needs = list[tuple[Requirement, Environment, Declaration]]


def _applies(req: Requirement, env: Environment, extras: Sequence[str]) -> bool:
    """Whether *req* applies on *env*, for no extra or one of *extras* (as the checks read it)."""
    if req.marker is None:
        return True
    try:
        return any(req.marker.evaluate({**env.markers, "extra": extra})
                   for extra in ("", *extras))
    except (UndefinedComparison, UndefinedEnvironmentName):
        return False  # the dependency check reports a marker it cannot evaluate


def _envs(envs: Sequence[Environment]) -> str:
    return ", ".join(e.name for e in envs)


@dataclass(frozen=True)
class _Wheel:
    """A wheel whose declaration this plan writes: where, from what, and its METADATA."""

    target: Path
    source: str
    cid: str
    info: WheelInfo


class _Planner:
    def __init__(self, tree: Tree, client: Client, index_url: str, recursive: bool) -> None:
        self.tree, self.client, self.index_url = tree, client, index_url
        self.recursive = recursive
        self.settings: Settings = tree.settings
        self.plan = Plan(tree.root)
        self.replaced: set[NormalizedName] = set()
        self.wheels: dict[NormalizedName, dict[Path, _Wheel]] = defaultdict(dict)
        self.wanted: dict[NormalizedName, dict[str, str]] = defaultdict(dict)  # extra -> why
        self.rendered: dict[Path, Declaration] = {}
        self._asks: dict[NormalizedName, list[tuple[Declaration, Requirement]]] | None = None

    # -- the declarations: a wheel with the extras wanted of its project ------------------
    def _plan_wheels(self, project: NormalizedName, wheels: Sequence[_Wheel]) -> None:
        for old in self.wheels.pop(project, {}).values():  # a project planned twice
            self.plan.writes.pop(old.target, None)
            self.plan.infos.pop(old.target, None)
            self.rendered.pop(old.target, None)
        self.wheels[project] = {w.target: w for w in wheels}
        self._tree_asks(project)

    def want(self, project: NormalizedName, extras: Iterable[str], why: str) -> None:
        for extra in extras:
            self.wanted[project].setdefault(canonicalize_name(extra), why)

    def render(self, project: NormalizedName) -> list[Declaration]:
        """(Re)write the project's planned declarations whose extras changed; those."""
        changed = []
        for w in self.wheels.get(project, {}).values():
            extras = tuple(sorted(e for e in self.wanted[project] if e in w.info.extras))
            old = self.rendered.get(w.target)
            if old is not None and old.extras == extras:
                continue
            info = w.info
            dependencies = requirements_for_extras(info.dependencies, extras)
            self.plan.writes[w.target] = render(w.source, w.cid, info.requires_python, extras,
                                                dependencies)
            self.plan.infos[w.target] = info
            self.rendered[w.target] = Declaration(
                path=w.target, filename=info.filename, project=info.project,
                version=info.version, tags=info.tags, source=w.source, content_id=w.cid,
                requires_python=info.requires_python, extras=extras, dependencies=dependencies)
            changed.append(self.rendered[w.target])
        return changed

    def unprovided(self) -> list[str]:
        """A warning for each wanted extra that a planned wheel does not provide."""
        warnings = []
        for project in sorted(self.wheels):
            wheels = sorted(self.wheels[project].values(), key=lambda w: w.info.filename)
            if not wheels:
                continue
            label = f"{project} {wheels[0].info.version}"
            for extra, why in sorted(self.wanted[project].items()):
                lacking = [w.info.filename for w in wheels if extra not in w.info.extras]
                if not lacking:
                    continue
                if len(lacking) == len(wheels):
                    what = "the wheel does" if len(wheels) == 1 else "its wheels do"
                else:
                    what = ", ".join(lacking) + (" does" if len(lacking) == 1 else " do")
                warnings.append(f"{label}: {what} not provide extra {extra!r} ({why})")
        return warnings

    def _replace(self, project: NormalizedName, keep_version: Version | None) -> None:
        """Remove the project's declarations (of other versions than *keep_version*); the
        extras they declared are wanted of the new ones."""
        self.replaced.add(project)
        for d in self.tree.declarations:
            if d.project == project and (keep_version is None or d.version != keep_version):
                self.plan.removes.add(d.path)
                self.want(project, d.extras, f"declared by {d.project} {d.version}")

    def _wheel(self, source: str, path: Path, cid: str, filename: str) -> _Wheel:
        return _Wheel(declaration_path(self.tree.root, filename), source, cid,
                      read_wheel(path, filename))

    def _files(self, project: NormalizedName) -> list[IndexFile]:
        """The index's files of *project*; for a project it lacks, the error suggests the
        close names the repository knows."""
        try:
            return self.client.index_files(self.index_url, project)
        except NoSuchProject as e:
            known = {d.project for d in self.tree.declarations} | set(self.wheels) | {
                canonicalize_name(r.name) for d in self.tree.declarations
                for r in d.dependencies}
            close = difflib.get_close_matches(project, sorted(known - {project}), n=3,
                                              cutoff=0.75)
            if not close:
                raise
            names = " or ".join(repr(c) for c in close)
            raise AddError(f"{e}; did you mean {names}?") from e

    def pick(self, name: str, spec: SpecifierSet, text: str) -> Version:
        """The newest release of *name* in *spec* the repository accepts with a wheel for
        every environment the project must cover (every supported one, or those its
        declarations in the tree cover), else the newest with a wheel for some (partial
        coverage); a warning names the newer ones skipped."""
        project = canonicalize_name(name)
        needed, what = None, "every supported environment"
        have = [d for d in self.tree.declarations if d.project == project]
        if have:
            (coverage,) = project_coverage(have, self.settings)
            if coverage.covered and not coverage.complete:
                needed = coverage.covered
                what = f"every environment {project} {coverage.versions[0]} covers"
        found = pick_release(self._files(project), project, spec, self.settings, needed)
        skipped = [f"{v} ({why})" for v, why in found.skipped[:5]]
        if len(found.skipped) > 5:
            skipped.append(f"{len(found.skipped) - 5} more")
        if found.version is None:
            newest = f" ({', '.join(skipped)})" if skipped else ""
            raise AddError(f"{text}: no release{' in ' + str(spec) if spec else ''} on "
                           f"{self.index_url} has a wheel for any supported environment"
                           f"{newest}")
        if skipped and found.complete:
            self.plan.warnings.append(
                f"{project}: took {found.version}, the newest release with a wheel for "
                f"{what}; skipped {', '.join(skipped)}")
        elif skipped:
            self.plan.warnings.append(
                f"{project}: took {found.version}, the newest release with a wheel for some "
                f"supported environment (none has one for {what}); skipped "
                f"{', '.join(skipped)}")
        return found.version

    def release(self, name: str, version: Version) -> NormalizedName:
        project = canonicalize_name(name)
        files = self._files(project)
        if not any(f.wheel is not None and f.wheel[1] == version for f in files):
            others = [f for f in files if f.wheel is None and f"-{version}." in f.filename]
            why = "only an sdist, which cannot enter IPWHL" if others else "no such release"
            raise AddError(f"{project} {version}: no wheel on {self.index_url} ({why})")
        chosen, missing, apart = choose_apart(within_limit(files, self.settings), version,
                                              self.settings.environments,
                                              self.settings.pythons)
        too_large = self._too_large(files, version, missing)
        if not chosen:
            raise AddError(f"{project} {version}: no wheel for any supported environment"
                           f"{too_large}")
        if missing:
            self.plan.warnings.append(f"{project} {version}: no wheel for {_envs(missing)}"
                                      f"{too_large}")
        if apart:
            self.plan.warnings.append(
                f"{project} {version}: pip's choices would install together on one machine "
                f"(IW301); declared {', '.join(sorted(chosen))} instead, which do not")
        self._replace(project, None)
        sources = [index_source(project, filename) for filename in sorted(chosen)]
        entries = self.client.map(lambda s: download_wheel(
            s, self.settings, index_url=self.index_url, client=self.client), sources,
            name=lambda s: parse_source(s).filename)
        for source, entry in zip(sources, entries, strict=True):  # sizes the index did not give
            if self.settings.over_limit(size := entry.path.stat().st_size):
                assert self.settings.max_wheel_size is not None
                raise AddError(f"{project} {version}: {parse_source(source).filename} is "
                               f"{format_size(size)}, more than the repository's "
                               f"max-wheel-size of {format_size(self.settings.max_wheel_size)}")
        self._plan_wheels(project, [self._wheel(s, e.path, e.cid, parse_source(s).filename)
                                    for s, e in zip(sources, entries, strict=True)])
        self.plan.added.append(f"{project} {version}")
        return project

    def _too_large(self, files: Sequence[IndexFile], version: Version,
                   missing: Sequence[Environment]) -> str:
        """What the size limit took from *missing*: `` (over max-wheel-size ...: FILE)``."""
        large = sorted(choose_wheels(files, version, missing)[0])
        if not large:
            return ""
        assert self.settings.max_wheel_size is not None
        sizes = {f.filename: f.size for f in files}
        shown = ", ".join(f"{name} ({format_size(sizes[name] or 0)})" for name in large[:3])
        more = f" and {len(large) - 3} more" if len(large) > 3 else ""
        return (f" (over the repository's max-wheel-size of "
                f"{format_size(self.settings.max_wheel_size)}: {shown}{more})")

    def wheel_url(self, url: str) -> NormalizedName:
        source = parse_source(url)
        allow_file = url.lower().startswith("file:")
        entry = download_wheel(url, self.settings, allow_file=allow_file, client=self.client)
        new = self._wheel(url, entry.path, entry.cid, source.filename)
        return self._single(new)

    def local_wheel(self, path: Path, source_url: str) -> NormalizedName:
        source = parse_source(source_url)
        if source.filename != path.name:
            raise AddError(f"--source names {source.filename!r} but the wheel is {path.name!r}")
        try:
            cid, _size = file_cid(path, self.settings.profile)
        except OSError as e:
            raise AddError(f"cannot read {str(path)!r}: {e.strerror or e}") from None
        return self._single(self._wheel(source_url, path, cid, path.name))

    def _single(self, new: _Wheel) -> NormalizedName:
        project, version = new.info.project, new.info.version
        self._replace(project, version)
        same = [w for w in self.wheels.get(project, {}).values()  # other platforms' URLs
                if w.info.version == version and w.target != new.target]
        self._plan_wheels(project, [*same, new])
        self.plan.added.append(f"{project} {version}")
        return project

    # -- the extras asked for, and the closure --------------------------------------------
    def _kept(self, d: Declaration) -> bool:
        return d.path not in self.plan.removes and d.path not in self.rendered

    def _tree_asks(self, project: NormalizedName) -> None:
        """Want of a newly planned project the extras the rest of the tree asks of it."""
        if self._asks is None:
            self._asks = defaultdict(list)
            for d in self.tree.declarations:
                for req in d.dependencies:
                    if req.extras:
                        self._asks[canonicalize_name(req.name)].append((d, req))
        for d, req in self._asks.get(project, []):
            if self._kept(d) and self._asks_on_some_env(d, req):
                self.want(project, req.extras, f"asked for by {d.project} {d.version}")

    def _asks_on_some_env(self, d: Declaration, req: Requirement) -> bool:
        return any(_applies(req, env, d.extras) for env in self.settings.environments
                   if installable(env, d.tags, d.requires_python) is not None)

    def ask_extras(self, changed: Sequence[Declaration]) -> list[NormalizedName]:
        """Want the extras *changed* asks for; the projects that may need rendering."""
        asked: dict[NormalizedName, None] = {}
        for d in changed:
            for req in d.dependencies:
                if req.extras and self._asks_on_some_env(d, req):
                    project = canonicalize_name(req.name)
                    self.want(project, req.extras, f"asked for by {d.project} {d.version}")
                    asked[project] = None
        return list(asked)

    def adopt(self, project: NormalizedName) -> None:
        """Plan the project's kept declarations that lack a wanted extra (their wheels come
        from the cache, verified by CID), so that they can be rendered with it."""
        lacking = [d for d in self.tree.declarations if d.project == project and self._kept(d)
                   and not set(self.wanted[project]) <= set(d.extras)]
        if not lacking:
            return
        for d in lacking:
            self.want(project, d.extras, f"declared by {d.project} {d.version}")

        def fetch(d: Declaration) -> _Wheel:
            try:
                path = fetch_wheel(d, self.settings, index_url=self.index_url, client=self.client)
            except IpwhlError as e:
                raise AddError(f"{d.path}: cannot read its wheel to add the extras asked of "
                               f"{project}: {e}") from e
            return self._wheel(d.source, path, d.content_id, d.filename)

        adopted = self.client.map(fetch, lacking, name=lambda d: d.filename)
        self.wheels[project].update((w.target, w) for w in adopted)

    def _present(self) -> set[NormalizedName]:
        kept = {d.project for d in self.tree.declarations if d.path not in self.plan.removes}
        return kept | self.replaced

    def missing_requirements(self, new: Sequence[Declaration]) -> dict[NormalizedName, _Needs]:
        """The projects *new* needs (for no extra and its declared extras) that the tree lacks."""
        present = self._present()
        needed: dict[NormalizedName, _Needs] = defaultdict(list)
        for d in new:
            for env in self.settings.environments:
                if installable(env, d.tags, d.requires_python) is None:
                    continue
                for req in d.dependencies:
                    name = canonicalize_name(req.name)
                    if name in present:
                        continue
                    if _applies(req, env, d.extras):
                        needed[name].append((req, env, d))
        return needed

    def newest(self, project: NormalizedName, requirements: _Needs) -> Version:
        spec = SpecifierSet()
        for req, _env, _by in requirements:
            spec &= req.specifier
        files = within_limit(self._files(project), self.settings)
        versions = sorted({f.wheel[1] for f in files if f.wheel is not None and not f.yanked},
                          reverse=True)
        fitting = list(spec.filter(versions))
        if not fitting:
            wanted = ", ".join(sorted({str(r) for r, _e, _by in requirements}))
            raise AddError(f"{project}: no release with wheels on {self.index_url} satisfies "
                           f"{wanted}")
        envs = list(dict.fromkeys(env for _req, env, _by in requirements))
        for version in fitting:  # the newest that has a wheel wherever it is needed
            if not choose_wheels(files, version, envs)[1]:
                return version
        return fitting[0]

    def _read_pages(self, projects: Sequence[NormalizedName]) -> None:
        """Read the index pages of *projects* at once (the client keeps them); an error
        is left for the project's turn, which words it."""
        def read(project: NormalizedName) -> None:
            with contextlib.suppress(IpwhlError):
                self.client.index_files(self.index_url, project)
        progress, self.client.progress = self.client.progress, None  # (no wheels)
        try:
            self.client.map(read, projects)
        finally:
            self.client.progress = progress

    def close(self) -> None:
        """Render to a fixed point: every extra asked for is declared, and (recursive)
        every project needed is planned, with its dependencies for those extras."""
        changed = [d for project in list(self.wheels) for d in self.render(project)]
        while changed:
            again = []
            for project in self.ask_extras(changed):
                if self.recursive:
                    self.adopt(project)
                again += self.render(project)
            if self.recursive:
                needed = self.missing_requirements(changed)
                self._read_pages(sorted(needed))
                for project in sorted(needed):
                    try:
                        self.release(project, self.newest(project, needed[project]))
                    except IpwhlError as e:
                        by = sorted({f"{d.project} {d.version}" for _r, _e, d in needed[project]})
                        raise AddError(f"{e} (a dependency of {', '.join(by)})") from e
                    again += self.render(project)
            changed = again
        self.plan.new = list(self.rendered.values())
        self.plan.warnings += self.unprovided()


def _spec_kind(spec: str) -> str:
    scheme = spec.split(":", 1)[0].lower()
    if ":" in spec and scheme in URL_SCHEMES:
        return "url"
    if spec.endswith(".whl"):
        return "file"
    return "release"


def _spec(spec: str) -> tuple[str, SpecifierSet, Version | None, frozenset[str]]:
    """NAME, NAME[EXTRA,...], either with a version (``==VERSION``) or a range (PEP 440):
    (name, specifiers, the pinned version if it is one, extras); :class:`SpecError`
    otherwise."""
    try:
        req = Requirement(spec)
    except InvalidRequirement as e:
        reason = str(e).splitlines()[0]
        raise SpecError(f"{spec!r} is not a SPEC: expected NAME, NAME==VERSION, "
                        f"NAME[EXTRA]>=VERSION..., a wheel URL or a local wheel file "
                        f"({reason})") from None
    if req.url or req.marker:
        raise SpecError(f"{spec!r} is not a SPEC: a project SPEC names no URL or marker "
                        "(expected NAME, NAME==VERSION or NAME[EXTRA]>=VERSION...)")
    pins = list(req.specifier)
    pinned = None
    if len(pins) == 1 and pins[0].operator == "==" and not pins[0].version.endswith(".*"):
        pinned = Version(pins[0].version)
    return req.name, req.specifier, pinned, frozenset(req.extras)


def plan_add(tree: Tree, specs: Sequence[str], *, client: Client, index_url: str,
             source: str | None = None, recursive: bool = False) -> Plan:
    """Everything ``ipwhl add SPEC...`` would write and remove; nothing is written."""
    planner = _Planner(tree, client, index_url, recursive)
    if source is not None and (len(specs) != 1 or _spec_kind(specs[0]) != "file"):
        raise AddError("--source goes with exactly one local wheel file")
    for spec in specs:
        kind = _spec_kind(spec)
        if kind == "url":
            planner.wheel_url(spec)
        elif kind == "file":
            path = Path(spec)
            if not path.is_file():
                raise AddError(f"no such wheel file: {spec!r}")
            if source is None:
                raise AddError(f"a local wheel needs --source URL (where it is published): "
                               f"{spec!r}")
            try:
                parse_wheel_filename(path.name)
            except InvalidWheelFilename as e:
                raise SpecError(f"not a wheel file name: {spec!r} ({e})") from None
            planner.local_wheel(path, source)
        else:
            name, specifiers, pinned, extras = _spec(spec)
            planner.want(canonicalize_name(name), extras, f"asked for by {spec!r}")
            planner.release(name, pinned or planner.pick(name, specifiers, spec))
    planner.close()
    return planner.plan


def apply_plan(plan: Plan) -> None:
    """Write every planned file, then remove the replaced ones; all or nothing.

    Every new text is first written to a temporary file next to its target; only when all
    are written are they renamed into place (``os.replace``), and should a rename fail, the
    files already replaced get their old text back.
    """
    staged: list[tuple[Path, Path]] = []
    made: list[Path] = []
    try:
        for target, text in sorted(plan.writes.items()):
            for parent in reversed(target.parents):
                if not parent.exists() and plan.root in parent.parents:
                    parent.mkdir()
                    made.append(parent)
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=".tmp")
            staged.append((Path(name), target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            os.chmod(name, plain_mode())  # mkstemp's is 0600; a plain open's
        old = {target: target.read_bytes() if target.exists() else None
               for _tmp, target in staged}
        _replace_all(staged, old)
    except OSError as e:
        for tmp, _target in staged:
            tmp.unlink(missing_ok=True)
        for directory in reversed(made):
            with contextlib.suppress(OSError):
                directory.rmdir()
        where = f"{_target_of(e.filename)}: " if e.filename else ""
        raise IpwhlError(f"cannot write the declarations, nothing written: {where}"
                         f"{e.strerror or e}") from e
    for path in sorted(plan.removes - set(plan.writes)):
        path.unlink(missing_ok=True)
        for parent in (path.parent, path.parent.parent):
            if parent != plan.root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()


def _target_of(filename: object) -> str:
    """The declaration a staged file stands for (``.<name>.<random>.tmp`` beside it)."""
    path = Path(str(filename))
    staged = re.fullmatch(r"\.(.+)\.[^.]+\.tmp", path.name)
    return str(path.with_name(staged.group(1))) if staged else str(path)


def _replace_all(staged: list[tuple[Path, Path]], old: dict[Path, bytes | None]) -> None:
    done: list[Path] = []
    try:
        for tmp, target in staged:
            os.replace(tmp, target)
            done.append(target)
    except OSError:
        for target in done:  # put back what was there
            with contextlib.suppress(OSError):
                previous = old[target]
                if previous is None:
                    target.unlink()
                else:
                    target.write_bytes(previous)
        raise

"""The releases the repository could hold: the declared one of each project, and the
index's newer ones (and those of projects a release would bring in).

A release's wheels are those ``ipwhl add`` declares: pip's choice on each supported
environment, or wheels apart when pip's would overlap
(:func:`~ipwhl_checks.curate.choose.choose_apart`); its
needs (:mod:`ipwhl_checks.curate.needs`) come from the declarations for the declared
release and from each chosen wheel's METADATA otherwise: the PEP 658 file when the index
serves one (a few KB), else the wheel itself (downloaded into the cache, where ``ipwhl
add`` finds it again).  A release's extras are those of the project the repository wants:
the ones its declarations declare and the ones a requirement in the tree asks for.

Pages are read once per project (in parallel for the tree's projects, on the client's
threads), metadata once per release and only when asked for; a page or a METADATA that
cannot be read is an error line (:attr:`Releases.errors`), and the release or project is
then left out; a project the tree does not have and the index cannot give is a warning
(:attr:`Releases.warnings`): the release that needs it is held.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from ..errors import IpwhlError
from ..repo.declaration import Declaration
from ..repo.extras import requirements_for_extras
from ..repo.source import index_source
from ..repo.tree import Tree
from ..sources.fetch import Client, download_wheel, fetch_core_metadata
from ..sources.simple_index import IndexFile
from ..sources.wheel import WheelInfo, metadata_info, read_wheel
from ..util.progress import Progress
from .choose import choose_apart, within_limit
from .needs import Need, installs_on, needs_of

__all__ = ["Release", "Releases"]

_SERIAL = itertools.count()


@functools.lru_cache(maxsize=1 << 16)
def _admits(specifier: SpecifierSet, version: Version) -> bool:
    """Whether *specifier* admits *version*, pre-releases included (the dependency check's
    reading); a resolution asks the same questions again and again."""
    return specifier.contains(version, prereleases=True)


@dataclass(frozen=True, eq=False)
class Release:
    """One release of a project: the environments it installs on and its chosen wheels
    ({filename: environments mask}; the declarations' files for the declared one).
    :class:`Releases` makes one per version: compared by identity, hashed by the order of
    making (as :class:`~ipwhl_checks.curate.needs.Need`)."""

    project: NormalizedName
    version: Version
    mask: int
    wheels: tuple[tuple[str, int], ...]
    declared: bool = False
    serial: int = field(default_factory=lambda: next(_SERIAL), repr=False)

    def __hash__(self) -> int:
        return self.serial

    def __str__(self) -> str:
        return f"{self.project} {self.version}"


class Releases:
    """The candidates of every project, read from the tree and the index as needed."""

    def __init__(self, tree: Tree, client: Client, index_url: str) -> None:
        self.settings = tree.settings
        self.environments = tree.settings.environments
        self.client, self.index_url = client, index_url
        self.by_project: dict[NormalizedName, list[Declaration]] = defaultdict(list)
        for d in tree.declarations:
            self.by_project[d.project].append(d)
        self.wanted: dict[NormalizedName, set[str]] = defaultdict(set)
        for d in tree.declarations:
            self.wanted[d.project].update(d.extras)
            for req in d.dependencies:
                self.wanted[canonicalize_name(req.name)].update(
                    canonicalize_name(e) for e in req.extras)
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self._files: dict[NormalizedName, list[IndexFile] | None] = {}
        self._releases: dict[tuple[NormalizedName, Version], Release | None] = {}
        self._needs: dict[Release, tuple[Need, ...]] = {}
        self._infos: dict[Release, list[tuple[WheelInfo, int]] | None] = {}
        self._satisfied: dict[tuple[Release, Need, bool], bool] = {}
        self._lock = threading.Lock()

    # -- the tree's projects ----------------------------------------------------------
    @property
    def projects(self) -> list[NormalizedName]:
        return sorted(self.by_project)

    def declared(self, project: NormalizedName) -> Release:
        """The release the tree declares (its newest version, should it hold two)."""
        group = self.by_project[project]
        version = max(d.version for d in group)
        key = (project, version)
        found = self._releases.get(key)
        if found is None:
            wheels = tuple((d.filename, installs_on(self.environments, d.tags,
                                                    d.requires_python)) for d in group)
            mask = 0
            for _f, m in wheels:
                mask |= m
            found = self._releases[key] = Release(project, version, mask, wheels, True)
        return found

    def covered(self, project: NormalizedName) -> int:
        """The environments the project's declarations install on (all, when none)."""
        return self.declared(project).mask or (1 << len(self.environments)) - 1

    def read_pages(self, projects: Sequence[NormalizedName]) -> None:
        """Read the index pages of *projects*, in parallel (the client's jobs)."""
        shown = self.client.progress
        try:
            with Progress("reading", "index pages", done_verb="read") as self.client.progress:
                self.client.map(self.files, projects)
        finally:
            self.client.progress = shown

    # -- the index --------------------------------------------------------------------
    def files(self, project: NormalizedName) -> list[IndexFile] | None:
        """The project's files on the index that the repository accepts (none over its
        ``max-wheel-size``); None (and an error line) when unreadable."""
        if project not in self._files:
            try:
                files: list[IndexFile] | None = within_limit(
                    self.client.index_files(self.index_url, project), self.settings)
            except IpwhlError as e:
                files = None
                with self._lock:
                    said = self.errors if project in self.by_project else self.warnings
                    said.append(f"{project}: {e}")
            self._files[project] = files
        return self._files[project]

    def versions(self, project: NormalizedName) -> list[Version]:
        """The index's versions of *project* newest first: not yanked; pre-releases only
        when the declared version is one (or, for a new project, when there is nothing
        else)."""
        files = self.files(project) or []
        found = sorted({f.wheel[1] for f in files if f.wheel is not None and not f.yanked},
                       reverse=True)
        if project in self.by_project:
            declared = self.declared(project).version
            return [v for v in found if declared.is_prerelease or not v.is_prerelease]
        final = [v for v in found if not v.is_prerelease]
        return final or found

    def newer(self, project: NormalizedName) -> list[Version]:
        """The index's versions newer than the declared one, newest first."""
        declared = self.declared(project).version
        return [v for v in self.versions(project) if v > declared]

    def release(self, project: NormalizedName, version: Version) -> Release | None:
        """The release pip would install from the index (None: no wheel anywhere)."""
        if project in self.by_project and version == self.declared(project).version:
            return self.declared(project)
        key = (project, version)
        if key not in self._releases:
            chosen, _missing, _apart = choose_apart(self.files(project) or [], version,
                                                    self.environments, self.settings.pythons)
            wheels = tuple(sorted((name, sum(1 << self.environments.index(e) for e in envs))
                                  for name, envs in chosen.items()))
            mask = 0
            for _f, m in wheels:
                mask |= m
            self._releases[key] = Release(project, version, mask, wheels) if wheels else None
        return self._releases[key]

    # -- what a release needs -----------------------------------------------------------
    def infos(self, release: Release) -> list[tuple[WheelInfo, int]] | None:
        """The METADATA of each chosen wheel of an index release, with its environments;
        None (and an error line) when one cannot be read."""
        if release not in self._infos:
            entries = {f.filename: f for f in self.files(release.project) or []}

            def one(item: tuple[str, int]) -> tuple[WheelInfo, int]:
                filename, mask = item
                entry = entries[filename]
                if entry.core_metadata:
                    return metadata_info(filename, fetch_core_metadata(entry, self.client)), mask
                cached = download_wheel(index_source(release.project, filename), self.settings,
                                        index_url=self.index_url, client=self.client)
                return read_wheel(cached.path, filename), mask

            try:
                infos: list[tuple[WheelInfo, int]] | None = self.client.map(
                    one, release.wheels, name=lambda w: w[0])
            except IpwhlError as e:
                infos = None
                self.errors.append(f"{release}: cannot read its metadata: {e}")
            self._infos[release] = infos
        return self._infos[release]

    def extras(self, release: Release) -> frozenset[str] | None:
        """The extras every wheel of an index release provides (None: the declared one,
        whose wheels the checks already hold to what is asked of them)."""
        if release.declared:
            return None
        infos = self.infos(release) or []
        provided = [frozenset(info.extras) for info, _m in infos]
        return frozenset.intersection(*provided) if provided else frozenset()

    def needs(self, release: Release) -> tuple[Need, ...]:
        """What *release* needs of the other projects (empty when unreadable)."""
        if release not in self._needs:
            if release.declared:
                wheels = [(d.dependencies, d.extras, installs_on(
                    self.environments, d.tags, d.requires_python))
                    for d in self.by_project[release.project]]
            else:
                wanted = self.wanted[release.project]
                wheels = []
                for info, mask in self.infos(release) or []:
                    extras = sorted(wanted & set(info.extras))
                    wheels.append((requirements_for_extras(info.dependencies, extras),
                                   tuple(extras), mask))
            self._needs[release] = needs_of(release.project, release.version, wheels,
                                            self.environments)
        return self._needs[release]

    def usable(self, release: Release) -> bool:
        """Whether the release's needs could be read (always, for the declared one)."""
        return release.declared or self.infos(release) is not None

    def satisfies(self, release: Release, need: Need, *, extras: bool = True) -> bool:
        """Whether *release* satisfies *need* (see :mod:`ipwhl_checks.curate.needs`);
        without *extras*, whatever extras the need asks for (no METADATA is read)."""
        key = (release, need, extras)
        found = self._satisfied.get(key)
        if found is None:
            found = self._satisfied[key] = self._satisfies(release, need, extras)
        return found

    def _satisfies(self, release: Release, need: Need, extras: bool) -> bool:
        if need.mask & ~release.mask or not _admits(need.specifier, release.version):
            return False
        provided = self.extras(release) if need.extras and extras else None
        return provided is None or need.extras <= provided

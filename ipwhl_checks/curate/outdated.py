"""Which projects are behind the index, and which are held: the data behind ``ipwhl
outdated``.

A project is outdated when the index has a newer release with wheels for every supported
environment its declarations cover (pip's choice exists on each,
:func:`ipwhl_checks.curate.choose.choose_wheels`; a Windows-only helper needs wheels for
Windows only) that every requirement on it in the tree admits there; *latest* is the
newest such release.  Yanked files are ignored, and pre-releases too unless the declared
version is one.  ``ipwhl upgrade NAME`` (or ``ipwhl add NAME==LATEST``) then upgrades it.

A project is held when its newest release is not that one: :mod:`ipwhl_checks.curate.held`
says why (``requires-python >=3.12 leaves out Python 3.11``, ``no wheel for
cp311-win_amd64``, ``botocore requires python-dateutil<3``, or the newer release's own
requirement: ``it requires botocore>=1.44.8 and the repository's botocore is 1.43.117``,
read from its METADATA).  A held project may also be
outdated (a newer release it can move to, below the newest).  The dependents'
requirements are the tree's own, so a dependent that a newer release of its own would
free is still named (``ipwhl upgrade`` moves such sets together).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from ..repo.tree import Tree
from ..sources.fetch import Client
from .held import held_reason
from .needs import Need, kept
from .releases import Release, Releases

__all__ = ["Held", "Outdated", "Survey", "find_outdated"]


@dataclass(frozen=True, order=True)
class Outdated:
    project: NormalizedName
    declared: Version
    latest: Version


@dataclass(frozen=True, order=True)
class Held:
    """A project below its *newest* release, and why; *latest*: the newest it can have
    (None: none above the declared one)."""

    project: NormalizedName
    declared: Version
    newest: Version
    reason: str
    latest: Version | None = None

    def __str__(self) -> str:
        return f"{self.project} {self.declared} ({self.newest} held: {self.reason})"


@dataclass(frozen=True)
class Survey:
    outdated: list[Outdated]  # sorted
    held: list[Held]  # sorted
    errors: list[str]  # one "project: error" per page that could not be read


def tree_needs(releases: Releases) -> dict[NormalizedName, list[Need]]:
    """The requirements on each project of the tree, from its declarations, and the
    repository's own (keep it where it is installable)."""
    needs: dict[NormalizedName, list[Need]] = defaultdict(list)
    for project in releases.projects:
        needs[project].append(kept(project, releases.covered(project)))
        for need in releases.needs(releases.declared(project)):
            needs[need.project].append(need)
    return needs


def _own_blocker(releases: Releases, release: Release,
                 needs: Mapping[NormalizedName, list[Need]]) -> str | None:
    """The first requirement of the newer *release* (its METADATA) that neither the tree's
    declared release of that project meets nor a newer one that the project's other
    dependents (*needs*) admit (a pair that moves together, as ``ipwhl upgrade`` moves
    it, is no blocker); None when there is none or the metadata cannot be read.  A project
    the tree lacks is no blocker either: an upgrade adds it."""
    if not releases.usable(release):
        return None
    for need in sorted(releases.needs(release), key=lambda n: n.text):
        if need.project == release.project or need.project not in releases.by_project:
            continue
        target = releases.declared(need.project)
        if releases.satisfies(target, need, extras=False):
            continue
        others = [n for n in needs[need.project] if n.by != release.project]
        if not any((r := releases.release(need.project, v)) is not None
                   and releases.satisfies(r, need, extras=False)
                   and all(releases.satisfies(r, n, extras=False) for n in others)
                   for v in releases.newer(need.project)):
            return (f"it requires {need.text} and the repository's {need.project} is "
                    f"{target.version}")
    return None


def find_outdated(tree: Tree, *, client: Client, index_url: str) -> Survey:
    """The outdated and the held projects of *tree* (pages read in parallel)."""
    releases = Releases(tree, client, index_url)
    releases.read_pages(releases.projects)
    needs = tree_needs(releases)
    outdated, held = [], []
    for project in releases.projects:
        if releases.files(project) is None:
            continue
        newer = releases.newer(project)
        if not newer:
            continue
        declared = releases.declared(project).version
        latest, own = None, {}
        for version in newer:
            release = releases.release(project, version)
            if release is None or not all(releases.satisfies(release, n, extras=False)
                                          for n in needs[project]):
                continue
            blocked = _own_blocker(releases, release, needs)
            if blocked is None:
                latest = version
                break
            own[version] = blocked
        if latest is not None:
            outdated.append(Outdated(project, declared, latest))
        if latest != newer[0]:
            reason = own.get(newer[0]) or held_reason(releases, project, newer[0],
                                                      needs[project], None)
            held.append(Held(project, declared, newer[0], reason, latest))
    return Survey(sorted(outdated), sorted(held), sorted(releases.errors))

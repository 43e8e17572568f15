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
cp311-win_amd64``, ``botocore requires python-dateutil<3``).  A held project may also be
outdated (a newer release it can move to, below the newest).  No METADATA is read: the
requirements are the tree's own, so a dependent that a newer release of its own would
free is still named (``ipwhl upgrade`` moves such sets together).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from ..repo.tree import Tree
from ..sources.fetch import Client
from .held import held_reason
from .needs import Need, kept
from .releases import Releases

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
        latest = next((v for v in newer if (r := releases.release(project, v)) is not None
                       and all(releases.satisfies(r, n, extras=False) for n in needs[project])),
                      None)
        if latest is not None:
            outdated.append(Outdated(project, declared, latest))
        if latest != newer[0]:
            reason = held_reason(releases, project, newer[0], needs[project], None)
            held.append(Held(project, declared, newer[0], reason, latest))
    return Survey(sorted(outdated), sorted(held), sorted(releases.errors))

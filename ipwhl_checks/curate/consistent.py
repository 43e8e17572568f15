"""The newest consistent set of releases: resolvelib over the repository's candidates.

One identifier per project, one version each (the repository is singly versioned); the
requirements are :class:`~ipwhl_checks.curate.needs.Need`\\ s, which hold on every
supported environment at once, so a set that satisfies them all passes the dependency
check everywhere.  The roots are the repository's own needs: each of its projects,
installable wherever it is today.

The candidates of a project, in the order they are tried:

* a target (named on the command line, or every project with ``--all``): its newer
  releases newest first, then the declared one (never an older one);
* another project of the tree: the declared release first, then its newer releases
  newest first, so that it moves only when a target needs it to (the set that must move
  together);
* a project the tree does not have (a new dependency): the index's releases newest first.

A first resolution gives a consistent set; then each target in turn (by name) is asked
for at each of its newer releases, newest first, until a resolution holds it, and stays
at the release it got while the next targets are asked for: so a target is at its newest
release whenever some choice of the others (moving them if they must) allows it, given
the targets before it.  A release without a wheel where the project is needed is not
asked for, nor one that a dependent excludes in every release it could move to; one
whose METADATA cannot be read is not a candidate.  Such a resolution may take a few rounds
per project (:data:`_ATTEMPT_ROUNDS`) before the release counts as out of reach, so a
large tree with many held projects is not searched without end.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version
from resolvelib import AbstractProvider, BaseReporter, Resolver
from resolvelib.resolvers import RequirementInformation, ResolutionImpossible, ResolutionTooDeep

from ..errors import ResolutionError
from .needs import Need, kept
from .releases import Release, Releases

__all__ = ["Resolution", "resolve_newest"]

_Info = RequirementInformation[Need, Release]
# A resolution asked to hold a target's newer release may take this many rounds per
# project of the tree (pins and backtracks) before the release counts as out of reach.
_ATTEMPT_ROUNDS = 3


@dataclass(frozen=True)
class Resolution:
    """The releases chosen, by project, and the needs on each project in the chosen set."""

    chosen: dict[NormalizedName, Release]
    needs: dict[NormalizedName, list[Need]]


class _Provider(AbstractProvider[Need, Release, NormalizedName]):
    def __init__(self, releases: Releases, targets: Collection[NormalizedName]) -> None:
        self.releases, self.targets = releases, set(targets)

    def identify(self, requirement_or_candidate: Need | Release) -> NormalizedName:
        return requirement_or_candidate.project

    def get_preference(self, identifier: NormalizedName,
                       resolutions: Mapping[NormalizedName, Release],
                       candidates: Mapping[NormalizedName, Iterator[Release]],
                       information: Mapping[NormalizedName, Iterator[_Info]],
                       backtrack_causes: Sequence[_Info]) -> tuple[bool, str]:
        return identifier not in self.targets, identifier

    def ordered(self, project: NormalizedName) -> list[Release]:
        releases = self.releases
        if project not in releases.by_project:
            versions = releases.versions(project)
            found = [releases.release(project, v) for v in versions]
            return [r for r in found if r is not None]
        newer = [r for v in releases.newer(project) if (r := releases.release(project, v))]
        declared = releases.declared(project)
        return [*newer, declared] if project in self.targets else [declared, *newer]

    def find_matches(self, identifier: NormalizedName,
                     requirements: Mapping[NormalizedName, Iterator[Need]],
                     incompatibilities: Mapping[NormalizedName, Iterator[Release]]
                     ) -> Callable[[], Iterator[Release]]:
        wanted = list(requirements[identifier])
        bad = {r.version for r in incompatibilities[identifier]}
        ordered = self.ordered(identifier)

        def matches() -> Iterator[Release]:  # lazily: METADATA is read as they are tried
            for release in ordered:
                if release.version in bad or not all(
                        n.specifier.contains(release.version, prereleases=True)
                        and not n.mask & ~release.mask for n in wanted):
                    continue
                if self.releases.usable(release) and all(
                        self.is_satisfied_by(n, release) for n in wanted):
                    yield release
        return matches

    def is_satisfied_by(self, requirement: Need, candidate: Release) -> bool:
        return self.releases.satisfies(candidate, requirement)

    def get_dependencies(self, candidate: Release) -> Sequence[Need]:
        return self.releases.needs(candidate)


def _explain(causes: Collection[_Info]) -> str:
    said = sorted({str(need) if need.by else f"the repository keeps {need.project} where it "
                   f"is installable today" for need, _parent in causes})
    return "; ".join(said)


def _resolve(provider: _Provider, roots: list[Need], rounds: int) -> Resolution:
    resolver: Resolver[Need, Release, NormalizedName] = Resolver(provider, BaseReporter())
    result = resolver.resolve(roots, max_rounds=rounds)
    needs = {project: [info.requirement for info in criterion.information]
             for project, criterion in result.criteria.items()}
    return Resolution(dict(result.mapping), needs)


def _pin(project: NormalizedName, version: Version, mask: int) -> Need:
    return Need(project, SpecifierSet(f"=={version}"), frozenset(), mask)


def _could_hold(provider: _Provider, best: Resolution, fixed: Collection[NormalizedName],
                release: Release) -> bool:
    """Whether each dependent in *best* whose requirement excludes *release* has a release
    it could move to that admits it (one already *fixed* cannot move): a cheap look one
    step ahead, so that a resolution is not asked for what it could only refuse."""
    releases = provider.releases
    for need in best.needs.get(release.project, []):
        if need.by is None or releases.satisfies(release, need):
            continue
        if need.by in fixed or not any(
                releases.usable(other) and all(releases.satisfies(release, n)
                                               for n in releases.needs(other)
                                               if n.project == release.project)
                for other in provider.ordered(need.by)):
            return False
    return True


def resolve_newest(releases: Releases, targets: Collection[NormalizedName],
                   keep: Collection[NormalizedName] = ()) -> Resolution:
    """The newest consistent set keeping every project of the tree, targets first, the
    projects in *keep* at their declared releases."""
    provider = _Provider(releases, targets)
    roots = [_pin(p, releases.declared(p).version, releases.declared(p).mask) if p in keep
             else kept(p, releases.declared(p).mask) for p in releases.projects]
    try:
        best = _resolve(provider, roots, 100 * len(roots) + 1000)
    except ResolutionImpossible as e:
        raise ResolutionError(f"no consistent set of releases, not even the declared one: "
                              f"{_explain(e.causes)} (run 'ipwhl check')") from e
    except ResolutionTooDeep as e:
        raise ResolutionError(f"no consistent set of releases found after {e.round_count} "
                              "rounds of backtracking") from e
    pins: dict[NormalizedName, Need] = {}
    for target in sorted(targets):
        mask = releases.declared(target).mask
        for version in releases.newer(target):
            if version <= best.chosen[target].version:
                break
            release = releases.release(target, version)
            if release is None or mask & ~release.mask:
                continue  # no wheel where it is needed: no resolution can hold it
            if not releases.usable(release) or not _could_hold(provider, best, pins, release):
                continue
            try:
                best = _resolve(provider, [*roots, *pins.values(), _pin(target, version, mask)],
                                _ATTEMPT_ROUNDS * len(roots) + 100)
            except (ResolutionImpossible, ResolutionTooDeep):
                continue
            break
        pins[target] = _pin(target, best.chosen[target].version, mask)
    return best

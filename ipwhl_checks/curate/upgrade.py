"""``ipwhl upgrade``: the named projects (or every one) at the newest release that keeps
the whole tree valid on every supported environment.

1. The newest consistent set (:mod:`ipwhl_checks.curate.consistent`): the targets at
   their newest releases that some choice of the others allows; another project moves
   only when a target needs it to, and a project the tree lacks comes in when a new
   release requires it.
2. The declarations are planned by ``ipwhl add``'s machinery
   (:func:`~ipwhl_checks.curate.add.plan_add`, recursive): pip's wheels on every
   environment, the extras the project declared and those asked of it, the old
   declarations removed.
3. The tree it gives must pass the dependency and overlap checks wherever the tree
   before did.  A project whose move brings a new problem of its own (two of its new
   wheels overlapping, say) is kept where it is, held with that problem as the reason, and
   the rest is planned again; a new problem no moved project owns stops the upgrade, and
   nothing is written.
4. The changes are cut into steps, one per project or per set that must move together
   (:mod:`ipwhl_checks.curate.series`), each with its commit message
   (:mod:`ipwhl_checks.curate.message`).

A target kept below its newest release is held, and :mod:`ipwhl_checks.curate.held`
says why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from ..checks.deps import check_dependencies
from ..checks.overlap import find_collisions
from ..errors import IpwhlError, UsageError
from ..repo.declaration import Declaration, Problem
from ..repo.tree import Tree
from ..sources.fetch import Client
from ..util.progress import Progress
from .add import Plan, plan_add
from .consistent import Resolution, resolve_newest
from .held import held_reason
from .message import Move, changelog_url, commit_message
from .outdated import Held
from .releases import Releases
from .series import Step, cut_series

__all__ = ["Commit", "Upgrade", "UpgradeError", "plan_upgrade", "step_plan"]


class UpgradeError(IpwhlError):
    """The upgrade would leave the tree with problems it did not have."""


@dataclass(frozen=True)
class Commit:
    """One step of the upgrade: its files and its commit message."""

    moves: list[Move]
    step: Step
    message: str

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass
class Upgrade:
    moves: list[Move] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)
    plan: Plan | None = None
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # pages or METADATA not read


def _targets(releases: Releases, names: Sequence[str], every: bool) -> list[NormalizedName]:
    if every == bool(names):
        raise UsageError("name the projects to upgrade, or give --all (not both)")
    if every:
        return releases.projects
    targets = list(dict.fromkeys(canonicalize_name(n) for n in names))
    unknown = [t for t in targets if t not in releases.by_project]
    if unknown:
        raise UsageError(f"not in the repository: {', '.join(unknown)} (add a project with "
                         "'ipwhl add')")
    return targets


def _problems(tree: Tree, declarations: list[Declaration]) -> set[Problem]:
    settings = tree.settings
    return {*check_dependencies(declarations, settings),
            *find_collisions(declarations, pythons=settings.pythons)}


def plan_upgrade(tree: Tree, names: Sequence[str], *, every: bool, client: Client,
                 index_url: str) -> Upgrade:
    """Everything ``ipwhl upgrade`` would do; nothing is written."""
    releases = Releases(tree, client, index_url)
    targets = _targets(releases, names, every)
    releases.read_pages(targets)
    before = _problems(tree, list(tree.declarations))
    result = Upgrade()
    kept_back: dict[NormalizedName, str] = {}  # a project whose move breaks the tree: why
    while True:
        resolution = resolve_newest(releases, [t for t in targets if t not in kept_back],
                                    keep=kept_back)
        moved = {p: r for p, r in resolution.chosen.items()
                 if p not in releases.by_project or r.version != releases.declared(p).version}
        if not moved:
            break
        shown = client.progress
        try:
            with Progress("downloading", "wheels", done_verb="downloaded") as client.progress:
                plan = plan_add(tree, [f"{p}=={r.version}" for p, r in sorted(moved.items())],
                                client=client, index_url=index_url, recursive=True)
        finally:
            client.progress = shown
        final = [*(d for d in tree.declarations if d.path not in plan.removes
                   and d.path not in plan.writes), *plan.new]
        broken = _problems(tree, final) - before
        if not broken:
            result.plan = plan
            break
        owners = {canonicalize_name(p.project) for p in broken if p.project}
        culprits = sorted(owners & set(moved) & set(releases.by_project))
        if not culprits:
            first = sorted(broken)[0]
            more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
            raise UpgradeError(f"the upgrade would break the tree, nothing written: "
                               f"{first.path}: {first.check} {first.message}{more}")
        for project in culprits:  # kept where they are; the others planned again
            first = min(p for p in broken if p.project and canonicalize_name(p.project)
                        == project)
            kept_back[project] = f"{moved[project].version} would give {first.check} " \
                                 f"({first.message})"
    result.held = _held(releases, targets, resolution, kept_back)
    result.errors = sorted(releases.errors)
    result.warnings = sorted(releases.warnings)
    if result.plan is None:
        return result
    plan = result.plan
    result.warnings += plan.warnings
    upgraded = {p for p in moved if p in releases.by_project}
    steps = cut_series(tree.declarations, plan.new, plan.writes, plan.removes, upgraded,
                       tree.settings, lambda ds: _problems(tree, ds))
    result.commits = _commits(tree, plan, steps, releases)
    result.moves = [m for c in result.commits for m in c.moves]
    return result


def _held(releases: Releases, targets: Sequence[NormalizedName], resolution: Resolution,
          kept_back: dict[NormalizedName, str]) -> list[Held]:
    """The targets the resolution keeps below their newest release, and why."""
    held = []
    for project in sorted(targets):
        newer = releases.newer(project) if releases.files(project) is not None else []
        now = resolution.chosen[project].version
        if not newer or now == newer[0]:
            continue
        reason = kept_back.get(project) or held_reason(
            releases, project, newer[0], resolution.needs.get(project, []), resolution.chosen)
        declared = releases.declared(project).version
        held.append(Held(project, declared, newer[0], reason, now if now != declared else None))
    return held


def _commits(tree: Tree, plan: Plan, steps: list[Step], releases: Releases) -> list[Commit]:
    old: dict[NormalizedName, list[Declaration]] = defaultdict(list)
    new: dict[NormalizedName, list[Declaration]] = defaultdict(list)
    for d in tree.declarations:
        if d.path in plan.removes or d.path in plan.writes:
            old[d.project].append(d)
    for d in plan.new:
        new[d.project].append(d)
    changelogs = {}
    for _path, info in sorted(plan.infos.items()):
        url = changelog_url(info.metadata)
        if url and info.project not in changelogs:
            changelogs[info.project] = url
    needed_by = defaultdict(list)
    for d in plan.new:
        for req in d.dependencies:
            needed_by[canonicalize_name(req.name)].append(f"{d.project} {d.version}")
    commits = []
    for step in steps:
        moves = []
        for project in step.projects:
            was = releases.declared(project).version if project in releases.by_project \
                else None
            now = new[project][0].version if new.get(project) else was
            why = "" if was is not None else "a dependency of " + ", ".join(
                sorted(set(needed_by[project])))
            assert now is not None
            moves.append(Move(project, was, now, why))
        moves.sort(key=lambda m: (m.old is None or m.old == m.new, m.project))
        message = commit_message(moves, old, new, changelogs)
        commits.append(Commit(moves, step, message))
    return commits


def step_plan(root: Path, step: Step) -> Plan:
    """The plan of one step, for :func:`~ipwhl_checks.curate.add.apply_plan`."""
    return Plan(root, writes=dict(step.writes), removes=set(step.removes))

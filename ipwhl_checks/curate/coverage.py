"""Which supported environments each project's wheels cover (partial platform coverage).

A project may have wheels for only some supported environments, as many projects on the
index do (``pywin32`` for Windows, ``uvloop`` for all but Windows, a release that requires
Python 3.12): an environment is covered when some declaration of the project installs
there (its tags match and its ``requires-python`` admits the environment's Python, as
pip decides, :meth:`~ipwhl_checks.repo.settings.Environment.installs`).  The dependency check
holds wherever a dependent installs (IW404 names an environment its dependency lacks);
this module only reports, for ``ipwhl coverage`` and the README.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from ..checks.deps import describe_environments
from ..repo.declaration import Declaration
from ..repo.settings import Environment, Settings

__all__ = ["Coverage", "project_coverage"]


@dataclass(frozen=True)
class Coverage:
    """One project: its versions, and the supported environments its wheels cover."""

    project: NormalizedName
    versions: tuple[Version, ...]  # newest first (one, in a singly versioned tree)
    covered: tuple[Environment, ...]
    environments: tuple[Environment, ...]  # every supported one, in the settings' order

    @property
    def complete(self) -> bool:
        return len(self.covered) == len(self.environments)

    @property
    def missing(self) -> tuple[Environment, ...]:
        return tuple(env for env in self.environments if env not in self.covered)

    def describe(self) -> str:
        """``every supported environment``, or ``12 of 20: {cp312,cp313}-win_amd64, ...;
        none for ...``, compactly (brace expansion, as the dependency check names them)."""
        if self.complete:
            return "every supported environment"
        if not self.covered:
            return "no supported environment"
        covered = describe_environments(self._mask(self.covered), self.environments)
        missing = describe_environments(self._mask(self.missing), self.environments)
        return (f"{len(self.covered)} of {len(self.environments)}: {covered}; "
                f"none for {missing}")

    def _mask(self, envs: Sequence[Environment]) -> int:
        return sum(1 << i for i, env in enumerate(self.environments) if env in envs)


def project_coverage(declarations: Sequence[Declaration],
                     settings: Settings) -> list[Coverage]:
    """The coverage of every project of *declarations*, sorted by name."""
    by_project: dict[NormalizedName, list[Declaration]] = defaultdict(list)
    for d in declarations:
        by_project[d.project].append(d)
    environments = tuple(settings.environments)
    found = []
    for project in sorted(by_project):
        group = by_project[project]
        covered = tuple(env for env in environments
                        if any(env.installs(d.tags, d.requires_python) for d in group))
        versions = tuple(sorted({d.version for d in group}, reverse=True))
        found.append(Coverage(project, versions, covered, environments))
    return found

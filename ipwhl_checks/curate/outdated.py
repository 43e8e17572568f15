"""Which projects are behind the index: the data behind ``ipwhl outdated``.

A project is outdated when the index has a newer release with wheels for every supported
environment (pip's choice exists on each, :func:`ipwhl_checks.curate.choose.choose_wheels`); a
project whose declarations cover only some environments (a Windows-only helper) needs
wheels for those.  Wheels over the repository's ``max-wheel-size`` do not count.  Yanked
files are ignored, and pre-releases too unless the declared
version is one.  ``ipwhl add NAME==LATEST`` then upgrades the project.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from ..errors import IpwhlError
from ..repo.declaration import Declaration
from ..repo.settings import Environment, Settings
from ..sources.fetch import Client
from ..util.progress import Progress
from .choose import choose_wheels, installable, within_limit

__all__ = ["Outdated", "find_outdated"]

@dataclass(frozen=True, order=True)
class Outdated:
    project: NormalizedName
    declared: Version
    latest: Version


def _covered(declarations: Sequence[Declaration], settings: Settings) -> list[Environment]:
    return [env for env in settings.environments
            if any(installable(env, d.tags, d.requires_python) is not None
                   for d in declarations)]


def _latest(client: Client, index_url: str, project: NormalizedName, declared: Version,
            envs: list[Environment], settings: Settings) -> Version | None:
    files = within_limit(client.index_files(index_url, project), settings)
    versions = sorted({f.wheel[1] for f in files if f.wheel is not None and not f.yanked
                       and (declared.is_prerelease or not f.wheel[1].is_prerelease)},
                      reverse=True)
    for version in versions:
        if version <= declared:
            return None
        if not choose_wheels(files, version, envs)[1]:
            return version
    return None


def find_outdated(declarations: Sequence[Declaration], settings: Settings, *, client: Client,
                  index_url: str) -> tuple[list[Outdated], list[str]]:
    """(the outdated projects, sorted; one ``project: error`` per page that could not be read)."""
    by_project: dict[NormalizedName, list[Declaration]] = defaultdict(list)
    for d in declarations:
        by_project[d.project].append(d)

    def one(project: NormalizedName) -> Outdated | str | None:
        group = by_project[project]
        declared = max(d.version for d in group)
        envs = _covered(group, settings) or list(settings.environments)
        try:
            latest = _latest(client, index_url, project, declared, envs, settings)
        except IpwhlError as e:
            return f"{project}: {e}"
        return Outdated(project, declared, latest) if latest is not None else None

    with Progress("reading", "index pages", done_verb="read") as client.progress:
        results = client.map(one, sorted(by_project))
    client.progress = None
    return (sorted(r for r in results if isinstance(r, Outdated)),
            [r for r in results if isinstance(r, str)])

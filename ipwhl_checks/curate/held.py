"""Why a project is held below its newest release: the blocker, named.

``ipwhl outdated`` and ``ipwhl upgrade`` say ``NAME OLD (NEW held: REASON)``, where REASON
is, first that applies:

* the release leaves out environments the project covers today: ``requires-python >=3.12
  leaves out Python 3.11`` (every file of the release says so), ``no wheel for
  {cp311,cp312}-macosx_14_0_x86_64`` (the environments left, in the dependency check's
  brace form);
* a dependent's requirement excludes it: ``botocore requires python-dateutil<3``;
* its own requirements cannot be met: ``it requires foo>=5 and the repository's foo is
  1.0``, ``it requires ghost>=1, which has no release with wheels where it is needed``;
* otherwise: ``no consistent set of releases holds it``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from packaging.utils import NormalizedName
from packaging.version import Version

from ..checks.deps import describe_environments
from .needs import Need
from .releases import Release, Releases

__all__ = ["dependents_reason", "held_reason", "own_reason", "wheel_reason"]


def wheel_reason(releases: Releases, project: NormalizedName, version: Version,
                 mask: int) -> str | None:
    """Why *version* does not install on every environment of *mask* (None: it does)."""
    release = releases.release(project, version)
    missing = mask & ~(release.mask if release else 0)
    if not missing:
        return None
    envs = releases.environments
    files = [f for f in releases.files(project) or []
             if f.wheel is not None and f.wheel[1] == version]
    files = [f for f in files if not f.yanked] or files
    specs = {f.requires_python for f in files}
    parts = []
    if files and None not in specs:
        pythons: dict[str, int] = defaultdict(int)
        for i, env in enumerate(envs):
            if missing >> i & 1:
                pythons[env.python] |= 1 << i
        left_out = []
        for python, bits in pythons.items():
            full = envs[bits.bit_length() - 1].markers["python_full_version"]
            if not any(s is not None and s.contains(full, prereleases=True) for s in specs):
                left_out.append(python)
                missing &= ~bits
        if left_out:
            said = " or ".join(sorted(str(s) for s in specs if s is not None))
            parts.append(f"requires-python {said} leaves out Python {', '.join(left_out)}")
    if missing:
        parts.append(f"no wheel for {describe_environments(missing, envs)}")
    return "; ".join(parts)


def dependents_reason(releases: Releases, release: Release, needs: Iterable[Need], *,
                      extras: bool = True) -> str | None:
    """The dependents' requirements among *needs* that *release* does not satisfy
    (without *extras*: whatever extras they ask for)."""
    blockers = sorted({str(n) for n in needs if n.by is not None
                       and not releases.satisfies(release, n, extras=extras)})
    return ", ".join(blockers) or None


def own_reason(releases: Releases, release: Release,
               chosen: Mapping[NormalizedName, Release]) -> str | None:
    """The first requirement of *release* that the *chosen* releases do not meet."""
    if not releases.usable(release):
        return "its metadata cannot be read"
    for need in sorted(releases.needs(release), key=lambda n: n.text):
        target = chosen.get(need.project)
        if target is None:
            return (f"it requires {need.text}, which has no release with wheels where it is "
                    "needed")
        if target.project != release.project and not releases.satisfies(target, need):
            return f"it requires {need.text} and the repository's {need.project} is " \
                   f"{target.version}"
    return None


def held_reason(releases: Releases, project: NormalizedName, version: Version,
                needs: Iterable[Need], chosen: Mapping[NormalizedName, Release] | None
                ) -> str:
    """Why *project* cannot be at *version*, given the *needs* on it (and the *chosen*
    releases of the others, when a resolution chose them; without, no METADATA is read)."""
    found = wheel_reason(releases, project, version, releases.covered(project))
    release = releases.release(project, version)
    if found is None and release is not None:
        found = dependents_reason(releases, release, needs, extras=chosen is not None)
        if found is None and chosen is not None:
            found = own_reason(releases, release, chosen)
    return found or "no consistent set of releases holds it"

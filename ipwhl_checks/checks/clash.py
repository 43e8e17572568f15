"""File clashes (IW507): two projects' wheels that install on one environment write one path.

Installers do not stop at a file another project installed: the second wheel overwrites
it, uninstalling either breaks the other, and what the user has depends on the order of
installation.  The check reads each wheel's RECORD
(:func:`ipwhl_checks.sources.record.installed_paths`: the places its files land) and
reports every pair of declarations of two projects that are installable on one supported
environment (tags and ``requires-python``) and share a path.  It needs the wheels:
``ipwhl check --online`` and ``ipwhl publish`` run it, each with its own way of getting a
wheel's file (downloaded and verified, or the cached copy publish verifies as it reads it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.version import Version

from ..errors import IpwhlError
from ..repo.declaration import Declaration, Problem
from ..repo.settings import Environment
from ..sources.record import installed_paths
from ..util.threads import block_signals

__all__ = ["CHECKS", "check_clashes", "find_clashes", "wheel_paths"]

_WORKERS = 4


def _iw507_file_clash(a: Declaration, b: Declaration, paths: Sequence[str],
                      witness: str) -> Problem:
    """IW507 file clash: two projects' wheels installable together write the same file.

    What: the RECORD files of two wheels of different projects, both installable on a
    supported environment (the witness in the message), list the same installed path
    (``site-packages/x/__init__.py``, ``scripts/tool``, ``data/share/...``).  Why: the
    second wheel installed overwrites the first one's file, uninstalling either breaks the
    other, and what a user gets depends on the order of installation; the repository
    promises that its projects install together.  Fix: keep one of the two projects (or a
    release of one that no longer ships the file), or give them tags or
    ``requires-python`` that keep them apart.
    """
    more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
    return Problem(str(a.path), f"writes {paths[0]!r}{more} as {str(b.path)!r} does, both "
                                f"installable on {witness}", "IW507")


CHECKS: dict[str, Callable[..., object]] = {"IW507": _iw507_file_clash}


def wheel_paths(declarations: Sequence[Declaration],
                wheel_file: Callable[[Declaration], Path | str | None]
                ) -> tuple[dict[Declaration, tuple[str, ...]], list[Problem]]:
    """The installed paths of each declaration's wheel (*wheel_file* gives the file, or
    None to leave it out), read a few at a time; a wheel that cannot be had or read is a
    problem (IW507's, naming it)."""
    def one(d: Declaration) -> tuple[str, ...] | Problem:
        try:
            path = wheel_file(d)
            return () if path is None else installed_paths(path, d.filename)
        except IpwhlError as e:
            return Problem(str(d.path), f"cannot read the files the wheel installs: {e}",
                           "IW507")
    found: dict[Declaration, tuple[str, ...]] = {}
    problems = []
    with ThreadPoolExecutor(_WORKERS, initializer=block_signals) as pool:
        for d, result in zip(declarations, pool.map(one, declarations), strict=True):
            if isinstance(result, Problem):
                problems.append(result)
            else:
                found[d] = result
    return found, problems


def _installable(d: Declaration, environment: Environment) -> bool:
    if environment.rank(d.tags) is None:
        return False
    major, minor = environment.python_version
    return d.requires_python is None or any(
        d.requires_python.contains(Version(f"{major}.{minor}.{patch}"), prereleases=True)
        for patch in (0, 99))


def find_clashes(paths: dict[Declaration, tuple[str, ...]],
                 environments: Iterable[Environment],
                 only: Collection[Declaration] | None = None) -> list[Problem]:
    """One IW507 problem per pair of declarations of two projects that install on one of
    *environments* and share installed paths (*paths*: :func:`wheel_paths`), reported on
    the pair's first path (sorted) and naming the shared paths and the environment; with
    *only*, the pairs that hold one of those declarations."""
    writers: dict[str, list[Declaration]] = defaultdict(list)
    for d, installed in paths.items():
        for path in installed:
            writers[path].append(d)
    shared: dict[tuple[Declaration, Declaration], list[str]] = defaultdict(list)
    for path, ds in writers.items():
        if len({d.project for d in ds}) < 2:
            continue
        ordered = sorted(ds, key=lambda d: str(d.path))
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                if a.project != b.project:
                    shared[a, b].append(path)
    envs = list(environments)
    problems = []
    for (a, b), where in sorted(shared.items(), key=lambda kv: (str(kv[0][0].path),
                                                                  str(kv[0][1].path))):
        witness = next((e.name for e in envs if _installable(a, e) and _installable(b, e)),
                       None)
        if only is not None and a not in only and b not in only:
            continue
        if witness is not None:
            problems.append(_iw507_file_clash(a, b, sorted(where), witness))
    return problems


def check_clashes(declarations: Sequence[Declaration], environments: Iterable[Environment],
                  wheel_file: Callable[[Declaration], Path | str | None],
                  only: Collection[Declaration] | None = None) -> list[Problem]:
    """Every IW507 problem of *declarations* (see :func:`find_clashes`), sorted, with the
    wheels that could not be read."""
    paths, problems = wheel_paths(declarations, wheel_file)
    if only is not None:
        problems = [p for p in problems if p.path in {str(d.path) for d in only}]
    return sorted([*problems, *find_clashes(paths, environments, only)])

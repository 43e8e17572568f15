"""Why a project is not in the repository, from the index: the data of ``ipwhl coverage --top``.

A yardstick (a list of project names, the most used first: ``docs/most-downloaded.txt``)
says which projects users expect; for each of its first names that the tree lacks, the
index is asked why it cannot enter, in this order:

1. the index does not have it;
2. no release has a wheel (only sdists);
3. the newest release (final, unless there are only pre-releases) has wheels only over the
   repository's ``max-wheel-size``, or none for a supported environment (its
   ``requires-python`` or its tags exclude them all);
4. a requirement of its wheel (pip's choice with the fewest bytes, read from the cache or
   downloaded) that applies on an environment it covers cannot be met: the tree has the
   project at a version the requirement excludes, or the index has no release of it that
   satisfies the requirement with a wheel within the size limit;
   a wheel that is not valid (its ``WHEEL`` tags differ from its name...) says so;
5. its wheels would install together on one machine (IW301);
6. else the curator's note for it (``--notes``: ``name = "why"`` lines of a TOML file), or
   none: ``ipwhl add --recursive NAME`` may add it.

Names are never written with the index's address: a reason names projects, versions and
files only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from ..checks.overlap import find_collisions
from ..errors import IpwhlError, WheelError
from ..repo.declaration import Declaration
from ..repo.settings import Environment, Settings, format_size
from ..repo.source import index_source
from ..sources.fetch import Client, download_wheel
from ..sources.simple_index import IndexFile, NoSuchProject
from ..sources.wheel import read_wheel
from ..util import toml
from ..util.progress import Progress
from .choose import choose_wheels, within_limit

__all__ = ["Absent", "MissingError", "find_absent", "read_notes", "read_yardstick"]

class MissingError(IpwhlError):
    """A yardstick or notes file that cannot be read."""


@dataclass(frozen=True)
class Absent:
    """One project of the yardstick that the tree lacks, and why (empty: no reason found)."""

    rank: int  # 1 for the first name of the yardstick
    name: str  # as the yardstick spells it
    reason: str


def read_yardstick(path: Path) -> list[str]:
    """The project names of a yardstick file: one a line, ``#`` comments and blank lines
    left out."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise MissingError(f"cannot read the list {str(path)!r} ({e})") from e
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def read_notes(path: Path) -> dict[NormalizedName, str]:
    """The curator's notes: ``name = "why it is left out"`` lines of a TOML file."""
    try:
        data = toml.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, toml.TomlError) as e:
        raise MissingError(f"cannot read the notes {str(path)!r} ({e})") from e
    bad = [key for key, value in data.items() if not isinstance(value, str) or not value]
    if bad:
        raise MissingError(f"{path}: note {bad[0]!r} is not a non-empty string")
    return {canonicalize_name(key): value for key, value in data.items()}


def _newest(files: Sequence[IndexFile]) -> Version | None:
    versions = {f.wheel[1] for f in files if f.wheel is not None and not f.yanked}
    finals = [v for v in versions if not v.is_prerelease]
    return max(finals or versions, default=None)


def _applies(req: Requirement, envs: Sequence[Environment]) -> bool:
    if req.marker is None:
        return True
    try:
        return any(req.marker.evaluate({**env.markers, "extra": ""}) for env in envs)
    except (UndefinedComparison, UndefinedEnvironmentName):
        return False


class _Reasons:
    def __init__(self, declarations: Sequence[Declaration], settings: Settings, *,
                 client: Client, index_url: str) -> None:
        self.settings, self.client, self.index_url = settings, client, index_url
        self.versions: dict[str, set[Version]] = {}
        for d in declarations:
            self.versions.setdefault(d.project, set()).add(d.version)

    def files(self, project: str) -> list[IndexFile] | None:
        """The project's files on the index; None when the index does not have it."""
        try:
            return self.client.index_files(self.index_url, project)
        except NoSuchProject:  # HTTP 404 or 410
            return None

    def why(self, project: NormalizedName) -> str:
        files = self.files(project)
        if files is None:
            return "not on the index"
        newest = _newest(files)
        if newest is None:
            return "no wheel: the index has only sdists" if files else "no files on the index"
        envs = self.settings.environments
        chosen, _missing = choose_wheels(within_limit(files, self.settings), newest, envs)
        if not chosen:
            return self._no_wheel(files, newest)
        return (self._requirements(project, files, newest, chosen)
                or self._overlap(files, newest, chosen))

    def _no_wheel(self, files: Sequence[IndexFile], version: Version) -> str:
        envs = self.settings.environments
        large = choose_wheels(files, version, envs)[0]
        if large and self.settings.max_wheel_size is not None:
            sizes = sorted(f.size or 0 for f in files if f.filename in large)
            span = format_size(sizes[0]) if len(sizes) == 1 or sizes[0] == sizes[-1] \
                else f"{format_size(sizes[0])} to {format_size(sizes[-1])}"
            return (f"only wheels over the size limit: {version}'s wheels for the supported "
                    f"environments are {span} (max-wheel-size "
                    f"{format_size(self.settings.max_wheel_size)})")
        wheels = [f for f in files if f.wheel is not None and f.wheel[1] == version]
        pythons = [env.markers["python_full_version"] for env in envs]
        specs = {str(f.requires_python): f.requires_python for f in wheels}
        if all(s is not None and not any(s.contains(p, prereleases=True) for p in pythons)
               for s in specs.values()):
            return (f"{version} requires Python {' or '.join(sorted(specs))} (the repository "
                    f"supports {', '.join(self.settings.pythons)})")
        tags = sorted({"-".join(f.filename[:-4].split("-")[-3:]) for f in wheels})
        more = f" and {len(tags) - 3} more" if len(tags) > 3 else ""
        return (f"{version} has no wheel for a supported environment (its wheels: "
                f"{', '.join(tags[:3])}{more})")

    def _requirements(self, project: NormalizedName, files: Sequence[IndexFile],
                      version: Version, chosen: Mapping[str, Sequence[Environment]]) -> str:
        sizes = {f.filename: f.size or 0 for f in files}
        filename = min(chosen, key=lambda name: (sizes[name], name))
        entry = download_wheel(index_source(project, filename), self.settings,
                               index_url=self.index_url, client=self.client)
        try:
            info = read_wheel(entry.path, filename)
        except WheelError as e:
            return f"{version}'s wheel is not a valid wheel: {e}"
        covered = [env for envs in chosen.values() for env in envs]
        for req in info.dependencies:
            if not _applies(req, covered):
                continue
            name = canonicalize_name(req.name)
            have = self.versions.get(name)
            if have is not None:
                if not any(req.specifier.contains(v, prereleases=True) for v in have):
                    versions = ", ".join(str(v) for v in sorted(have))
                    return (f"a conflict: {version} requires {str(req)!r} but the repository "
                            f"has {name} {versions}")
            elif not self._satisfiable(name, req.specifier):
                return (f"{version} requires {str(req)!r}, and the index has no release of "
                        f"{name} with wheels within the size limit that satisfies it")
        return ""

    def _satisfiable(self, project: NormalizedName, spec: SpecifierSet) -> bool:
        files = self.files(project)
        if not files:
            return False
        accepted = within_limit(files, self.settings)
        versions = {f.wheel[1] for f in accepted if f.wheel is not None and not f.yanked}
        return any(choose_wheels(accepted, v, self.settings.environments)[0]
                   for v in spec.filter(sorted(versions, reverse=True)))

    def _overlap(self, files: Sequence[IndexFile], version: Version,
                 chosen: Mapping[str, Sequence[Environment]]) -> str:
        by_name = {f.filename: f for f in files}
        pseudo = []
        for filename in sorted(chosen):
            f = by_name[filename]
            assert f.wheel is not None
            name, v, tags = f.wheel
            pseudo.append(Declaration(
                path=Path(filename), filename=filename, project=name, version=v, tags=tags,
                source="", content_id="", requires_python=f.requires_python, extras=(),
                dependencies=()))
        found = find_collisions(pseudo, pythons=self.settings.pythons)
        if found:
            return (f"{version}'s wheels would install together on one machine (IW301): "
                    f"{found[0].path} {found[0].message}")
        return ""


def find_absent(names: Sequence[str], declarations: Sequence[Declaration],
                settings: Settings, *, client: Client, index_url: str,
                notes: Mapping[NormalizedName, str] | None = None) -> list[Absent]:
    """The names of *names* whose project *declarations* lack, in order, each with why
    (the index read on the client's threads, shown on one progress line)."""
    have = {d.project for d in declarations}
    absent = [(rank, name) for rank, name in enumerate(names, 1)
              if canonicalize_name(name) not in have]
    reasons = _Reasons(declarations, settings, client=client, index_url=index_url)
    notes = notes or {}

    def one(item: tuple[int, str]) -> Absent:
        rank, name = item
        project = canonicalize_name(name)
        return Absent(rank, name, reasons.why(project) or notes.get(project, ""))

    with Progress("reading", "projects", done_verb="read") as client.progress:
        found = client.map(one, absent, name=lambda item: item[1])
    client.progress = None
    return found

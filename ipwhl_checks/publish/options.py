"""What a publish is asked to do (:class:`PublishOptions`) and what it is about to write
(:class:`Staged`): the data the builder (:mod:`.build`) and its outputs (:mod:`.outputs`)
share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..repo.declaration import Declaration
from .browse import Baseline
from .manifest import ProjectEntry
from .previous import Previous

__all__ = ["PublishOptions", "Staged"]


@dataclass(frozen=True)
class PublishOptions:
    """Where the outputs go and how wheels are fetched."""

    out: Path | None = None  # write the tree to this directory
    car: Path | None = None  # write the DAG (a delta with `previous`) to this CAR
    previous: Previous | None = None  # the previous release's manifest
    index_url: str | None = None
    allow_file: bool = False
    source_commit: str | None = None
    # the tree on disk is source_commit's, untracked and ignored files included (what
    # source_commit() checks): git then lists the changes since --previous's commit
    # without walking the tree again
    clean: bool = False
    # the site (ipwhl_checks.publish.browse): the previous release's _browse/site.json
    # (with `previous`, its unchanged pages are linked by CID; without it the whole site
    # is made again, from each reused project's METADATA read from the cached wheel), and
    # the data tree the changes page compares with (without one there is no changes page).
    # The pages show the integration results among `extra` (/integration/<env>.json)
    previous_site: bytes | None = None
    changes_since: Baseline | None = None
    # (CID, cumulative size): link /_browse/ by its CID instead of making it (``ipwhl
    # verify`` of a release whose integration results it knows by their CIDs alone: the
    # pages show them, so they cannot be made without their bytes)
    site: tuple[str, int] | None = None
    jobs: int | None = None  # downloads at once (None: the client's default)
    # called once every wheel read is in the cache and before anything is written (see
    # Staged); raising PublishError stops the publish (``ipwhl publish``: the file-clash
    # check, IW507; ``ipwhl release``: the integration results are this manifest's)
    before_commit: Callable[[Staged], None] | None = None
    # files added beside the projects, ``"<directory>/<name>"`` -> their bytes, or (CID,
    # cumulative size) to link a file known only by its CID (``ipwhl verify``): the
    # integration results of a release (``/integration/<environment>.json``)
    extra: Mapping[str, bytes | tuple[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Staged:
    """A publish about to be written: the declarations of the projects built, the previous
    release's entries of the projects reused from it, and the new manifest's CID."""

    built: list[Declaration]
    reused: list[ProjectEntry]
    manifest_cid: str

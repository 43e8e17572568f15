"""The previous release's manifest, as the next publish uses it.

``ipwhl publish --previous MANIFEST`` links every project whose declarations did not
change by its directory's CID and cumulative size, and writes its line into the next
manifest as it was.  The manifest is read and checked in full by the one reader,
:meth:`~ipwhl_checks.publish.manifest.Reader.lines` (a line copied into the next manifest
is checked like every other, so an invalid one stops the publish); what is kept here is
what the next publish needs of it: each project's link, digest and line
(:class:`PriorProject`), a project's entry when it changed (:meth:`Previous.entry`),
whether a block is already published (:meth:`Previous.holds`, for a delta CAR), and the
lines of the next manifest (:class:`ManifestLines`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .manifest import (
    FileEntry,
    ProjectEntry,
    ProjectLine,
    cid_named,
    cids_named,
    parse_project,
    read_lines,
    read_manifest_file,
)

__all__ = ["ManifestLines", "Previous", "PriorProject", "load_previous", "read_previous"]

# A project of the previous release: its directory's link, its declarations digest and
# its line of the manifest, as the reader gives them.
PriorProject = ProjectLine


@dataclass
class Previous:
    """The previous release's manifest, checked (see the module docstring)."""

    where: str  # names the file in error messages
    data: bytes  # the manifest's bytes
    profile: str
    layout: str
    source_commit: str | None
    index: FileEntry
    wheels: int  # totals
    total_bytes: int
    projects: dict[str, PriorProject]  # by name, in name order
    text: bytes  # the manifest in the canonical layout (data, if it is in it)
    # holds(): how many lookups searched text, then every CID it names
    _searches: int = field(default=0, init=False, repr=False, compare=False)
    _cids: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    def entry(self, name: str) -> ProjectEntry | None:
        """The project *name*'s entry (None if there is none)."""
        prior = self.projects.get(name)
        return None if prior is None else parse_project(name, prior.text, self.where)

    def holds(self, cid: str) -> bool:
        """Whether the previous release links a file or directory with CID *cid* (the
        root page, a project directory, a page, a wheel or a metadata file).

        A few lookups (a small change) search the manifest; after that, its CIDs are
        collected once and looked up in a set."""
        if self._cids is None:
            if self._searches < 16:
                self._searches += 1
                return cid_named(self.text, cid)
            self._cids = cids_named(self.text)
        return cid in self._cids


def read_previous(data: bytes, where: str = "manifest.json") -> Previous:
    """Read a previous release's manifest (its bytes, *where* naming it in errors)."""
    lines = read_lines(data, where)
    h = lines.header
    return Previous(where=where, data=data, profile=h.profile, layout=h.layout,
                    source_commit=h.source_commit, index=h.index, wheels=h.totals[1],
                    total_bytes=h.totals[2], projects=lines.projects, text=lines.text)


def load_previous(path: Path) -> Previous:
    """Read the manifest file at *path* (a previous release's ``manifest.json``)."""
    return read_previous(read_manifest_file(path), str(path))


class ManifestLines:
    """The projects' lines of the next manifest, in name order, for
    :func:`~ipwhl_checks.publish.manifest.render_manifest`: a changed project's new line, or a run
    of consecutive lines of the previous manifest kept as one view of its bytes (10,000
    reused lines are then copied once, not one by one)."""

    def __init__(self) -> None:
        self.count = 0
        self._pieces: list[str | memoryview] = []
        self._run: tuple[bytes, int, int] | None = None  # source, start, end

    def add(self, line: str) -> None:
        """A new line (:func:`~ipwhl_checks.publish.manifest.project_line`)."""
        self._close()
        self._pieces.append(line)
        self.count += 1

    def reuse(self, prior: PriorProject) -> None:
        """The previous manifest's line of *prior*, as it is."""
        run = self._run
        if run is not None and prior.source is run[0] and prior.start == run[2] + 2:
            self._run = (run[0], run[1], prior.end)  # the next line, after ",\n"
        else:
            self._close()
            self._run = (prior.source, prior.start, prior.end)
        self.count += 1

    def pieces(self) -> list[str | memoryview]:
        self._close()
        return self._pieces

    def _close(self) -> None:
        if self._run is not None:
            source, start, end = self._run
            self._pieces.append(memoryview(source)[start:end])
            self._run = None

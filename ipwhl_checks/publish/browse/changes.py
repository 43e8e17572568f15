"""The changes page: projects added, removed, upgraded since a previous release.

A release is compared with the data tree of the previous release's commit (its
``source-commit``), read from git's objects: the *baseline*.  Only the declarations' file
names are read (each names a wheel, so its project and version), so the page is a function
of the two data trees alone: a full publish given the same baseline commit writes the same
page as the incremental one (``ipwhl verify`` reads the commit from the tag's
``changes-since`` line), and without a baseline there is no changes page.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from ...repo.layout import prefix
from ..committed import CommittedTree
from .html import document, e, link, page_path

__all__ = ["Baseline", "Change", "Current", "changes_page", "current", "diff", "summary"]


@dataclass(frozen=True)
class Current:
    """What the changes page compares of one project: its newest version, how many wheels
    it has, and a digest of their file names."""

    version: str
    wheels: int
    files: str


def current(filenames: Iterable[str], newest: str | None = None) -> Current:
    """The :class:`Current` of a project whose wheels are *filenames*; *newest*: their
    newest version, when known (as the manifest writes versions: ``str(Version(...))``)."""
    names = sorted(set(filenames))
    if newest is None:
        versions = []
        for filename in names:
            try:
                versions.append(parse_wheel_filename(filename)[1])
            except (InvalidWheelFilename, InvalidVersion):
                continue
        newest = str(max(versions)) if versions else ""
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    return Current(newest, len(names), digest)


@dataclass(frozen=True)
class Baseline:
    """The data tree a release is compared with: a commit's (*tree*)."""

    tree: CommittedTree

    @property
    def commit(self) -> str:
        return self.tree.commit

    def current(self, names: Sequence[str] | None = None) -> dict[str, Current]:
        """The :class:`Current` of the projects *names* (default: all) that the baseline
        has: the wheels its ``<prefix>/<project>/<wheel>.toml`` files name."""
        if names is not None and not names:
            return {}
        listed = self.tree.files(None if names is None else [(prefix(n), n) for n in names])
        wheels: dict[str, list[str]] = defaultdict(list)
        for parts in listed:
            if len(parts) == 3 and parts[2].endswith(".toml"):
                wheels[parts[1]].append(parts[2].removesuffix(".toml") + ".whl")
        return {name: current(found) for name, found in sorted(wheels.items())}


@dataclass(frozen=True)
class Change:
    """One project that is not as it was: ``added``, ``removed``, ``upgraded``,
    ``downgraded`` or ``rebuilt`` (the same newest version, other wheels)."""

    name: str
    kind: str
    old: Current | None
    new: Current | None


def _order(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def diff(before: Mapping[str, Current], now: Mapping[str, Current]) -> list[Change]:
    """The changes from the projects *before* to the projects *now*, by name."""
    changes = []
    for name in sorted(before.keys() | now.keys()):
        old, new = before.get(name), now.get(name)
        if old == new:
            continue
        if old is None or new is None:
            changes.append(Change(name, "added" if old is None else "removed", old, new))
            continue
        a, b = _order(old.version), _order(new.version)
        if a is not None and b is not None and a != b:
            changes.append(Change(name, "upgraded" if b > a else "downgraded", old, new))
        elif old.version != new.version:
            changes.append(Change(name, "upgraded", old, new))
        else:
            changes.append(Change(name, "rebuilt", old, new))
    return changes


_SECTIONS = (("added", "Added"), ("upgraded", "Upgraded"), ("downgraded", "Downgraded"),
             ("rebuilt", "Other wheels, same version"), ("removed", "Removed"))


def summary(changes: Sequence[Change]) -> str:
    """One line: ``2 added, 1 upgraded`` (``no project changed`` when there is none)."""
    counts = [(sum(c.kind == kind for c in changes), kind) for kind, _ in _SECTIONS]
    said = [f"{n} {'other wheels' if kind == 'rebuilt' else kind}" for n, kind in counts if n]
    return ", ".join(said) if said else "no project changed"


def _row(c: Change) -> str:
    name = e(c.name) if c.new is None else link(page_path(c.name), c.name)
    old = f"{e(c.old.version)} <small>({c.old.wheels} wheels)</small>" if c.old else ""
    new = f"{e(c.new.version)} <small>({c.new.wheels} wheels)</small>" if c.new else ""
    return f'<tr data-change="{e(c.kind)}"><td>{name}</td><td>{old}</td><td>{new}</td></tr>'


def changes_page(commit: str, changes: Sequence[Change]) -> bytes:
    """``_browse/changes.html``."""
    parts = [f"<h1>Changes</h1>\n<p>Since the data tree of commit <code>{e(commit)}"
             f"</code> (the previous release): {e(summary(changes))}.</p>\n"]
    for kind, title in _SECTIONS:
        rows = [_row(c) for c in changes if c.kind == kind]
        if rows:
            parts.append(f'<section id="{kind}"><h2>{title} ({len(rows)})</h2>\n'
                         '<div class="scroll"><table class="list"><thead><tr><th>Project</th>'
                         "<th>Before</th><th>Now</th></tr></thead>\n"
                         f"<tbody>{''.join(rows)}</tbody></table></div></section>\n")
    return document(title="Changes \u00b7 IPWHL", depth=0, main="".join(parts))

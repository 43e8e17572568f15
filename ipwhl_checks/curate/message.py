"""The commit message of one upgrade step, as a reviewer reads it on the mailing list.

The title is ``NAME: OLD -> NEW``; for a set that moves together, the titles joined with
``, `` when that fits in 72 characters, else ``NAME and N more: upgrade together`` with
each ``NAME: OLD -> NEW`` line in the body.  The body lists the wheels added and removed,
each project's dependency changes (requirements added and removed, as declared) and
``requires-python`` changes, the projects new to the repository and what needs them,
and each project's changelog URL from its METADATA (``Project-URL`` labelled Changelog,
Changes, Release notes or History, compared as PEP 753 normalizes labels).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.utils import NormalizedName
from packaging.version import Version

from ..repo.declaration import Declaration

__all__ = ["Move", "changelog_url", "commit_message"]

_TITLE = 72
_CHANGELOG_LABELS = ("changelog", "changes", "releasenotes", "history")
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f<>\"]{1,400}")


@dataclass(frozen=True)
class Move:
    """A project's move: *old* None when it is new to the repository (*why*: what needs
    it), *old* == *new* when only its extras change."""

    project: NormalizedName
    old: Version | None
    new: Version
    why: str = ""

    @property
    def title(self) -> str:
        if self.old is None:
            return f"{self.project}: new at {self.new}"
        if self.old == self.new:
            return f"{self.project}: declare the extras asked of it"
        return f"{self.project}: {self.old} -> {self.new}"


def _label(label: str) -> str:
    """PEP 753: a label lowercased, without punctuation and whitespace."""
    drop = str.maketrans("", "", string.punctuation + string.whitespace)
    return label.translate(drop).lower()


def changelog_url(metadata: bytes) -> str | None:
    """The changelog URL a METADATA names (``Project-URL: Changelog, https://...``), or
    None; only an http(s) URL without spaces or control characters counts."""
    try:
        raw, _unparsed = parse_email(metadata)
    except ValueError:
        return None
    urls = raw.get("project_urls") or {}
    for wanted in _CHANGELOG_LABELS:
        for label, url in urls.items():
            if _label(label) == wanted and _URL.fullmatch(url.strip()):
                return url.strip()
    return None


def _requirements(decls: Sequence[Declaration]) -> dict[str, None]:
    return dict.fromkeys(str(r) for d in decls for r in d.dependencies)


def _python(decls: Sequence[Declaration]) -> str:
    said = sorted({str(d.requires_python) if d.requires_python else "any" for d in decls})
    return " / ".join(said) or "any"


def _title(moves: Sequence[Move]) -> tuple[str, list[str]]:
    """The title, and the lines the body starts with."""
    main = [m for m in moves if m.old is not None and m.old != m.new] or list(moves)
    joined = ", ".join(m.title for m in main)
    if len(main) == 1 or len(joined) <= _TITLE:
        return joined, []
    return f"{main[0].project} and {len(main) - 1} more: upgrade together", \
        [m.title for m in main]


def commit_message(moves: Sequence[Move], old: Mapping[NormalizedName, list[Declaration]],
                   new: Mapping[NormalizedName, list[Declaration]],
                   changelogs: Mapping[NormalizedName, str]) -> str:
    """The message of a step moving *moves* from the declarations *old* to *new* (by
    project); *changelogs*: each project's changelog URL, when it has one."""
    title, lines = _title(moves)
    sections: list[list[str]] = [lines] if lines else []
    projects = [m.project for m in moves]
    added = sorted(d.filename for p in projects for d in new.get(p, []))
    removed = sorted(d.filename for p in projects for d in old.get(p, []))
    gone, came = [f for f in removed if f not in added], [f for f in added if f not in removed]
    if came:
        sections.append(["Wheels added:", *(f"    {f}" for f in came)])
    if gone:
        sections.append(["Wheels removed:", *(f"    {f}" for f in gone)])
    for m in moves:
        if m.old is None:
            continue
        before, after = _requirements(old.get(m.project, [])), _requirements(
            new.get(m.project, []))
        changes = [f"    + {r}" for r in after if r not in before]
        changes += [f"    - {r}" for r in before if r not in after]
        if changes:
            sections.append([f"Dependencies of {m.project}:", *changes])
        was, now = _python(old.get(m.project, [])), _python(new.get(m.project, []))
        if was != now:
            sections.append([f"requires-python of {m.project}: {was} -> {now}"])
    fresh = [f"    {m.project} {m.new}{f' ({m.why})' if m.why else ''}"
             for m in moves if m.old is None]
    if fresh:
        sections.append(["New to the repository:", *fresh])
    links = [f"    {m.project}: {changelogs[m.project]}" for m in moves
             if m.project in changelogs and m.old != m.new]
    if links:
        sections.append(["Changelog:", *links])
    body = "\n\n".join("\n".join(s) for s in sections)
    return f"{title}\n\n{body}\n" if body else f"{title}\n"

"""The PEP 503 "simple" HTML pages of the published tree.

``/index.html`` links every project (``<a href="name/">name</a>``); ``/<project>/index.html``
links every wheel of the project with:

- ``#sha256=<hex>`` (PEP 503: the URL fragment names the file's hash);
- ``data-requires-python`` (PEP 503, HTML-escaped: ``&gt;=3.8``);
- ``data-dist-info-metadata`` and ``data-core-metadata`` = ``sha256=<hex of the .metadata
  file>`` (PEP 658, renamed by PEP 714, which asks repositories to emit both), announcing the
  ``<wheel file>.metadata`` file served beside the wheel, so pip resolves without
  downloading wheels.

The pages are pure functions of their arguments: sorted input gives byte-identical pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

__all__ = ["WheelLink", "project_page", "root_page"]

# PEP 629: the repository version of the simple API these pages follow.
_HEAD = ('<!DOCTYPE html>\n<html>\n  <head>\n'
         '    <meta name="pypi:repository-version" content="1.0">\n'
         '    <title>{title}</title>\n  </head>\n  <body>\n    <h1>{title}</h1>\n')
_TAIL = "  </body>\n</html>\n"


@dataclass(frozen=True)
class WheelLink:
    """What a project page says about one wheel."""

    filename: str
    sha256: str
    requires_python: str | None
    metadata_sha256: str


def root_page(projects: Iterable[str], search: str | None = None) -> bytes:
    """``/index.html``: one link per (normalized) project name, in the given order.

    *search*: the path of a page to search the projects on, offered by a form before the
    links (a form is no anchor: an index client, which reads the ``<a>`` elements, never
    sees it, and the page stays PEP 503's one link per project)."""
    lines = [_HEAD.format(title="Simple index")]
    if search is not None:
        lines.append(f'    <form action="{escape(quote(search))}" method="get">'
                     '<input type="search" name="q" aria-label="Search projects"> '
                     "<button>Browse and search</button></form>\n")
    for name in projects:
        lines.append(f'    <a href="{escape(quote(name))}/">{escape(name)}</a><br>\n')
    lines.append(_TAIL)
    return "".join(lines).encode()


def project_page(project: str, wheels: Iterable[WheelLink]) -> bytes:
    """``/<project>/index.html``: one link per wheel, in the given order."""
    lines = [_HEAD.format(title=f"Links for {escape(project)}")]
    for w in wheels:
        href = f"{quote(w.filename)}#sha256={w.sha256}"
        attrs = [f'href="{escape(href)}"']
        if w.requires_python:
            # PEP 503: data-requires-python holds the specifier, HTML-escaped ('<' -> '&lt;').
            attrs.append(f'data-requires-python="{escape(w.requires_python)}"')
        # PEP 658 / PEP 714: the hash of the .metadata file, under both attribute names.
        attrs.append(f'data-dist-info-metadata="sha256={w.metadata_sha256}"')
        attrs.append(f'data-core-metadata="sha256={w.metadata_sha256}"')
        lines.append(f'    <a {" ".join(attrs)}>{escape(w.filename)}</a><br>\n')
    lines.append(_TAIL)
    return "".join(lines).encode()

"""The frame every page of the site shares, and the small HTML helpers the pages use.

Every link is relative (the site works under any ``/ipfs/<cid>/`` prefix, on any gateway,
and from an ``--out`` directory opened as files), and names a file, never a directory (a
browser shows a directory of files as a listing, not its ``index.html``).  Pages depend
only on their arguments: no time, no host, no randomness.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from ...repo.layout import prefix

__all__ = ["ASSETS", "PAGES", "SITE_DIR", "document", "e", "human_bytes", "link", "number",
           "page_path", "url"]

SITE_DIR = "_browse"  # in the published tree's root; never a project: no normalized name has "_"
PAGES = "p"
# the files every page loads, beside the front page
ASSETS = ("site.css", "site.js")


def page_path(name: str) -> str:
    """A project page's path under ``_browse/``: ``p/<prefix>/<name>.html``, the prefix
    directory as in the data tree (:func:`~ipwhl_checks.repo.layout.prefix`)."""
    return f"{PAGES}/{prefix(name)}/{name}.html"


def e(text: object) -> str:
    """*text* escaped for HTML text and attribute values."""
    return escape(str(text), quote=True)


def url(path: str) -> str:
    """A relative URL for a path of the tree (each part percent-encoded), escaped for an
    attribute."""
    return e(quote(path, safe="/#"))


def link(path: str, text: str, cls: str = "") -> str:
    attr = f' class="{e(cls)}"' if cls else ""
    return f'<a href="{url(path)}"{attr}>{e(text)}</a>'


def number(n: int) -> str:
    return f"{n:,}"


def human_bytes(n: int) -> str:
    """Decimal units, as a download size is usually given: ``3.46 GB``."""
    if n < 1000:
        return f"{n:,} bytes"
    size = float(n)
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 1000 or unit == "TB":
            break
    return f"{size:.3g} {unit}" if size < 1000 else f"{size:,.0f} {unit}"


def document(*, title: str, depth: int, main: str, description: str = "") -> bytes:
    """A whole page: *main* inside the site's header and footer.  *depth*: how far the page
    is below ``_browse/`` (0 for the front page, 1 for a project page)."""
    up = "../" * depth
    meta = f'\n<meta name="description" content="{e(description)}">' if description else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta}\n<title>{e(title)}</title>\n"
        f'<link rel="stylesheet" href="{up}site.css">\n'
        f'<script src="{up}site.js" defer></script>\n'
        f'</head>\n<body data-root="{up}../">\n'
        '<header class="top"><div class="bar">\n'
        f'<a class="brand" href="{up}index.html"><span class="logo" aria-hidden="true">'
        "</span>IPWHL</a>\n"
        f'<form class="find" action="{up}index.html" method="get" role="search">'
        '<input type="search" name="q" placeholder="Search projects" '
        'aria-label="Search projects"></form>\n'
        f'<nav><a href="{up}projects.html">All projects</a>'
        f'<a href="{up}../index.html">Simple index</a></nav>\n'
        "</div></header>\n"
        f'<main>\n{main}</main>\n'
        '<footer><p>A static site inside the published tree: every page works without '
        "a server, from any IPFS gateway. The PEP 503 index pip reads is "
        f'<a href="{up}../index.html">the simple index</a>.</p></footer>\n'
        "</body>\n</html>\n"
    ).encode()

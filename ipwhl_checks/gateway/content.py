"""What a resolved path yields: a file's bytes (any range), a directory listing, a tar.

Everything here is a generator that reads one block at a time through the verifying
store, so a response never holds more than one block in memory, and a block's bytes are
yielded only after it matched its CID.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterator
from urllib.parse import quote

from ..errors import UnixFSError
from ..ipld.cid import cid_text
from ..ipld.dagpb import DataType, PBNode
from .paths import entries, load_node
from .store import BlockStore

__all__ = ["LISTING_VERSION", "file_size", "iter_file", "iter_listing", "listing_etag",
           "url_path"]

_SAFE = "$&+,:;=@"  # what Go's url.PathEscape leaves as it is, besides unreserved


def file_size(store: BlockStore, cid: bytes, node: PBNode | None) -> int:
    """The byte length of the file *cid* (UnixFS ``filesize``, or the raw block's length)."""
    if node is None:
        return store.size(cid)
    if node.type not in (DataType.FILE, DataType.RAW):
        raise UnixFSError(f"{cid_text(cid)} is not a file (UnixFS type {node.type})")
    if node.filesize is not None:
        return node.filesize
    return len(node.data) + sum(node.blocksizes)


def iter_file(store: BlockStore, cid: bytes, node: PBNode | None,
              start: int, end: int, _depth: int = 0) -> Iterator[memoryview]:
    """Bytes ``[start, end)`` of the file *cid*, walking only the blocks that overlap them.

    UnixFS spec: a File node's content is its own ``Data`` followed by its children in
    link order; ``blocksizes[i]`` is the file length under link i, so whole subtrees
    outside the range are skipped without being read.
    """
    if node is None:
        data = memoryview(store.get(cid))
        if start < len(data):
            yield data[start:min(end, len(data))]
        return
    if node.type not in (DataType.FILE, DataType.RAW):
        raise UnixFSError(f"{cid_text(cid)} is not a file (UnixFS type {node.type})")
    if len(node.blocksizes) != len(node.links):
        raise UnixFSError(f"{cid_text(cid)}: {len(node.links)} links but "
                          f"{len(node.blocksizes)} blocksizes")
    if _depth > 64:
        raise UnixFSError(f"{cid_text(cid)}: a file more than 64 levels deep")
    inline = memoryview(node.data)
    if start < len(inline) and end > 0:
        yield inline[start:min(end, len(inline))]
    pos = len(inline)
    for link, size in zip(node.links, node.blocksizes, strict=True):
        if pos >= end:
            break
        if pos + size > start:
            child = load_node(store, link.cid)
            yield from iter_file(store, link.cid, child, max(0, start - pos),
                                 min(size, end - pos), _depth + 1)
        pos += size


def url_path(segments: list[str]) -> str:
    """Path segments percent-encoded as URL path segments (upper-case hex, as Go)."""
    return "/".join(quote(s, safe=_SAFE) for s in segments)


# --- directory listings ------------------------------------------------------------------

_PAGE_HEAD = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
<div id="header">
<div>Index of</div>
<div><strong>{crumbs}</strong></div>
<div class="ipfs-hash" translate="no">{cid}</div>
</div>
<table>
"""
_ROW = ('<tr><td><a href="{href}">{name}</a></td>'
        '<td><a class="ipfs-hash" translate="no" href="{hash_href}">{short}</a></td>'
        "<td>{size}</td></tr>\n")
_PAGE_TAIL = "</table>\n</body>\n</html>\n"
LISTING_VERSION = hashlib.sha256((_PAGE_HEAD + _ROW + _PAGE_TAIL).encode()).hexdigest()[:12]


def listing_etag(cid: bytes) -> str:
    """A listing's ETag: the page layout's version and the directory's CID (boxo's
    ``DirIndex-<template hash>_CID-<cid>``), strong: the same bytes for the same pair."""
    return f'"DirIndex-{LISTING_VERSION}_CID-{cid_text(cid)}"'


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def iter_listing(store: BlockStore, cid: bytes, node: PBNode, root_text: str,
                 segments: list[str]) -> Iterator[bytes]:
    """An HTML listing of the directory *cid* at ``/ipfs/<root_text>/<segments>/``, as kubo
    writes it: breadcrumbs, a ``..`` link below the root, one row per entry in DAG order
    (a basic directory's links are sorted by name; a HAMT's come shard by shard)."""
    base = f"/ipfs/{root_text}"
    crumbs = [f'<a href="{html.escape(base)}">{html.escape(root_text)}</a>']
    for i, name in enumerate(segments):
        href = f"{base}/{url_path(segments[:i + 1])}"
        crumbs.append(f'<a href="{html.escape(href)}">{html.escape(name)}</a>')
    here = f"{base}/{url_path(segments)}" if segments else base
    title = html.escape("/ipfs/" + "/".join([root_text, *segments]) + "/")
    yield _PAGE_HEAD.format(title=title, crumbs="/ipfs/" + "/".join(crumbs),
                            cid=cid_text(cid)).encode()
    if segments:
        yield f'<tr><td><a href="{html.escape(here)}/..">..</a></td><td></td><td></td></tr>\n' \
            .encode()
    rows: list[str] = []
    for link in entries(store, node):
        text = cid_text(link.cid)
        hash_href = f"/ipfs/{text}?filename={quote(quote(link.name, safe=_SAFE), safe=_SAFE)}"
        rows.append(_ROW.format(href=html.escape(f"{here}/{quote(link.name, safe=_SAFE)}"),
                                name=html.escape(link.name), hash_href=html.escape(hash_href),
                                short=f"{text[:9]}&hellip;{text[-7:]}", size=_size(link.tsize)))
        if len(rows) >= 256:
            yield "".join(rows).encode()
            rows.clear()
    yield ("".join(rows) + _PAGE_TAIL).encode()

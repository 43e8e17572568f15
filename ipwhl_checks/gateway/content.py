"""What a resolved path yields: a file's bytes (any range), a block, a CAR, a listing.

Everything here is a generator that reads one block at a time through the verifying
store, so a response never holds more than one block in memory, and a block's bytes are
yielded only after it matched its CID.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from urllib.parse import quote

from ..errors import UnixFSError
from ..ipld.car import encode_header
from ..ipld.cid import canonical, cid_fields, cid_text
from ..ipld.dagpb import DataType, PBNode, decode_node
from ..ipld.multicodec import DAG_PB
from ..ipld.varint import varint
from .paths import entries, load_node
from .store import BlockStore

__all__ = ["car_header", "file_size", "iter_car", "iter_file", "listing_html"]


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
              start: int, end: int) -> Iterator[memoryview]:
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
    inline = memoryview(node.data)
    if start < len(inline) and end > 0:
        yield inline[start:min(end, len(inline))]
    pos = len(inline)
    for link, size in zip(node.links, node.blocksizes, strict=True):
        if pos >= end:
            break
        if pos + size > start:
            child = load_node(store, link.cid)
            yield from iter_file(store, link.cid, child, max(0, start - pos), min(size, end - pos))
        pos += size


def car_header(root: bytes) -> bytes:
    """A CAR v1 header naming *root*, with its length (CAR v1 spec)."""
    header = encode_header([root])
    return varint(len(header)) + header


def iter_car(store: BlockStore, root: bytes, walked: tuple[bytes, ...],
             target: bytes) -> Iterator[bytes]:
    """A CAR of the blocks from *root* down to *target*, then all of *target*'s DAG.

    Trustless gateway spec: the default ``dag-scope=all`` sends the path's blocks so the
    client can verify the walk, then the whole DAG of the target, depth-first, each
    block once.
    """
    yield car_header(root)
    seen: set[bytes] = set()
    for cid in walked:
        if canonical(cid) not in seen:
            seen.add(canonical(cid))
            yield _section(cid, store.get(cid))
    stack = [target]
    while stack:
        cid = stack.pop()
        key = canonical(cid)
        if key in seen:
            continue
        seen.add(key)
        data = store.get(cid)
        yield _section(cid, data)
        if cid_fields(key)[1] == DAG_PB:
            try:
                node = decode_node(data)
            except ValueError as e:
                raise UnixFSError(f"not a valid dag-pb/UnixFS node ({e})") from e
            stack.extend(reversed([link.cid for link in node.links]))


def _section(cid: bytes, data: bytes) -> bytes:
    return varint(len(cid) + len(data)) + cid + data


def listing_html(store: BlockStore, node: PBNode, url_path: str) -> bytes:
    """A minimal HTML listing of a directory that has no ``index.html``."""
    title = html.escape(url_path)
    rows = [f'<li><a href="{quote(link.name)}">{html.escape(link.name)}</a></li>'
            for link in sorted(entries(store, node), key=lambda lk: lk.name.encode())]
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"</head><body><h1>{title}</h1><ul>\n" + "\n".join(rows)
            + "\n</ul></body></html>\n").encode()

"""Which blocks a trustless CAR response carries, in which order: ``dag-scope``,
``entity-bytes`` and ``dups`` over the verified store.

Trustless gateway spec (ipfs/specs, http-gateways/trustless-gateway.md) and IPIP-402/412:
the body is the blocks walked to resolve the path, root first, then the DAG of the
path's target, depth-first in link order (``order=dfs``):

* ``dag-scope=block``: the target's block alone;
* ``dag-scope=entity``: what it takes to read the target as a UnixFS entity: a file's
  root and every node and leaf under it (only those overlapping ``entity-bytes``, when
  given), a HAMT directory's root and all its shards (not the entries), any other block
  alone (a basic directory, a symlink, a raw block, a DAG-CBOR block);
* ``dag-scope=all`` (the default): the target and everything it links to.

``dups=n`` (the default) writes each CID once (a repeated sub-DAG is skipped whole);
``dups=y`` writes a block again each time the walk meets it.  Identity CIDs are followed
but never written: their bytes are in the CID.

Memory: the walk keeps one list of links per level (a depth-first stack, at most
:data:`MAX_DEPTH` levels) and, for ``dups=n``, the blocks sent as a set that turns into a
bitmap over the store's block numbers once it grows (:class:`Sent`), so a response never
needs more than ``len(store) / 4`` bytes however large the DAG.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import CarError, UnixFSError
from ..ipld.car import encode_header
from ..ipld.cid import canonical, cid_fields, cid_text
from ..ipld.dagcbor import links
from ..ipld.dagpb import DataType, PBNode, decode_node
from ..ipld.multicodec import DAG_CBOR, DAG_JSON, DAG_PB, IDENTITY
from ..ipld.varint import varint
from .paths import Resolved, decode_block
from .store import BlockStore

__all__ = [
    "MAX_DEPTH",
    "CarParams",
    "Sent",
    "car_blocks",
    "car_header",
    "iter_car",
    "resolve_range",
]

MAX_DEPTH = 512  # levels of a DAG walk (UnixFS files: 4 or 5; HAMTs: 8; then nesting)
_FRAME = 256 << 10  # small sections are written in frames of about this size

# How the walk treats a block's children: nothing, every link, a file's byte range, or a
# HAMT's shards.
_BLOCK, _ALL, _FILE, _SHARDS = range(4)


@dataclass(frozen=True)
class CarParams:
    """A CAR request's options: ``scope`` is ``block``, ``entity`` or ``all``; ``byte_range``
    the entity-bytes ``(from, to)`` as given (``to`` None for ``*``), None when absent."""

    scope: str = "all"
    byte_range: tuple[int, int | None] | None = None
    dups: bool = False


class Sent:
    """The blocks a response has written, for ``dups=n``: the exact CID form counts (a
    CIDv0 and a CIDv1 of one block are two CIDs), kept as a set of numbers, then as a
    bitmap of two bits per block of the store once the set would be larger."""

    def __init__(self, store: BlockStore) -> None:
        self._store = store
        self._set: set[int] | None = set()
        self._bits = bytearray()
        self._limit = len(store) // 256 + 64
        self._other: set[bytes] = set()  # CIDs the store has no number for

    def first(self, cid: bytes) -> bool:
        """True the first time *cid* is seen (then it counts as sent)."""
        slot = self._store.slot(cid)
        if slot is None:
            if cid in self._other:
                return False
            self._other.add(cid)
            return True
        n = 2 * slot + (len(cid) == 34)
        if self._set is not None:
            if n in self._set:
                return False
            self._set.add(n)
            if len(self._set) > self._limit:
                self._bits = bytearray((2 * len(self._store) + 7) // 8)
                for m in self._set:
                    self._bits[m >> 3] |= 1 << (m & 7)
                self._set = None
            return True
        if self._bits[n >> 3] & (1 << (n & 7)):
            return False
        self._bits[n >> 3] |= 1 << (n & 7)
        return True


def resolve_range(byte_range: tuple[int, int | None], size: int) -> tuple[int, int] | None:
    """Inclusive ``(first, last)`` bytes of a file of *size* that entity-bytes names, None
    when that is empty (the spec's rules: negative counts from the end, ``*`` is the last
    byte, a range partly past the end is cut at it)."""
    first, last = byte_range
    if first < 0:
        first = max(size + first, 0)
    last = size - 1 if last is None else (size + last if last < 0 else last)
    last = min(last, size - 1)
    return (first, last) if first <= last else None


def _is_identity(cid: bytes) -> bool:
    return cid_fields(canonical(cid))[2] == IDENTITY


def _node(cid: bytes, data: bytes) -> PBNode:
    try:
        return decode_node(data)
    except ValueError as e:
        raise UnixFSError(f"block {cid_text(cid)} is not a valid dag-pb node ({e})") from None


def _children(store: BlockStore, cid: bytes, data: bytes, mode: int,
              span: tuple[int, int] | None) -> list[tuple[bytes, int, tuple[int, int] | None]]:
    """The (cid, mode, byte span) the walk visits under *cid*, in link order."""
    kind = cid_fields(canonical(cid))[1]
    if mode == _BLOCK or kind not in (DAG_PB, DAG_CBOR, DAG_JSON):
        return []
    if kind != DAG_PB:
        return [(c, _ALL, None) for c in links(decode_block(store, cid))] \
            if mode == _ALL else []
    node = _node(cid, data)
    if mode == _ALL:
        return [(link.cid, _ALL, None) for link in node.links]
    if mode == _SHARDS:
        width = len(f"{(node.fanout or 256) - 1:X}")
        return [(link.cid, _SHARDS, None) for link in node.links if len(link.name) == width]
    # _FILE: UnixFS spec, a File's bytes are its Data, then its children in link order,
    # blocksizes[i] bytes under link i.
    if len(node.blocksizes) != len(node.links):
        raise UnixFSError(f"{cid_text(cid)}: {len(node.links)} links but "
                          f"{len(node.blocksizes)} blocksizes")
    if span is None:  # the whole file: every child, even an empty one
        return [(link.cid, _FILE, None) for link in node.links]
    first, last = span
    out: list[tuple[bytes, int, tuple[int, int] | None]] = []
    pos = len(node.data)
    for link, size in zip(node.links, node.blocksizes, strict=True):
        if pos > last:
            break
        if size and pos + size - 1 >= first:
            out.append((link.cid, _FILE, (max(0, first - pos), min(size - 1, last - pos))))
        pos += size
    return out


def _entity_mode(node: PBNode | None) -> int:
    if node is None:
        return _BLOCK
    if node.type in (DataType.FILE, DataType.RAW):
        return _FILE
    return _SHARDS if node.type == DataType.HAMT_SHARD else _BLOCK


def car_blocks(store: BlockStore, found: Resolved, params: CarParams,
               span: tuple[int, int] | None = None) -> Iterator[tuple[bytes, bytes]]:
    """(CID, verified bytes) of each block the CAR carries, in order.  *span*: the
    resolved entity-bytes of a file target (:func:`resolve_range`)."""
    sent = Sent(store) if not params.dups else None
    for cid in found.walked:
        if (sent is None or sent.first(cid)) and not _is_identity(cid):
            yield cid, store.get(cid)
    mode = {"block": _BLOCK, "all": _ALL}.get(params.scope, _entity_mode(found.node))
    stack: list[Iterator[tuple[bytes, int, tuple[int, int] | None]]] = [
        iter([(found.cid, mode, span)])]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        cid, how, part = item
        new = sent is None or sent.first(cid)
        if not new and how != _FILE:
            continue  # sent already, with all under it (a file range may want other leaves)
        data = store.get(cid)
        if new and not _is_identity(cid):
            yield cid, data
        below = _children(store, cid, data, how, part)
        if below:
            if len(stack) >= MAX_DEPTH:
                raise CarError(f"the DAG under {cid_text(found.cid)} is deeper than "
                               f"{MAX_DEPTH} levels")
            stack.append(iter(below))


def car_header(root: bytes) -> bytes:
    """A CAR v1 header naming *root*, with its length (CAR v1 spec)."""
    header = encode_header([root])
    return varint(len(header)) + header


def iter_car(store: BlockStore, header_root: bytes, found: Resolved, params: CarParams,
             span: tuple[int, int] | None = None) -> Iterator[bytes]:
    """The CAR as byte strings: the header, the first section alone (a caller reads both
    before it commits to a status), then sections in frames of about 256 KiB (a large
    block goes out as it is, not copied)."""
    yield car_header(header_root)
    frame = bytearray()
    first = True
    for cid, data in car_blocks(store, found, params, span):
        prefix = varint(len(cid) + len(data)) + cid
        if first:
            yield prefix + data
            first = False
        elif len(data) >= 64 << 10:
            frame += prefix
            yield bytes(frame)
            frame.clear()
            yield data
        else:
            frame += prefix
            frame += data
            if len(frame) >= _FRAME:
                yield bytes(frame)
                frame.clear()
    if frame:
        yield bytes(frame)

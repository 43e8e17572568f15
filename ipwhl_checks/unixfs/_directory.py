"""Directories: a basic UnixFS directory, or a HAMT when boxo would shard it.

A basic directory (UnixFS spec, Directory) is a dag-pb node with Data ``{Type:
Directory}`` and one link per entry, sorted by name bytes, each carrying the entry's
cumulative size.

When to shard (boxo ``ipld/unixfs/io/directory.go``): the directory becomes a HAMT when its
size estimate is strictly greater than ``HAMTShardingSize`` (256 KiB).  The estimate is

* ``links`` (``SizeEstimationLinks``, unixfs-v0-2015): the sum over entries of the name's
  byte length plus the child CID's byte length (34 for CIDv0, 36 for CIDv1);
* ``block`` (``SizeEstimationBlock``, unixfs-v1-2025): the exact length of the basic
  directory's dag-pb block: 4 bytes for the Data field plus each link's serialized size,
  which includes the Tsize varint.

Subdirectories count like files in both (only their name, CID and Tsize matter).  kubo
builds directories incrementally in MFS, but entries only grow while ``ipfs add`` runs, so
its final choice is this test on the finished directory.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
from collections.abc import Collection, Mapping

from ..errors import UnixFSError
from ..ipld.cid import cid_bytes
from ..ipld.dagpb import DataType, encode_pblink, encode_pbnode, encode_unixfs, pblink_size
from ..ipld.multicodec import DAG_PB
from ._file import Emit
from ._hamt import build_hamt
from ._node import Node
from .profiles import Profile

__all__ = ["build_directory", "encode_name", "is_sharded", "size_estimate"]

_DIR_DATA = encode_unixfs(DataType.DIRECTORY)
# boxo dataFieldSerializedSize: tag + length + {Type: Directory} (no mode, no mtime)
_DATA_FIELD_SIZE = 1 + 1 + len(_DIR_DATA)


def encode_name(name: str | bytes) -> bytes:
    """A directory entry name as the bytes kubo links under (file-system bytes as-is)."""
    raw = name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")
    if not raw or b"/" in raw or b"\0" in raw or raw in (b".", b".."):
        raise UnixFSError(f"invalid directory entry name {name!r}")
    return raw


def size_estimate(entries: list[tuple[bytes, bytes, int]], profile: Profile) -> int:
    """boxo's estimate of a basic directory over (name, CID, Tsize) *entries*."""
    if profile.hamt_estimate == "links":
        return sum(len(name) + len(cid) for name, cid, _ in entries)
    return _DATA_FIELD_SIZE + sum(
        pblink_size(len(cid), len(name), tsize) for name, cid, tsize in entries
    )


def _over(entries: list[tuple[bytes, bytes, int]], profile: Profile) -> bool:
    """``size_estimate(entries, profile) > profile.hamt_threshold``, without the exact sum
    when a lower bound decides: each serialized link is at least its CID and name plus 8
    bytes (four tags, at least one byte for each of its three varints and its length)."""
    if profile.hamt_estimate != "links":
        bound = _DATA_FIELD_SIZE + 8 * len(entries) + sum(
            map(len, itertools.chain.from_iterable(entry[:2] for entry in entries)))
        if bound > profile.hamt_threshold:
            return True
    return size_estimate(entries, profile) > profile.hamt_threshold


_raw, _size = operator.attrgetter("raw"), operator.attrgetter("size")


def _entries(children: Mapping[str, Node] | Mapping[bytes, Node]) -> list[tuple[bytes, bytes, int]]:
    names = [name for name in children if isinstance(name, str)]
    joined = "".join(names)
    if len(names) == len(children) and joined.isascii() and "/" not in joined \
            and "\0" not in joined and not any(bad in children for bad in ("", ".", "..")):
        # valid ASCII names, distinct as str and so as bytes (the common case, at C speed:
        # a root has 10,000 entries)
        nodes = children.values()
        return sorted(zip(map(str.encode, names), map(_raw, nodes), map(_size, nodes),
                          strict=True))
    entries = sorted((encode_name(name), node.raw, node.size) for name, node in children.items())
    for (a, _, _), (b, _, _) in itertools.pairwise(entries):
        if a == b:
            raise UnixFSError(f"directory entry name {a!r} given twice")
    return entries


def is_sharded(children: Mapping[str, Node] | Mapping[bytes, Node], profile: Profile) -> bool:
    """Whether boxo makes a directory of *children* a HAMT."""
    # the lower bound of _over first, from the lengths alone (a str name is at most as
    # long in characters as in bytes; C-level sums: a root has 10,000 entries)
    bound = sum(map(len, children)) + sum(map(len, map(_raw, children.values())))
    if profile.hamt_estimate != "links":
        bound += _DATA_FIELD_SIZE + 8 * len(children)
    if bound > profile.hamt_threshold:
        return True
    return _over([(encode_name(name), node.raw, node.size) for name, node in children.items()],
                 profile)


def build_directory(
    children: Mapping[str, Node] | Mapping[bytes, Node], profile: Profile, emit: Emit | None,
    changed: Collection[str | bytes] | None = None,
) -> Node:
    """The directory node (basic or HAMT, as boxo decides) linking *children* by name.

    *changed*: the names added, removed or relinked since a previous version of this
    directory that was sharded the same way (both HAMTs or both basic); only the blocks
    that version lacks are emitted (see :func:`build_hamt`; a basic directory's one block
    when anything changed).
    """
    entries = _entries(children)
    version = profile.cid_version
    if _over(entries, profile):
        names = None if changed is None else {encode_name(name) for name in changed}
        cid, size = build_hamt(entries, profile.hamt_fanout, version, emit, names)
        return Node(cid, size, "directory")
    links = [encode_pblink(cid, name, tsize) for name, cid, tsize in entries]
    block = encode_pbnode(links, _DIR_DATA)
    cid = cid_bytes(version, DAG_PB, hashlib.sha256(block).digest())
    if emit is not None and (changed is None or changed):
        emit(cid, block)
    return Node(cid, len(block) + sum(tsize for _, _, tsize in entries), "directory")

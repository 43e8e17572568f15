"""Offline UnixFS: the CIDs ``ipfs add`` gives, without an IPFS daemon.

Byte-identical to kubo/boxo under both IPIP-499 profiles, ``unixfs-v0-2015`` (kubo's
default: CIDv0, dag-pb leaves, 256 KiB chunks, 174 links, "links" HAMT estimate) and
``unixfs-v1-2025`` (CIDv1 base32, raw leaves, 1 MiB chunks, 1024 links, "block" HAMT
estimate); both sha2-256, balanced layout, HAMT fanout 256 with murmur3-x64-64 when the
estimate is strictly greater than 256 KiB.

Public API::

    profile = get_profile("unixfs-v1-2025")          # Profile (frozen dataclass)
    builder = DagBuilder(profile, sink=None)          # sink(cid: CID, block: bytes), once per CID
    builder = DagBuilder(profile, raw_sink=car.add)   # or raw_sink(cid: bytes, block), faster
    node = builder.add_file(stream)                   # Node: .cid (multiformats CID), .size
    node = builder.add_path(path, hidden=False)       # file, symlink or directory, recursively
    node = builder.add_known(cid, size)               # a file known by CID + cumulative size
    node = builder.add_directory({"name": node, ...}) # basic dir or HAMT, as kubo decides
    node = builder.add_directory(children, changed)   # emit only what a previous version lacks
    cid_str, size = file_cid(path_or_stream, profile)

    murmur3_x64_64(name)                              # the HAMT hash (hashType 0x22)

The blocks are encoded by the codec layer, :mod:`ipwhl_checks.ipld` (dag-pb with UnixFS
Data, CIDs), which also writes and reads CAR files and decodes nodes for the gateway.

``Node.size`` is the cumulative size, the ``Tsize`` a parent directory's link carries.
Errors are :class:`~ipwhl_checks.errors.UnixFSError` (bad paths).
"""

from __future__ import annotations

from ._hamt import murmur3_x64_64
from ._node import Node
from .dag import DagBuilder, RawSink, Sink, file_cid
from .profiles import PROFILES, Profile, get_profile

__all__ = [
    "PROFILES",
    "DagBuilder",
    "Node",
    "Profile",
    "RawSink",
    "Sink",
    "file_cid",
    "get_profile",
    "murmur3_x64_64",
]

"""The CID engine's fast paths give the bytes of its plain ones.

A root directory of 10,000 projects is rebuilt on every publish, so a few steps have a
fast path for the common case: a directory link whose lengths fit one byte, a directory
of valid ASCII names.  Each is checked here against the
plain code (itself checked against kubo and the references in test_unixfs_vectors.py), at
and around the boundaries where the fast path stops applying.
"""

from __future__ import annotations

import pytest

from ipwhl_checks.errors import UnixFSError
from ipwhl_checks.ipld.dagpb import decode_node, encode_pblink
from ipwhl_checks.ipld.varint import varint
from ipwhl_checks.unixfs import get_profile
from ipwhl_checks.unixfs._directory import build_directory, encode_name
from ipwhl_checks.unixfs._node import Node

# --- a directory link: lengths of one byte, or more --------------------------------------


def _link(cid: bytes, name: bytes, tsize: int) -> bytes:
    """PBLink as the protobuf wire format spells it, no shortcut."""
    body = b"\x0a" + varint(len(cid)) + cid + b"\x12" + varint(len(name)) + name \
        + b"\x18" + varint(tsize)
    return b"\x12" + varint(len(body)) + body


@pytest.mark.parametrize("cid_len", [0, 34, 36, 100, 127, 128, 300])
@pytest.mark.parametrize("name_len", [0, 1, 80, 84, 85, 86, 127, 128, 200])
@pytest.mark.parametrize("tsize", [0, 127, 128, 2**14, 2**21, 2**28, 2**63 - 1])
def test_pblink_is_the_wire_format(cid_len, name_len, tsize):
    cid, name = b"c" * cid_len, b"n" * name_len
    encoded = encode_pblink(cid, name, tsize)
    assert encoded == _link(cid, name, tsize)
    if cid:  # (a link without a Hash is not one: the decoder refuses it)
        (link,) = decode_node(encoded).links
        assert (link.cid, link.name.encode(), link.tsize) == (cid, name, tsize)


# --- a directory's entries: valid ASCII names, or any others ------------------------------

_CID = bytes.fromhex("01551220") + bytes(32)


def _plain(names):
    """The directory built from bytes names: never the ASCII fast path."""
    return build_directory({encode_name(n): Node(_CID, i) for i, n in enumerate(names)},
                           get_profile("unixfs-v1-2025"), None)


@pytest.mark.parametrize("names", [
    ["b", "a", "index.html", "A", "a-b", "~"],
    ["caf\u00e9", "cafe", "\u00e9t\u00e9"],  # not ASCII: the general path
    [f"proj{i:05d}" for i in range(6000)],  # a HAMT
])
def test_str_names_build_what_bytes_names_build(names):
    children = {n: Node(_CID, i) for i, n in enumerate(names)}
    assert build_directory(children, get_profile("unixfs-v1-2025"), None) == _plain(names)


@pytest.mark.parametrize(("names", "message"), [
    (["a", ""], "invalid directory entry name ''"),
    (["a", "."], "invalid directory entry name '.'"),
    (["..", "a"], "invalid directory entry name '..'"),
    (["a/b"], "invalid directory entry name 'a/b'"),
    (["a\0b"], "invalid directory entry name"),
    (["\u00e9", "\udcc3\udca9"], "given twice"),  # the same bytes under surrogateescape
])
def test_bad_names_are_refused_on_either_path(names, message):
    children = {n: Node(_CID, 1) for n in names}
    with pytest.raises(UnixFSError, match=message):
        build_directory(children, get_profile("unixfs-v1-2025"), None)

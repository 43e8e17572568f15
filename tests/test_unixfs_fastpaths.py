"""The CID engine's fast paths give the bytes of its plain ones.

A root directory of 10,000 projects is rebuilt on every publish, so a few steps have a
fast path for the common case: a directory link whose lengths fit one byte, a directory
of valid ASCII names; and a large file's chunks are hashed by threads.  Each is checked
here against the plain code (itself checked against kubo and the references in
test_unixfs_vectors.py), at and around the boundaries where the fast path stops applying.
"""

from __future__ import annotations

import io
import os
import random

import pytest

from ipwhl_checks.cli import main
from ipwhl_checks.errors import UnixFSError
from ipwhl_checks.ipld.dagpb import decode_node, encode_pblink
from ipwhl_checks.ipld.varint import varint
from ipwhl_checks.unixfs import DagBuilder, _file, get_profile
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


# --- a file's chunks hashed by threads, or by the calling thread --------------------------

_MIB = 1024 * 1024


@pytest.mark.parametrize("profile", ["unixfs-v0-2015", "unixfs-v1-2025"])
@pytest.mark.parametrize("size", [0, 1, 256 * 1024, 2 * _MIB - 1, 2 * _MIB, 2 * _MIB + 1,
                                  9 * _MIB + 256, 17 * _MIB])
@pytest.mark.parametrize("mapped", [False, True])
def test_hashing_threads_give_the_blocks_of_the_calling_thread(profile, size, mapped,
                                                               monkeypatch, tmp_path):
    """The blocks, in the order given out, the bytes seen and the root are those of the
    plain path (IPWHL_HASH_THREADS=0: read a buffer, hash it, in the calling thread), for
    files around the batch sizes (1 MiB inline, 2 MiB a task)."""
    data = random.Random(size).randbytes(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)

    def build(threads: int) -> tuple[list[tuple[bytes, bytes]], bytes, bytes]:
        monkeypatch.setenv("IPWHL_HASH_THREADS", str(threads))
        blocks: list[tuple[bytes, bytes]] = []
        seen: list[bytes] = []
        with path.open("rb") as f:
            node = DagBuilder(profile, raw_sink=lambda c, b: blocks.append((c, bytes(b)))).add_file(
                f if mapped else io.BytesIO(data), observe=lambda v: seen.append(bytes(v)),
                mapped=mapped)
        return blocks, b"".join(seen), node.raw

    plain = build(0)
    assert plain[1] == data
    for threads in (1, 2, 3):
        assert build(threads) == plain


@pytest.mark.parametrize(("cpus", "threads"), [(1, 0), (2, 2), (3, 2), (64, 2)])
def test_default_hash_threads(cpus, threads):
    assert _file.default_hash_threads(cpus) == threads


def test_hash_threads_follow_the_cpus_never_the_load(monkeypatch):
    monkeypatch.delenv("IPWHL_HASH_THREADS", raising=False)
    default = _file.default_hash_threads(_file._cpus())
    for load in (0.0, 1.5, 300.0):
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, load, load))
        assert _file.hash_threads() == default
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert _file.hash_threads() == _file.default_hash_threads(1) == 0


@pytest.mark.parametrize(("value", "threads"), [("0", 0), ("1", 1), (" 3 ", 3), ("32", 32)])
def test_hash_threads_from_the_environment(value, threads, monkeypatch):
    monkeypatch.setenv("IPWHL_HASH_THREADS", value)
    assert _file.hash_threads() == threads


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_hash_threads_is_the_default(value, monkeypatch):
    monkeypatch.setenv("IPWHL_HASH_THREADS", value)
    assert _file.hash_threads() == _file.default_hash_threads(_file._cpus())


BAD_THREADS = ["x", "-1", "+2", "33", "1.5", "2_0", "0x2", "\u0663"]  # the last: Arabic 3


@pytest.mark.parametrize("value", BAD_THREADS)
def test_a_bad_hash_threads_is_an_error(value, monkeypatch):
    monkeypatch.setenv("IPWHL_HASH_THREADS", value)
    with pytest.raises(UnixFSError) as e:
        DagBuilder("unixfs-v1-2025").add_file(io.BytesIO(b"x"))
    assert str(e.value) == (f"IPWHL_HASH_THREADS={value.strip()!r}: expected a whole number "
                            "of hashing threads from 0 to 32")


@pytest.mark.parametrize("value", BAD_THREADS)
def test_a_bad_hash_threads_is_one_line_from_the_command(value, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("IPWHL_HASH_THREADS", value)
    (tmp_path / "f").write_bytes(b"x")
    assert main(["cid", str(tmp_path / "f")]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"ipwhl cid: IPWHL_HASH_THREADS={value.strip()!r}: expected a whole number "
                   "of hashing threads from 0 to 32\n")

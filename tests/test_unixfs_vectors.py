"""UnixFS CIDs against vectors from kubo (boxo) and the UnixFS / murmur3 references.

Every expected value here was produced by someone else: kubo's ``ipfs add`` (the
well-known CIDs and the threshold-boundary vectors of kubo's
``test/cli/cid_profiles_test.go``), kubo's protobuf-size table, and the published
MurmurHash3 x64 128 vectors.  The npm implementations are compared in
``test_unixfs_interop.py``.
"""

from __future__ import annotations

import errno
import hashlib
import io
import mmap
import os
import re
import struct

import pytest

from ipwhl_checks.errors import UnixFSError
from ipwhl_checks.ipld.dagpb import DataType, decode_node, pblink_size
from ipwhl_checks.ipld.varint import varint_len
from ipwhl_checks.unixfs import DagBuilder, file_cid, get_profile, murmur3_x64_64

DIRECTORY, HAMT_SHARD = DataType.DIRECTORY, DataType.HAMT_SHARD

V0, V1 = "unixfs-v0-2015", "unixfs-v1-2025"

# (profile, content, CID `ipfs add` prints)
FILES = [
    (V0, b"hello world", "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"),
    (V1, b"hello world", "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"),
    (V0, b"hello world\n", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"),
    (V0, b"", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
    (V1, b"", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
]


@pytest.mark.parametrize(("profile", "content", "expected"), FILES)
def test_file_vectors(profile, content, expected, tmp_path):
    assert str(DagBuilder(profile).add_file(io.BytesIO(content)).cid) == expected
    path = tmp_path / "f"
    path.write_bytes(content)
    assert file_cid(path, profile)[0] == expected
    assert file_cid(io.BytesIO(content), get_profile(profile))[0] == expected


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (V0, "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"),
        (V1, "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"),
    ],
)
def test_empty_directory(profile, expected, tmp_path):
    assert str(DagBuilder(profile).add_directory({}).cid) == expected
    assert str(DagBuilder(profile).add_path(tmp_path).cid) == expected


# --- kubo test/cli/cid_profiles_test.go: HAMT threshold boundaries -------------------------


def chacha20_stream(seed: str, size: int) -> bytes:
    """kubo's DeterministicRandomReaderBytes: ChaCha20 (RFC 8439) keystream, key
    sha256(seed), zero nonce, counter from 0 (test/cli/testutils/random_deterministic.go)."""

    def qr(s: list[int], a: int, b: int, c: int, d: int) -> None:
        m = 0xFFFFFFFF
        s[a] = (s[a] + s[b]) & m
        s[d] ^= s[a]
        s[d] = ((s[d] << 16) | (s[d] >> 16)) & m
        s[c] = (s[c] + s[d]) & m
        s[b] ^= s[c]
        s[b] = ((s[b] << 12) | (s[b] >> 20)) & m
        s[a] = (s[a] + s[b]) & m
        s[d] ^= s[a]
        s[d] = ((s[d] << 8) | (s[d] >> 24)) & m
        s[c] = (s[c] + s[d]) & m
        s[b] ^= s[c]
        s[b] = ((s[b] << 7) | (s[b] >> 25)) & m

    key = struct.unpack("<8I", hashlib.sha256(seed.encode()).digest())
    out = bytearray()
    counter = 0
    while len(out) < size:
        init = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *key, counter, 0, 0, 0]
        s = list(init)
        for _ in range(10):
            qr(s, 0, 4, 8, 12)
            qr(s, 1, 5, 9, 13)
            qr(s, 2, 6, 10, 14)
            qr(s, 3, 7, 11, 15)
            qr(s, 0, 5, 10, 15)
            qr(s, 1, 6, 11, 12)
            qr(s, 2, 7, 8, 13)
            qr(s, 3, 4, 9, 14)
        out += struct.pack("<16I", *((x + y) & 0xFFFFFFFF for x, y in zip(s, init, strict=True)))
        counter += 1
    return bytes(out[:size])


ALPHABET_EASY = "abcdefghijklmnopqrstuvwxyz01234567890-_"  # kubo testutils.AlphabetEasy


def kubo_names(count: int, name_len: int, last_len: int, seed: str) -> list[str]:
    """The file names kubo's createDeterministicFiles makes (add_test.go)."""
    data = chacha20_stream(seed, (count - 1) * name_len + last_len)
    names, pos = [], 0
    for i in range(count):
        n = last_len if i == count - 1 else name_len
        names.append("".join(ALPHABET_EASY[b % len(ALPHABET_EASY)] for b in data[pos : pos + n]))
        pos += n
    return names


# (profile, files, name length, last name length, kubo's CID, UnixFS type of the root)
HAMT_BOUNDARIES = [
    (V0, 4096, 30, 30, "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN", DIRECTORY),
    (V0, 4033, 31, 31, "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP", HAMT_SHARD),
    (V1, 4766, 11, 21, "bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4", DIRECTORY),
    (V1, 4766, 11, 22, "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu", HAMT_SHARD),
]


def boundary_directory(profile: str, count: int, name_len: int, last_len: int):
    blocks: dict[bytes, bytes] = {}
    builder = DagBuilder(profile, lambda cid, block: blocks.setdefault(bytes(cid), block))
    x = builder.add_file(io.BytesIO(b"x"))  # every file holds "x"
    names = kubo_names(count, name_len, last_len, f"hamt-{profile}")
    return builder.add_directory(dict.fromkeys(names, x)), blocks, names


@pytest.mark.parametrize(("profile", "count", "name_len", "last_len", "expected", "kind"),
                         HAMT_BOUNDARIES)
def test_kubo_hamt_threshold_vectors(profile, count, name_len, last_len, expected, kind):
    root, blocks, names = boundary_directory(profile, count, name_len, last_len)
    assert len(set(names)) == count
    assert str(root.cid) == expected
    fs = decode_node(blocks[bytes(root.cid)])
    links = fs.links
    assert fs.type == kind
    cid_len = len(bytes(root.cid))
    if kind == DIRECTORY:  # exactly at the threshold: the estimate is 256 KiB on the dot
        if profile == V0:  # "links": name + CID bytes
            assert sum(len(link.name.encode()) + cid_len for link in links) == 256 * 1024
        else:  # "block": the serialized directory block itself
            assert len(blocks[bytes(root.cid)]) == 256 * 1024
    else:
        assert fs.fanout == 256 and fs.hash_type == 0x22
        assert len(links) <= 256
        # UnixFS spec: link names start with the bucket index as two upper-case hex digits
        assert all(re.fullmatch(r"[0-9A-F]{2}[a-z0-9_-]*", link.name) for link in links)


# --- kubo TestProtobufHelpers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (127, 1), (128, 2), (16383, 2), (16384, 3), (2097151, 3), (2097152, 4),
     (268435455, 4), (268435456, 5), (34359738367, 5)],
)
def test_varint_len_matches_kubo(value, expected):
    assert varint_len(value) == expected


@pytest.mark.parametrize(
    ("name_len", "cid_len", "tsize", "expected"),
    [(255, 34, 0, 299), (255, 36, 0, 301), (10, 36, 0, 54), (255, 36, 34359738367, 305)],
)
def test_link_serialized_size_matches_kubo(name_len, cid_len, tsize, expected):
    assert pblink_size(cid_len, name_len, tsize) == expected


# --- murmur3 (HAMT hash): Austin Appleby's MurmurHash3_x64_128, seed 0, first half ----------


@pytest.mark.parametrize(
    ("key", "h1"),
    [
        (b"", "0000000000000000"),
        (b"hello", "cbd8a7b341bd9b02"),
        (b"The quick brown fox jumps over the lazy dog", "e34bbc7bbc071b6c"),
    ],
)
def test_murmur3_x64_64(key, h1):
    assert murmur3_x64_64(key).hex() == h1


# --- builder behaviour ------------------------------------------------------------------------


def test_sink_gets_each_block_once():
    seen: list[str] = []
    builder = DagBuilder(V0, lambda cid, block: seen.append(str(cid)))
    a = builder.add_file(io.BytesIO(b"same"))
    b = builder.add_file(io.BytesIO(b"same"))
    builder.add_directory({"a": a, "b": b})
    assert len(seen) == len(set(seen)) == 2


def test_blocks_hash_to_their_cids():
    blocks: list[tuple[object, bytes]] = []
    builder = DagBuilder(V1, lambda cid, block: blocks.append((cid, block)))
    data = os.urandom(3 * 1024 * 1024 + 17)
    root = builder.add_file(io.BytesIO(data))
    assert root.size == sum(len(b) for _, b in blocks)
    for cid, block in blocks:
        assert cid.raw_digest == hashlib.sha256(block).digest()
    leaves = b"".join(block for cid, block in blocks if cid.codec.name == "raw")
    assert leaves == data


def test_add_known_links_without_bytes():
    builder = DagBuilder(V0)
    real = builder.add_file(io.BytesIO(b"hello world\n"))
    known = builder.add_known("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", real.size)
    assert builder.add_directory({"f": known}).cid == builder.add_directory({"f": real}).cid


@pytest.mark.parametrize(
    ("cid", "size"), [("not-a-cid", 1), ("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", -1)]
)
def test_add_known_rejects_bad_input(cid, size):
    with pytest.raises(UnixFSError):
        DagBuilder(V0).add_known(cid, size)


def test_hidden_files_left_out_unless_asked(tmp_path):
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x").write_bytes(b"x")
    builder = DagBuilder(V1)
    plain = builder.add_path(tmp_path)
    assert plain.cid == builder.add_directory({"a": builder.add_bytes(b"a")}).cid
    assert builder.add_path(tmp_path, hidden=True).cid != plain.cid


@pytest.mark.parametrize("kind", ["missing", "fifo", "bad-name"])
def test_add_path_errors(kind, tmp_path):
    path = tmp_path / "x"
    if kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(UnixFSError, match="x"):
        if kind == "bad-name":
            DagBuilder(V0).add_directory({"a/x": DagBuilder(V0).add_bytes(b"")})
        else:
            DagBuilder(V0).add_path(path)


def test_unknown_profile():
    with pytest.raises(UnixFSError, match="unixfs-v0-2015 or unixfs-v1-2025"):
        get_profile("unixfs-v2")


def test_raw_sink_gets_binary_cids():
    typed: list[tuple[bytes, bytes]] = []
    raw: list[tuple[bytes, bytes]] = []
    for builder in (DagBuilder(V1, lambda c, b: typed.append((bytes(c), b))),
                    DagBuilder(V1, raw_sink=lambda c, b: raw.append((c, b)))):
        x = builder.add_bytes(b"x" * 3_000_000)
        builder.add_directory({"x": x, "y": builder.add_bytes(b"y")})
    assert typed == raw and len(raw) == 5  # two identical 1 MiB leaves: one block
    with pytest.raises(TypeError):
        DagBuilder(V1, lambda c, b: None, raw_sink=lambda c, b: None)


@pytest.mark.parametrize("threads", [0, 1, 2, 3])
def test_hashing_in_threads_or_not(threads, monkeypatch):
    """Every number of hashing threads gives kubo's CID (the default depends on the CPU
    count; IPWHL_HASH_THREADS sets it)."""
    monkeypatch.setenv("IPWHL_HASH_THREADS", str(threads))
    data = chacha20_stream("chunk-v0-seed", 262145)  # kubo FileOverChunkSizeCID
    blocks: list[bytes] = []
    node = DagBuilder(V0, raw_sink=lambda cid, block: blocks.append(block)).add_file(
        io.BytesIO(data)
    )
    assert str(node.cid) == "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"
    assert node.size == sum(map(len, blocks)) and len(blocks) == 3
    big = bytes(range(256)) * (9 * 4096 + 1)  # 9 MiB + 256 B: several batches under both
    assert [str(DagBuilder(p).add_file(io.BytesIO(big)).cid) for p in (V0, V1)] == [
        # ipfs-unixfs-importer 17.1.1 with profile unixfs-v0-2015 / unixfs-v1-2025
        "QmUixVnFeMXrNCvSdbhXfCV8AUfMFCvQioWsvWPehxqf13",
        "bafybeibvynco4u3ouikn7te4pmfndxtxq57ho2fmbfuetjhvttg2jwaub4",
    ]


@pytest.mark.parametrize("threads", [0, 1, 2])
def test_mapped_files_give_the_same_cids(threads, monkeypatch, tmp_path):
    """A file mapped in windows (as publish reads the wheel cache) gives the CIDs kubo and
    the npm importer give, and *observe* sees its bytes in order; what cannot be mapped
    (empty, not a file, not read from its start) is read as a stream, to the same CID."""
    monkeypatch.setenv("IPWHL_HASH_THREADS", str(threads))
    big = bytes(range(256)) * (9 * 4096 + 1)  # 9 MiB + 256 B: windows of 2 MiB, a short one
    cases = [
        (V0, chacha20_stream("chunk-v0-seed", 262145),
         "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"),
        (V0, big, "QmUixVnFeMXrNCvSdbhXfCV8AUfMFCvQioWsvWPehxqf13"),
        (V1, big, "bafybeibvynco4u3ouikn7te4pmfndxtxq57ho2fmbfuetjhvttg2jwaub4"),
        (V1, b"", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
    ]
    for profile, data, expected in cases:
        path = tmp_path / "f.bin"
        path.write_bytes(data)
        seen: list[bytes] = []
        blocks: list[tuple[bytes, bytes]] = []
        with path.open("rb") as f:
            node = DagBuilder(profile, raw_sink=lambda cid, block, blocks=blocks: blocks.append(
                (cid, bytes(block)))).add_file(
                    f, observe=lambda view, seen=seen: seen.append(bytes(view)), mapped=True)
            assert f.tell() == 0  # mapped (or empty): the position did not move
        assert str(node.cid) == expected
        assert b"".join(seen) == data
        # the blocks given out (copies of mapped chunks) are the bytes their CIDs name
        assert all(cid[-32:] == hashlib.sha256(block).digest() for cid, block in blocks)
    path.write_bytes(big)
    with path.open("rb") as f:  # not at its start: read from where it is, as a stream
        f.seek(256)
        tail = DagBuilder(V1).add_file(f, mapped=True)
    assert tail.cid == DagBuilder(V1).add_file(io.BytesIO(big[256:])).cid
    seen = []
    node = DagBuilder(V1).add_file(io.BytesIO(big), observe=lambda view: seen.append(bytes(view)),
                                   mapped=True)  # not a file: a stream
    assert b"".join(seen) == big
    assert str(node.cid) == "bafybeibvynco4u3ouikn7te4pmfndxtxq57ho2fmbfuetjhvttg2jwaub4"


@pytest.mark.parametrize("windows", [0, 2])
def test_a_file_that_cannot_be_mapped_is_read(windows, monkeypatch, tmp_path):
    """Where the file system refuses mmap (at once, or after *windows* windows), the rest
    of the file is read from where the mapped windows stopped: the same CID, bytes seen
    once each, in order."""
    monkeypatch.setenv("IPWHL_HASH_THREADS", "0")  # 1 MiB windows: the third fails
    real_mmap, mapped = mmap.mmap, []

    def refusing(*args, **kwargs):
        if len(mapped) >= windows:
            raise OSError(errno.ENODEV, "No such device")
        mapped.append(args)
        return real_mmap(*args, **kwargs)
    monkeypatch.setattr(mmap, "mmap", refusing)
    big = bytes(range(256)) * (9 * 4096 + 1)
    path = tmp_path / "f.bin"
    path.write_bytes(big)
    seen: list[bytes] = []
    with path.open("rb") as f:
        node = DagBuilder(V1).add_file(f, observe=lambda view: seen.append(bytes(view)),
                                       mapped=True)
    assert len(mapped) == windows
    assert b"".join(seen) == big
    assert str(node.cid) == "bafybeibvynco4u3ouikn7te4pmfndxtxq57ho2fmbfuetjhvttg2jwaub4"

"""Interop: our CIDs and CARs against the npm IPFS implementations (run in CI).

``ipfs-unixfs-importer`` 17.1.1 is run with its IPIP-499 ``profile`` option (chunk size,
raw leaves, CID version, 174/1024 links per node, "links-bytes"/"block-bytes" shard
estimate); ``@ipld/car`` + ``ipfs-unixfs-exporter`` read our CARs back.  Where kubo's own
vectors exist (kubo ``test/cli/cid_profiles_test.go``, same seeds and sizes) all three
must agree.  One known, deliberate difference: the npm importer counts a subdirectory as
0 bytes in its parent's shard estimate, so a big directory *of directories* never shards
there; boxo counts it, and we follow boxo (``test_directory_of_directories_*``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from multiformats import CID

from ipwhl_checks.commands.car import write_path_car
from ipwhl_checks.ipld.car import read_car
from ipwhl_checks.ipld.dagpb import DataType, decode_node
from ipwhl_checks.unixfs import DagBuilder, get_profile

from .conftest import ROOT
from .test_unixfs_vectors import HAMT_BOUNDARIES, kubo_names

DIRECTORY, HAMT_SHARD = DataType.DIRECTORY, DataType.HAMT_SHARD

INTEROP = ROOT / "tests" / "interop"
NODE = shutil.which("node")
pytestmark = [
    pytest.mark.npm,
    pytest.mark.skipif(
        NODE is None or not (ROOT / ".ci" / "node_modules" / "ipfs-unixfs-importer").is_dir(),
        reason="the npm interop packages are not installed in .ci/node_modules (run .ci/setup)",
    ),
]

V0, V1 = "unixfs-v0-2015", "unixfs-v1-2025"
KIB, MIB = 1024, 1024 * 1024


def _file_cases() -> list[tuple[str, str, int, str, str | None]]:
    """(profile, label, size, seed, kubo's CID when cid_profiles_test.go pins it)."""
    cases = []
    for profile, chunk, links, kubo in [
        (V0, 256 * KIB, 174, {
            "chunk": ("chunk-v0-seed", "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE"),
            "chunk+1": ("chunk-v0-seed", "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"),
            "links*chunk": ("v0-seed", "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2"),
            "links*chunk+1": ("v0-seed", "QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW"),
        }),
        (V1, MIB, 1024, {
            "chunk": ("chunk-v1-seed",
                      "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta"),
            "chunk+1": ("chunk-v1-seed",
                        "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64"),
            "links*chunk": ("v1-2025-seed",
                            "bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm"),
            "links*chunk+1": ("v1-2025-seed",
                              "bafybeibdsi225ugbkmpbdohnxioyab6jsqrmkts3twhpvfnzp77xtzpyhe"),
        }),
    ]:
        sizes = {"0": 0, "1": 1, "chunk-1": chunk - 1, "chunk": chunk, "chunk+1": chunk + 1,
                 "links*chunk": links * chunk, "links*chunk+1": links * chunk + 1}
        for label, size in sizes.items():
            seed, cid = kubo.get(label, ("ipwhl-" + label, None))
            cases.append((profile, label, size, seed, cid))
    return cases


FILE_CASES = _file_cases()
# The same balanced layout on a small configuration, to reach a 4-level tree cheaply.
SMALL = {"chunkSize": 1000, "maxChildrenPerNode": 3}
DEEP_CASES = [(V0, 27001), (V0, 12345), (V1, 27001), (V1, 9001)]


def run_node(script: str, *args: str) -> list[dict[str, object]]:
    assert NODE is not None
    out = subprocess.run([NODE, str(INTEROP / script), *args], capture_output=True, text=True,
                         check=True, timeout=300).stdout
    return [json.loads(line) for line in out.splitlines()]


def npm_import(jobs: list[dict[str, object]], tmp: Path) -> dict[str, dict[str, object]]:
    """Run every job through ipfs-unixfs-importer in one node process."""
    spec = tmp / "jobs.json"
    spec.write_text(json.dumps(jobs))
    return {str(r["id"]): r for r in run_node("import.mjs", str(spec))}


def chacha_stream(seed: str, size: int) -> subprocess.Popen[bytes]:
    assert NODE is not None
    return subprocess.Popen([NODE, str(INTEROP / "chacha20.mjs"), seed, str(size)],
                            stdout=subprocess.PIPE)


def ours_from_chacha(profile, seed: str, size: int):
    proc = chacha_stream(seed, size)
    assert proc.stdout is not None
    with proc.stdout:
        node = DagBuilder(profile).add_file(proc.stdout)
    assert proc.wait() == 0
    return node


class NpmImport:
    """ipfs-unixfs-importer running in the background while we compute our side."""

    def __init__(self, jobs: list[dict[str, object]], tmp: Path) -> None:
        assert NODE is not None
        spec = tmp / "npm-jobs.json"
        spec.write_text(json.dumps(jobs))
        self.proc = subprocess.Popen([NODE, str(INTEROP / "import.mjs"), str(spec)],
                                     stdout=subprocess.PIPE, text=True)

    def results(self) -> dict[str, dict[str, object]]:
        out, _ = self.proc.communicate(timeout=300)
        assert self.proc.returncode == 0
        return {str(r["id"]): r for r in map(json.loads, out.splitlines())}


@pytest.mark.parametrize(("profile", "label", "size", "seed", "kubo"), FILE_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in FILE_CASES])
def test_file_sizes_match_npm_and_kubo(profile, label, size, seed, kubo, tmp_path):
    npm = NpmImport([{"id": "f", "profile": profile, "chacha": {"seed": seed, "size": size}}],
                    tmp_path)
    ours = ours_from_chacha(profile, seed, size)
    theirs = npm.results()["f"]
    assert (str(ours.cid), ours.size) == (theirs["cid"], theirs["size"])
    if kubo is not None:
        assert str(ours.cid) == kubo


@pytest.mark.parametrize(("profile", "size"), DEEP_CASES)
def test_multi_level_file_matches_npm(profile, size, tmp_path):
    npm = NpmImport([{"id": "f", "profile": profile, "options": SMALL,
                      "chacha": {"seed": "deep", "size": size}}], tmp_path)
    small = dataclasses.replace(get_profile(profile), chunk_size=SMALL["chunkSize"],
                                max_links=SMALL["maxChildrenPerNode"])
    blocks: dict[bytes, bytes] = {}
    builder = DagBuilder(small, lambda cid, block: blocks.setdefault(bytes(cid), block))
    proc = chacha_stream("deep", size)
    assert proc.stdout is not None
    with proc.stdout:
        ours = builder.add_file(proc.stdout)
    proc.wait()
    theirs = npm.results()["f"]
    assert (str(ours.cid), ours.size) == (theirs["cid"], theirs["size"])
    depth, cid = 0, bytes(ours.cid)  # the leftmost path: how many levels
    while cid in blocks and cid[:2] != b"\x01\x55":
        links = decode_node(blocks[cid]).links
        if not links:
            break
        depth, cid = depth + 1, links[0].cid
    assert depth == (4 if size > 27000 else 3)


# --- directories --------------------------------------------------------------------------


def make_tree(root: Path) -> Path:
    """Nested folders, non-ASCII names, an empty dir and file, a multi-chunk file, dot-files."""
    (root / "sub" / "deeper" / "deepest").mkdir(parents=True)
    (root / "empty-dir").mkdir()
    (root / "名前").mkdir()
    (root / ".hidden-dir").mkdir()
    files = {
        "README": b"hello world\n",
        "empty": b"",
        "café.txt": "déjà vu\n".encode(),
        "名前/ファイル.txt": "こんにちは".encode(),
        "名前/emoji-🐍.py": b"print('hi')\n",
        "sub/a.bin": bytes(range(256)) * 5000,  # 1.28 MB: several chunks under both profiles
        "sub/deeper/b.txt": b"b" * 262145,
        "sub/deeper/deepest/.secret": b"left out",
        ".hidden-dir/x": b"left out",
        "Zebra": b"upper-case names sort first",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return make_tree(tmp_path_factory.mktemp("tree") / "root")


@pytest.mark.parametrize("profile", [V0, V1])
def test_nested_non_ascii_directory_matches_npm(profile, tree, tmp_path):
    ours = DagBuilder(profile).add_path(tree)
    theirs = npm_import([{"id": "t", "profile": profile, "dir": str(tree)}], tmp_path)["t"]
    assert (str(ours.cid), ours.size) == (theirs["cid"], theirs["size"])


@pytest.mark.parametrize(("profile", "count", "name_len", "last_len", "kubo", "kind"),
                         HAMT_BOUNDARIES)
def test_hamt_threshold_boundaries_match_npm_and_kubo(
    profile, count, name_len, last_len, kubo, kind, tmp_path
):
    """Directories of files exactly at and one byte over 256 KiB: npm agrees with kubo."""
    names = kubo_names(count, name_len, last_len, f"hamt-{profile}")
    builder = DagBuilder(profile)
    x = builder.add_bytes(b"x")
    ours = builder.add_directory(dict.fromkeys(names, x))
    job = {"id": "d", "profile": profile, "entries": [{"path": n, "size": 1} for n in names]}
    theirs = npm_import([job], tmp_path)["d"]
    assert str(ours.cid) == theirs["cid"] == kubo
    assert ours.size == theirs["size"]


@pytest.mark.parametrize(("last_len", "kind"), [(15, DIRECTORY), (16, HAMT_SHARD)])
def test_block_estimate_counts_tsize_varints(last_len, kind, tmp_path):
    """unixfs-v1-2025's "block" estimate with 200-byte files (a two-byte Tsize varint):
    4680 links of 56 bytes + one of 60 (or 61) + 4 = 262144 (or 262145) bytes."""
    names = kubo_names(4681, 11, last_len, "tsize")
    blocks: dict[bytes, bytes] = {}
    builder = DagBuilder(V1, lambda cid, block: blocks.setdefault(bytes(cid), block))
    ours = builder.add_directory(dict.fromkeys(names, builder.add_bytes(b"x" * 200)))
    assert decode_node(blocks[bytes(ours.cid)]).type == kind
    if kind == DIRECTORY:
        assert len(blocks[bytes(ours.cid)]) == 256 * 1024
    job = {"id": "d", "profile": V1, "entries": [{"path": n, "size": 200} for n in names]}
    theirs = npm_import([job], tmp_path)["d"]
    assert (str(ours.cid), ours.size) == (theirs["cid"], theirs["size"])


@pytest.mark.parametrize(("profile", "count", "name_len", "last_len"),
                         [(V0, 4033, 31, 31), (V1, 4766, 11, 22)])
def test_directory_of_directories_follows_boxo_not_npm(
    profile, count, name_len, last_len, tmp_path
):
    """Subdirectories (each holding one file) instead of files, under kubo's boundary names.

    boxo's estimate only sees each entry's name, CID (34/36 bytes) and Tsize (one varint
    byte either way), so it is one byte over 256 KiB as for the files, and boxo shards.
    ipfs-unixfs-importer 17.1.1 counts a subdirectory it creates from the paths of its
    files as 0 bytes, keeps a basic directory and so gives our *unsharded* directory's CID:
    a documented difference, where we follow boxo.  (A directory handed to it already
    imported, with a CID, is counted, and then it agrees with us.)
    """
    names = kubo_names(count, name_len, last_len, f"hamt-{profile}")
    blocks: dict[bytes, bytes] = {}
    builder = DagBuilder(profile, lambda cid, block: blocks.setdefault(bytes(cid), block))
    sub = builder.add_directory({"f": builder.add_bytes(b"x")})
    ours = builder.add_directory(dict.fromkeys(names, sub))
    assert decode_node(blocks[bytes(ours.cid)]).type == HAMT_SHARD
    unsharded = dataclasses.replace(get_profile(profile), hamt_threshold=1 << 40)
    basic = DagBuilder(unsharded).add_directory(dict.fromkeys(names, sub))
    jobs = [{"id": "implicit", "profile": profile,
             "entries": [{"path": f"{n}/f", "size": 1} for n in names]}]
    if profile == V0:  # once is enough to show it
        jobs.append({"id": "explicit", "profile": profile,
                     "entries": [{"path": n} for n in names]})
    theirs = npm_import(jobs, tmp_path)
    assert theirs["implicit"]["cid"] == str(basic.cid) != str(ours.cid)
    if profile == V0:
        empty = builder.add_directory({})
        explicit = builder.add_directory(dict.fromkeys(names, empty))
        assert theirs["explicit"]["cid"] == str(explicit.cid)


# --- CARs read back by @ipld/car + ipfs-unixfs-exporter -------------------------------------


Entries = dict[str, tuple[str, int | None, str | None]]


def expected_entries(root: Path, hidden: bool = False) -> Entries:
    out: Entries = {"": ("directory", None, None)}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if hidden or not d.startswith(".")]
        rel = Path(dirpath).relative_to(root)
        for d in dirnames:
            out[(rel / d).as_posix()] = ("directory", None, None)
        for f in filenames:
            if hidden or not f.startswith("."):
                data = (Path(dirpath) / f).read_bytes()
                out[(rel / f).as_posix()] = ("file", len(data), hashlib.sha256(data).hexdigest())
    return out


@pytest.mark.parametrize("profile", [V0, V1])
def test_our_car_reads_back_with_npm_exporter(profile, tree, tmp_path):
    root_dir = tmp_path / "root"
    shutil.copytree(tree, root_dir)
    big = root_dir / "sharded"
    big.mkdir()
    for i in range(300):
        (big / f"entry-{i:03d}").write_bytes(b"%d" % i)
    # A low shard threshold (same algorithm) so the exporter also walks our HAMT, with
    # sub-shards, without thousands of files.
    small = dataclasses.replace(get_profile(profile), hamt_threshold=2000)
    car = tmp_path / "out.car"
    root = write_path_car(str(root_dir), str(car), small, hidden=False)
    rows = run_node("export.mjs", str(car))
    assert rows[0]["cid"] == root
    got = {
        str(r["path"]): ("directory", None, None) if r["type"] == "directory"
        else ("file", r["size"], r["sha256"])
        for r in rows
    }
    assert got == expected_entries(root_dir)
    blocks = {bytes(cid): data for cid, data, _ in read_car(car.open("rb"))}
    sharded = next(r for r in rows if r["path"] == "sharded")
    node = decode_node(blocks[bytes(CID.decode(str(sharded["cid"])))])
    links = node.links
    assert node.type == HAMT_SHARD
    assert any(len(link.name) == 2 for link in links)  # at least one sub-shard


@pytest.mark.parametrize("profile", [V0, V1])
@pytest.mark.parametrize("size", [11, 3 * MIB + 1])
def test_file_car_reads_back_with_npm_exporter(profile, size, tmp_path):
    path = tmp_path / "f.bin"
    data = bytes(range(251)) * (size // 251) + b"x" * (size % 251)
    path.write_bytes(data)
    car = tmp_path / "f.car"
    root = write_path_car(str(path), str(car), profile, hidden=False)
    [row] = run_node("export.mjs", str(car))
    assert (row["size"], row["sha256"]) == (size, hashlib.sha256(data).hexdigest())
    assert root == str(DagBuilder(profile).add_path(path).cid)


def test_symlink_follows_boxo_not_npm(tmp_path):
    """kubo adds a symlink as UnixFS ``{Type: Symlink, Data: target}`` (kubo
    core/coreunix/add.go -> boxo ``unixfs.SymlinkData``, no filesize); ipfs-unixfs also
    writes ``filesize`` (field 3), so the CIDs differ by exactly that field."""
    target = "../target/é"
    (tmp_path / "link").symlink_to(target)
    [theirs] = run_node("symlink.mjs", target)
    raw = target.encode()
    ours_data = b"\x08\x04\x12" + bytes((len(raw),)) + raw
    assert theirs["unixfs"] == (ours_data + b"\x18" + bytes((len(raw),))).hex()
    blocks: list[bytes] = []
    node = DagBuilder(V0, raw_sink=lambda cid, block: blocks.append(block)).add_path(
        tmp_path / "link"
    )
    assert blocks == [b"\x0a" + bytes((len(ours_data),)) + ours_data]
    assert node.kind == "symlink" and str(node.cid) != theirs["v0"]

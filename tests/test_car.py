"""CAR v1: fixtures written by @ipld/car (good ones and corrupt copies kept as files, see
tests/data/car/README.md), our writer against them, the index, and ``ipwhl car``."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ipwhl_checks.cli import main
from ipwhl_checks.errors import CarError
from ipwhl_checks.ipld.car import (
    index_car,
    open_car,
    read_car,
    verify_block,
    verify_car,
    write_car,
)
from ipwhl_checks.ipld.cid import cid_text
from ipwhl_checks.unixfs import DagBuilder

from .conftest import ipwhl_argv, run_ipwhl

DATA = Path(__file__).parent / "data" / "car"
ROOTS = {
    "unixfs-v0-2015": "QmUKutFo5YzzjtBPML7xNzs5SH9SEvtCLikd2U28yJea83",
    "unixfs-v1-2025": "bafybeidrvcau56x6iqwj4zuczvx7hw6mrywsep4a5dttyufmcf7cnrkmnu",
}

# (fixture, what the one-line error must contain) -- shared by the API and CLI tests
BAD = [
    ("flipped-byte-unixfs-v0-2015.car",
     "block QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o does not match its CID "
     "(section at byte 57)"),
    ("flipped-byte-unixfs-v1-2025.car",
     "block bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4 does not match its "
     "CID (section at byte 59)"),
    ("truncated-block.car",
     "truncated block QmUKutFo5YzzjtBPML7xNzs5SH9SEvtCLikd2U28yJea83 at byte 239"),
    ("truncated-header.car", "not a CAR, or a truncated one"),
    ("version-2.car", "not a CAR v1 header (version 2, expected 1)"),
    ("missing-root.car", "root QmUKutFo5YzzjtBPML7xNzs5SH9SEvtCLikd2U28yJea83 has no block"),
    ("empty.car", "empty file, not a CAR"),
    ("not-a-car.car", "not a CAR, or a truncated one"),
]


def make_fixture_tree(root: Path) -> Path:
    """The tree tests/interop/make_car_fixtures.mjs imported."""
    (root / "sub").mkdir(parents=True)
    (root / "hello.txt").write_bytes(b"hello world\n")
    (root / "sub" / "empty").write_bytes(b"")
    return root


@pytest.mark.parametrize("profile", sorted(ROOTS))
def test_good_fixture_verifies(profile):
    roots, count = verify_car(DATA / f"good-{profile}.car")
    assert [cid_text(r) for r in roots] == [ROOTS[profile]] and count == 4


@pytest.mark.parametrize(("name", "message"), BAD)
def test_bad_fixture_rejected(name, message):
    with pytest.raises(CarError, match=None) as info:
        verify_car(DATA / name)
    assert message in str(info.value)
    assert str(info.value).startswith(str(DATA / name))


@pytest.mark.parametrize("profile", sorted(ROOTS))
def test_our_car_has_the_npm_blocks(profile, tmp_path):
    """Same tree, same blocks as ipfs-unixfs-importer + @ipld/car wrote (order aside)."""
    tree = make_fixture_tree(tmp_path / "root")
    out = io.BytesIO()
    blocks = []
    node = DagBuilder(profile, lambda cid, data: blocks.append((cid, data))).add_path(tree)
    with write_car(out, [node.cid]) as car:
        for cid, data in blocks:
            car.add(cid, data)
            car.add(cid, data)  # written once
    assert str(node.cid) == ROOTS[profile]
    out.seek(0)
    ours = read_car(out)
    with (DATA / f"good-{profile}.car").open("rb") as f:
        theirs = read_car(f)
        assert ours.roots == theirs.roots
        assert sorted((bytes(c), d) for c, d, _ in ours) == sorted(
            (bytes(c), d) for c, d, _ in theirs
        )


def _index(path: Path) -> dict[bytes, tuple[int, int]]:
    with open_car(path) as f:
        return index_car(f, str(path)).blocks


def test_index_serves_blocks_by_cid():
    path = DATA / "good-unixfs-v0-2015.car"
    index = _index(path)
    with path.open("rb") as f:
        # keyed by canonical (CIDv1) bytes, so a v0 and a v1 name find a block
        expected = {bytes(cid.set(version=1)): data for cid, data, _ in read_car(f)}
        assert set(index) == set(expected)
        for cid, (offset, length) in index.items():
            f.seek(offset)
            data = f.read(length)
            verify_block(cid, data)
            assert data == expected[cid]


@pytest.mark.parametrize("name", ["truncated-block.car", "empty.car", "truncated-header.car"])
def test_index_rejects_truncated(name):
    with pytest.raises(CarError, match=name):
        _index(DATA / name)


def test_flipped_byte_detected_when_serving():
    index = _index(DATA / "flipped-byte-unixfs-v0-2015.car")
    text = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    cid = next(c for c in index if cid_text(c[2:]) == text)  # (canonical: 01 70 + v0)
    offset, length = index[cid]
    data = (DATA / "flipped-byte-unixfs-v0-2015.car").read_bytes()[offset : offset + length]
    with pytest.raises(CarError, match="does not match its CID"):
        verify_block(cid, data)


# --- ipwhl car ------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(ROOTS))
def test_cli_writes_and_verifies(profile, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tree = make_fixture_tree(tmp_path / "root")
    out = tmp_path / "out.car"
    assert main(["car", "--profile", profile, str(tree), "-o", str(out)]) == 0
    assert capsys.readouterr().out == ROOTS[profile] + "\n"
    assert main(["car", "--verify", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: ok ({ROOTS[profile]}, 4 blocks)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.car", "root"]


@pytest.mark.parametrize(("name", "message"), BAD)
def test_cli_verify_rejects_bad_fixture(name, message, capsys):
    assert main(["car", "--verify", str(DATA / name)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err and len(captured.err.splitlines()) == 1


def test_real_command_names_the_flipped_block():
    result = run_ipwhl("car", "--verify", str(DATA / BAD[0][0]))
    assert result.returncode == 1
    assert result.stderr == f"ipwhl car: {DATA / BAD[0][0]}: {BAD[0][1]}\n"


def test_cli_leaves_nothing_behind_on_error(tmp_path, capsys):
    tree = make_fixture_tree(tmp_path / "root")
    shutil.copy(DATA / "good-unixfs-v0-2015.car", tmp_path / "old.car")
    os.mkfifo(tree / "sub" / "fifo")
    assert main(["car", str(tree), "-o", str(tmp_path / "old.car")]) == 1
    assert main(["car", str(tree), "-o", str(tmp_path / "new.car")]) == 1
    err = capsys.readouterr().err
    assert err.count("is a special file") == 2 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.car", "root"]
    assert (tmp_path / "old.car").read_bytes() == (DATA / "good-unixfs-v0-2015.car").read_bytes()


def test_cli_on_a_full_disk_names_the_car(tmp_path):
    tree = make_fixture_tree(tmp_path / "root")
    (tree / "big.bin").write_bytes(bytes(range(256)) * 64)  # 16 KiB: past the limit
    (tmp_path / "out.car").write_bytes(b"the previous CAR")
    done = subprocess.run(ipwhl_argv("car", "root", "-o", "out.car", small_files=True),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    # (not "root/big.bin: cannot read": the failed write is the CAR's)
    assert (done.returncode, done.stderr) == (
        1, "ipwhl car: out.car: cannot write (File too large)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.car", "root"]
    assert (tmp_path / "out.car").read_bytes() == b"the previous CAR"


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [  # arguments it cannot take: usage errors (2); inputs and outputs that fail: 1
        (["x"], 2, "ipwhl car: error: missing -o OUT.car (or use --verify FILE.car)"),
        (["--verify", "a.car", "-o", "b.car"], 2, "ipwhl car: error: --verify takes a CAR "
         "file and no -o"),
        (["--verify", "nope.car"], 1, "ipwhl car: nope.car: cannot read"),
        (["nope", "-o", "x.car"], 1, "ipwhl car: nope: no such file"),
        ([".", "-o", "no-such-dir/x.car"], 1, "ipwhl car: no-such-dir/x.car: cannot write"),
    ],
)
def test_cli_errors(args, status, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["car", *args]) == status
    assert capsys.readouterr().err.startswith(message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("umask", "existing"), [(0o022, False), (0o027, False), (0o002, False),
                                                  (0o077, True)],
                         ids=["022-new", "027-new", "002-new", "077-replaced"])
def test_the_car_gets_the_permissions_of_the_umask(tmp_path, umask, existing):
    """As a plain ``open`` would give it (and ``publish --car`` does), not the private
    0600 of the temporary file it is written to.  A real process: the umask is its own."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.txt").write_text("a\n")
    if existing:
        (tmp_path / "out.car").write_bytes(b"old")
        (tmp_path / "out.car").chmod(0o640)
    done = subprocess.run([sys.executable, "-c", f"import os, sys; os.umask({umask}); "
                           "from ipwhl_checks.cli import main; sys.exit(main(sys.argv[1:]))",
                           "car", "site", "-o", "out.car"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.car").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(("args", "error"), [
    (["car", "--verify", "fifo"], "ipwhl car: fifo: cannot read (not a regular file)"),
    (["serve", "fifo", "--port", "0"], "ipwhl serve: fifo: cannot open CAR (not a regular file)"),
    (["car", "--verify", "."], "ipwhl car: .: cannot read (is a directory)"),
], ids=["verify", "serve", "directory"])
def test_a_fifo_is_refused_not_waited_on(tmp_path, args, error):
    os.mkfifo(tmp_path / "fifo")  # opening it to read would wait for a writer
    done = subprocess.run([sys.executable, "-m", "ipwhl_checks", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, error + "\n")

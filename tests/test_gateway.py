"""``ipwhl serve``: the path gateway over CARs written by the npm UnixFS importer.

The CARs come from an independent IPFS implementation (ipfs-unixfs-importer + @ipld/car),
with small chunks and a low HAMT threshold so multi-level files and sharded directories
appear in a few kilobytes; expected bytes are the files on disk.
"""

from __future__ import annotations

import hashlib
import http.client
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from multiformats import CID, multihash

from .gatewayutil import gateway as start_gateway
from .gatewayutil import get, needs_npm, npm_car, serve_process, stop_process, wait_for_log

pytestmark = [pytest.mark.npm, needs_npm]

PROFILES = ["unixfs-v0-2015", "unixfs-v1-2025"]
BIG = random.Random(6).randbytes(5000)  # 5 chunks of 1000 bytes, 3 links per node
UNICODE = "naïve ünïcode.txt"
WHEEL = "x-1.0-py3-none-any.whl"


def _tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"hello\n")
    (root / "sub" / "index.html").write_bytes(b"<p>hi</p>\n")
    (root / "sub" / "big.bin").write_bytes(BIG)
    (root / UNICODE).write_bytes(b"unicode\n")
    (root / "pkg").mkdir()
    (root / "pkg" / WHEEL).write_bytes(b"PK\x03\x04 not really a wheel")
    (root / "pkg" / f"{WHEEL}.metadata").write_bytes(b"Metadata-Version: 2.1\nName: x\n")
    (root / "many").mkdir()
    for i in range(300):  # a HAMT with sub-shards at the 2 KiB threshold below
        (root / "many" / f"f{i}.txt").write_bytes(f"file {i}\n".encode())
    return root


@pytest.fixture(scope="module")
def cars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    base = tmp_path_factory.mktemp("gw")
    tree = _tree(base / "tree")
    out = {}
    for profile in PROFILES:
        car = base / f"{profile}.car"
        out[profile] = car, npm_car(tree, car, profile, chunk=1000, links=3,
                                    shard_threshold=2048)
    return out


@pytest.fixture(scope="module")
def served(cars: dict[str, tuple[Path, str]]):  # type: ignore[no-untyped-def]
    with start_gateway(*(car for car, _ in cars.values())) as (host, log):
        yield host, log


CASES = [  # path under the root, status, expected body (None: not checked), content type
    ("/a.txt", 200, b"hello\n", "text/plain; charset=utf-8"),
    ("/sub/", 200, b"<p>hi</p>\n", "text/html; charset=utf-8"),
    ("/sub/index.html", 200, b"<p>hi</p>\n", "text/html; charset=utf-8"),
    ("/sub/big.bin", 200, BIG, "application/octet-stream"),
    ("/many/f0.txt", 200, b"file 0\n", "text/plain; charset=utf-8"),
    ("/many/f299.txt", 200, b"file 299\n", "text/plain; charset=utf-8"),
    ("/na%C3%AFve%20%C3%BCn%C3%AFcode.txt", 200, b"unicode\n", "text/plain; charset=utf-8"),
    (f"/pkg/{WHEEL}", 200, b"PK\x03\x04 not really a wheel", "application/zip"),
    (f"/pkg/{WHEEL}.metadata", 200, b"Metadata-Version: 2.1\nName: x\n",
     "text/plain; charset=utf-8"),
    ("/many/f300.txt", 404, None, None),
    ("/a.txt/more", 404, None, None),
    ("/nothing", 404, None, None),
    ("/sub/../a.txt", 400, None, None),
]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("path", "status", "body", "kind"), CASES)
def test_paths(served, cars, profile, path, status, body, kind) -> None:  # type: ignore[no-untyped-def]
    host, _log = served
    root = cars[profile][1]
    got_status, headers, got = get(host, f"/ipfs/{root}{path}")
    assert got_status == status, got
    if body is not None:
        assert got == body
        assert headers["content-type"] == kind
        assert headers["content-length"] == str(len(body))
        assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
        head_status, head_headers, head_body = get(host, f"/ipfs/{root}{path}", "HEAD")
        assert (head_status, head_body) == (200, b"")
        assert head_headers["content-length"] == str(len(body))
    else:  # errors are one line of text saying what is wrong
        assert got.decode().startswith(f"{status} ") and got.count(b"\n") == 1


@pytest.mark.parametrize("profile", PROFILES)
def test_directory_redirects_and_lists(served, cars, profile) -> None:  # type: ignore[no-untyped-def]
    host, _log = served
    root = cars[profile][1]
    status, headers, _ = get(host, f"/ipfs/{root}/sub?x=1")
    assert (status, headers["location"]) == (301, f"/ipfs/{root}/sub/?x=1")
    status, headers, _ = get(host, f"/ipfs/{root}")
    assert (status, headers["location"]) == (301, f"/ipfs/{root}/")
    status, _, listing = get(host, f"/ipfs/{root}/many/")  # no index.html: a listing
    assert status == 200
    assert listing.count(b'<a class="ipfs-hash"') == 300  # one row per entry, as kubo's
    assert f'href="/ipfs/{root}/many/f42.txt"'.encode() in listing


RANGES = [  # Range header, status, slice of BIG (None: 416)
    ("bytes=0-0", 206, slice(0, 1)),
    ("bytes=999-1000", 206, slice(999, 1001)),  # across a chunk boundary
    ("bytes=1500-3700", 206, slice(1500, 3701)),  # across a subtree boundary
    ("bytes=4000-", 206, slice(4000, 5000)),
    ("bytes=-10", 206, slice(4990, 5000)),
    ("bytes=10-99999", 206, slice(10, 5000)),
    ("bytes=5000-", 416, None),
]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("header", "status", "part"), RANGES)
def test_ranges(served, cars, profile, header, status, part) -> None:  # type: ignore[no-untyped-def]
    host, _log = served
    root = cars[profile][1]
    got_status, headers, body = get(host, f"/ipfs/{root}/sub/big.bin", headers={"Range": header})
    assert got_status == status
    if part is None:
        assert headers["content-range"] == "bytes */5000"
        return
    assert body == BIG[part]
    if status == 206:
        assert headers["content-range"] == f"bytes {part.start}-{part.stop - 1}/5000"


@pytest.mark.parametrize("profile", PROFILES)
def test_several_ranges_are_multipart(served, cars, profile) -> None:  # type: ignore[no-untyped-def]
    import email

    host, _log = served
    root = cars[profile][1]
    status, headers, body = get(host, f"/ipfs/{root}/sub/big.bin",
                                headers={"Range": "bytes=0-1, 999-1000,-10"})
    assert status == 206 and headers["content-length"] == str(len(body))
    # the standard library's MIME parser reads the parts (RFC 9110 14.6)
    message = email.message_from_bytes(b"Content-Type: " + headers["content-type"].encode()
                                       + b"\r\n\r\n" + body)
    assert message.get_content_type() == "multipart/byteranges"
    parts = [(p["Content-Range"], p.get_payload(decode=True)) for p in message.get_payload()]
    assert parts == [("bytes 0-1/5000", BIG[0:2]), ("bytes 999-1000/5000", BIG[999:1001]),
                     ("bytes 4990-4999/5000", BIG[4990:])]


@pytest.mark.parametrize("profile", PROFILES)
def test_etag_and_raw_block(served, cars, profile) -> None:  # type: ignore[no-untyped-def]
    host, _log = served
    root = cars[profile][1]
    _, headers, _ = get(host, f"/ipfs/{root}/a.txt")
    etag = headers["etag"]
    status, _, _ = get(host, f"/ipfs/{root}/a.txt", headers={"If-None-Match": etag})
    assert status == 304
    cid = CID.decode(etag.strip('"'))
    status, headers, block = get(host, f"/ipfs/{root}/a.txt?format=raw")
    assert status == 200 and headers["content-type"] == "application/vnd.ipld.raw"
    assert hashlib.sha256(block).digest() == cid.raw_digest  # the block its CID names
    status, _, same = get(host, f"/ipfs/{cid}", headers={"Accept": "application/vnd.ipld.raw"})
    assert (status, same) == (200, block)


EXPORT = """
import { CarReader } from '@ipld/car'
import { exporter } from 'ipfs-unixfs-exporter'
import fs from 'node:fs'
const reader = await CarReader.fromBytes(fs.readFileSync(process.argv[1]))
const store = {
  async get (cid) {
    const block = await reader.get(cid)
    if (!block) throw new Error('missing ' + cid)
    return block.bytes
  }
}
const [root] = await reader.getRoots()
const entry = await exporter(`${root}/${process.argv[2]}`, store)
const parts = []
for await (const chunk of entry.content()) parts.push(chunk)
process.stdout.write(Buffer.concat(parts))
"""


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("path", ["sub/big.bin", "many/f7.txt"])
def test_car_reads_back_with_npm(served, cars, profile, path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    host, _log = served
    root = cars[profile][1]
    status, headers, car = get(host, f"/ipfs/{root}/{path}?format=car")
    assert status == 200
    assert headers["content-type"] == "application/vnd.ipld.car; version=1; order=dfs; dups=n"
    (tmp_path / "out.car").write_bytes(car)
    done = subprocess.run(["node", "--input-type=module", "-e", EXPORT, str(tmp_path / "out.car"),
                           path], cwd=Path(__file__).parent.parent / ".ci", capture_output=True,
                          timeout=60, check=True)
    want = BIG if path == "sub/big.bin" else b"file 7\n"
    assert done.stdout == want


def test_many_clients_at_once(served, cars) -> None:  # type: ignore[no-untyped-def]
    host, _log = served
    failures: list[str] = []

    def client(n: int) -> None:
        for i in range(10):
            profile = PROFILES[(n + i) % 2]
            k = (n * 10 + i) % 300
            path, want = f"many/f{k}.txt", f"file {k}\n".encode()
            if i % 2:
                path, want = "sub/big.bin", BIG
            status, _, body = get(host, f"/ipfs/{cars[profile][1]}/{path}")
            if (status, body) != (200, want):
                failures.append(f"{path}: {status}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# ---- a tampered CAR ----------------------------------------------------------------

def _logged(log, text: str) -> str:  # type: ignore[no-untyped-def]
    """The in-thread gateway's log once it has *text* (written just after the response)."""
    for _ in range(500):
        if text in log.getvalue():
            break
        threading.Event().wait(0.02)
    return str(log.getvalue())


def _leaf_cid(chunk: bytes) -> str:
    # The CID of a raw leaf, computed here with multiformats, not by the gateway.
    return str(CID("base32", 1, "raw", multihash.digest(chunk, "sha2-256")))


@pytest.fixture(scope="module")
def tampered(cars, tmp_path_factory):  # type: ignore[no-untyped-def]
    car, root = cars["unixfs-v1-2025"]
    data = bytearray(car.read_bytes())
    second = BIG[1000:2000]
    at = data.find(second)
    assert at > 0 and data.find(second, at + 1) < 0
    data[at + 500] ^= 0x01
    hello = data.find(b"hello\n")
    data[hello] ^= 0x20  # "Hello\n": a file of one block
    bad = tmp_path_factory.mktemp("bad") / "bad.car"
    bad.write_bytes(bytes(data))
    with start_gateway(bad) as (host, log):
        yield host, log, root


def test_tampered_single_block_is_502(tampered) -> None:  # type: ignore[no-untyped-def]
    host, log, root = tampered
    status, _, body = get(host, f"/ipfs/{root}/a.txt")
    want = _leaf_cid(b"hello\n")
    assert status == 502 and want in body.decode()
    text = _logged(log, f'"GET /ipfs/{root}/a.txt" 502')
    assert f'"GET /ipfs/{root}/a.txt" 502' in text and want in text


def test_tampered_block_in_range_is_502(tampered) -> None:  # type: ignore[no-untyped-def]
    host, _log, root = tampered
    status, _, body = get(host, f"/ipfs/{root}/sub/big.bin", headers={"Range": "bytes=1400-1600"})
    assert status == 502 and _leaf_cid(BIG[1000:2000]) in body.decode()
    status, _, body = get(host, f"/ipfs/{_leaf_cid(BIG[1000:2000])}?format=raw")
    assert status == 502
    # Blocks that are intact still serve.
    status, _, body = get(host, f"/ipfs/{root}/sub/big.bin", headers={"Range": "bytes=2000-2999"})
    assert (status, body) == (206, BIG[2000:3000])


def test_tampered_block_mid_stream_cuts_the_connection(tampered) -> None:  # type: ignore[no-untyped-def]
    host, log, root = tampered
    conn = http.client.HTTPConnection(host, timeout=30)
    conn.request("GET", f"/ipfs/{root}/sub/big.bin")
    response = conn.getresponse()
    assert response.status == 200  # the first block was fine when the headers went out
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert caught.value.partial == BIG[:1000]  # only verified bytes, then nothing
    conn.close()
    text = _logged(log, "aborted")
    assert "aborted" in text and _leaf_cid(BIG[1000:2000]) in text


# ---- the real command --------------------------------------------------------------

def test_serve_command_logs_and_stops_on_ctrl_c(cars) -> None:  # type: ignore[no-untyped-def]
    car, root = cars["unixfs-v1-2025"]
    with serve_process(car) as (proc, host, log):
        assert get(host, f"/ipfs/{root}/a.txt")[0] == 200
        assert get(host, f"/ipfs/{root}/none")[0] == 404
        wait_for_log(log, "/none")
        assert stop_process(proc, log, signal.SIGINT) in (0, 130)
    text = "".join(log)
    assert f'"GET /ipfs/{root}/a.txt" 200 6 ' in text
    assert f'"GET /ipfs/{root}/none" 404' in text
    assert "Traceback" not in text


BAD_CARS = [  # file content, expected message part
    (None, "cannot open CAR"),
    (b"", "not a CAR"),
    (b"\x0aNOTCBOR!!!", "not a CAR"),
    (b"truncate", "truncated block"),
]


@pytest.mark.parametrize(("content", "message"), BAD_CARS)
def test_serve_rejects_bad_cars(cars, tmp_path, content, message) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.car"
    if content == b"truncate":
        path.write_bytes(cars["unixfs-v1-2025"][0].read_bytes()[:-7])
    elif content is not None:
        path.write_bytes(content)
    done = subprocess.run([sys.executable, "-m", "ipwhl_checks", "serve", str(path), "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert message in done.stderr and str(path) in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_log_lines_cannot_be_forged(served) -> None:  # type: ignore[no-untyped-def]
    import socket

    host, log = served
    address, port = host.split(":")
    with socket.create_connection((address, int(port)), timeout=30) as sock:
        sock.sendall(b"GET /ipfs/x\x1b[31m\x7f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")
    text = _logged(log, "/ipfs/x\\x1b[31m\\x7f")
    assert "\x1b" not in text and "\x7f" not in text

"""Benchmark ``ipwhl serve``: 50 concurrent clients downloading wheels for 20 seconds.

Usage: ``.venv/bin/python benchmarks/serve.py [--clients 50] [--seconds 20] [--wheels 40]
[--idle N]``

Publishes a repository of real wheels (sizes from 20 KiB to 4 MiB, so most span several
1 MiB blocks) with ``ipwhl publish --car --out``, then in one run:

* serves the CAR with ``ipwhl serve`` (every block verified against its CID before it is
  sent) and drives the clients at it;
* serves the ``--out`` tree, the same files on disk, with Python's ``http.server``
  (``python -m http.server``, threaded) and drives the same clients at it;

``--idle N`` also holds N idle connections open to each server while the clients run (a
server that gives each connection a thread stops answering once they fill its slots).

It prints requests served, errors (a non-200 answer, a wrong length, or, for one response
in four, a sha256 that is not the manifest's: target 0), the throughput ratio gateway /
http.server (target: at least 0.5) and the gateway's peak RSS (VmHWM).  The clients run
in several processes (threads in each) so the client side's GIL is not the bottleneck;
both servers get exactly the same client code and request sequence.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ipwhl_checks.unixfs import file_cid  # noqa: E402
from tests.declmaker import declaration, write_tree  # noqa: E402
from tests.wheelmaker import make_wheel  # noqa: E402


def build(base: Path, count: int) -> tuple[Path, Path, str, list[tuple[str, int, str]]]:
    """Wheels, declarations, publish: (CAR, --out tree, root CID, [(path, size, sha256)])."""
    rng = random.Random(50)
    declarations = []
    for i in range(count):
        size = int(20_000 * (200 ** (i / max(1, count - 1))))  # 20 KB .. 4 MB, log-spread
        wheel = make_wheel(base / "wheels", f"bench{i}", "1.0",
                           files={f"bench{i}/blob.bin": rng.randbytes(size)})
        decl = declaration(wheel.name)
        declarations.append(replace(decl, source=wheel.resolve().as_uri(),
                                    content_id=file_cid(wheel, "unixfs-v1-2025")[0]))
    data = write_tree(base / "data", declarations)
    car, out = base / "repo.car", base / "out"
    done = subprocess.run([sys.executable, "-m", "ipwhl_checks", "publish", "--root", str(data),
                           "--car", str(car), "--out", str(out), "--allow-file"],
                          capture_output=True, text=True, check=True)
    root = done.stdout.strip().splitlines()[-1]
    manifest = json.loads((out / "manifest.json").read_text())
    files = [(f"{name}/{filename}", w["size"], w["sha256"])
             for name, project in manifest["projects"].items()
             for filename, w in project["wheels"].items()]
    return car, out, root, files


def _client(host: str, port: int, prefix: str, files: list[tuple[str, int, str]],
            deadline: float, seed: int, out: list[tuple[int, int, int]]) -> None:
    # Bytes count when they arrive within the window; a request counts when it completed
    # within it; at the deadline a transfer in flight is dropped.
    rng = random.Random(seed)
    done = errors = nbytes = 0
    count = 0
    conn = http.client.HTTPConnection(host, port, timeout=60)
    while time.monotonic() < deadline:
        path, size, digest = rng.choice(files)
        try:
            conn.request("GET", f"{prefix}{path}")
            response = conn.getresponse()
            count += 1
            h = hashlib.sha256() if count % 4 == 1 else None  # hash 1 in 4: the client
            got = 0  # competes for the same 2 cores; status and length are always checked
            while chunk := response.read(1 << 20):
                if h is not None:
                    h.update(chunk)
                got += len(chunk)
                nbytes += len(chunk)
                if time.monotonic() >= deadline:
                    break
            if time.monotonic() >= deadline:
                break
            if (response.status != 200 or got != size
                    or (h is not None and h.hexdigest() != digest)):
                errors += 1
            else:
                done += 1
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
    conn.close()
    out.append((done, errors, nbytes))


def _process(args: tuple[str, int, str, list[tuple[str, int, str]], float, int, int]
             ) -> tuple[int, int, int]:
    host, port, prefix, files, deadline, threads, seed = args
    results: list[tuple[int, int, int]] = []
    workers = [threading.Thread(target=_client, args=(host, port, prefix, files, deadline,
                                                      seed * 1000 + i, results))
               for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return (sum(r[0] for r in results), sum(r[1] for r in results),
            sum(r[2] for r in results))


def drive(port: int, prefix: str, files: list[tuple[str, int, str]], clients: int,
          seconds: float) -> tuple[int, int, float]:
    """(requests served, errors, bytes per second) of *clients* for *seconds*."""
    processes = min(clients, max(2, os.cpu_count() or 2))
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    with multiprocessing.Pool(processes) as pool:
        pool.map(abs, range(processes))  # workers started before the clock starts
        deadline = time.monotonic() + seconds
        results = pool.map(_process, [("127.0.0.1", port, prefix, files, deadline, n, i)
                                      for i, n in enumerate(per)])
    return (sum(r[0] for r in results), sum(r[1] for r in results),
            sum(r[2] for r in results) / seconds)


def hold_idle(port: int, count: int) -> list[socket.socket]:
    """*count* connections to 127.0.0.1:*port* that never send a byte."""
    held = []
    for _ in range(count):
        with contextlib.suppress(OSError):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
    return held


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--wheels", type=int, default=40)
    parser.add_argument("--idle", type=int, default=0, help="idle connections held open")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipwhl-bench-serve-") as tmp:
        car, out, root, files = build(Path(tmp), args.wheels)
        total = sum(size for _p, size, _d in files)
        print(f"repository: {len(files)} wheels, {total / 1e6:.1f} MB, CAR "
              f"{car.stat().st_size / 1e6:.1f} MB, root {root}")
        gateway = subprocess.Popen([sys.executable, "-m", "ipwhl_checks", "serve", str(car),
                                    "--port", "0"], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        assert gateway.stdout is not None
        port = int(gateway.stdout.readline().split("/")[2].split(":")[1])
        idle = hold_idle(port, args.idle)
        try:
            served, errors, rate = drive(port, f"/ipfs/{root}/", files, args.clients,
                                         args.seconds)
            rss = peak_rss(gateway.pid)
        finally:
            for sock in idle:
                sock.close()
            gateway.terminate()
            gateway.wait()
        print(f"ipwhl serve:  {served} requests, {errors} errors, {rate / 1e6:.1f} MB/s, "
              f"peak RSS {rss / 1e6:.1f} MB")
        port = free_port()
        plain = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                                  "--directory", str(out), str(port)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        idle = []
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            idle = hold_idle(port, args.idle)
            plain_served, plain_errors, plain_rate = drive(port, "/", files, args.clients,
                                                           args.seconds)
        finally:
            for sock in idle:
                sock.close()
            plain.terminate()
            plain.wait()
        print(f"http.server:  {plain_served} requests, {plain_errors} errors, "
              f"{plain_rate / 1e6:.1f} MB/s")
        ratio = rate / plain_rate if plain_rate else float("inf")
        print(f"throughput ratio ipwhl serve / http.server: {ratio:.2f} (target >= 0.5)")
        print(f"errors: {errors} (target 0); gateway peak RSS: {rss / 1e6:.1f} MB")
        return 0 if errors == 0 and ratio >= 0.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())

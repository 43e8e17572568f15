"""Benchmark a cold ``ipwhl publish`` against a plain parallel downloader.

A local PEP 503 index on 127.0.0.1 plays a real one: every request waits DELAY_MS before
its answer (the round trips to a distant server) and each connection is held to RATE_MB
megabytes a second (a CDN's limit per stream).  It serves WHEELS wheels (default 300)
whose sizes follow the bundled data/'s (:data:`publish.DATA_SIZE_QUANTILES`, the 5%
quantiles of its 1,150 wheels; mean about 3 MB), one project each, declared with
``index:`` sources as ``ipwhl add`` writes them.

In one run it times, in this order:

- ``ipwhl publish --root data --jobs JOBS`` with an empty wheel cache (a fresh
  ``XDG_CACHE_HOME``; ``PIP_INDEX_URL`` points at the local index), from the process's
  start to its end: every project page and every wheel fetched, each wheel verified
  against its CID, then the DAG built;
- a plain downloader: JOBS threads, each with its own ``requests`` session, fetching the
  same URLs (every project page and every wheel) and streaming each body to a file.

and prints both wall times and their ratio (target: at most 1.3).

    python benchmarks/cold_publish.py [--wheels 300] [--jobs 8] [--delay-ms 50] [--rate-mb 10]
"""

from __future__ import annotations

import argparse
import hashlib
import html
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from publish import SETTINGS, _wheel, data_like_size  # benchmarks/publish.py

from ipwhl_checks.repo.layout import declaration_path
from ipwhl_checks.sources.pool import DEFAULT_JOBS
from ipwhl_checks.unixfs import file_cid

ROOT = Path(__file__).resolve().parent.parent
PROFILE = "unixfs-v1-2025"


class SlowIndex(ThreadingHTTPServer):
    """A static index under *root*: each answer after *delay* s, each connection at most
    *rate* bytes a second."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, root: Path, delay: float, rate: float) -> None:
        self.root, self.delay, self.rate = root, delay, rate
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(SimpleHTTPRequestHandler):
    server: SlowIndex
    protocol_version = "HTTP/1.1"  # keep-alive, as a real index

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(args[2].root), **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(self.server.delay)
        path = self.server.root / self.path.split("?", 1)[0].lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        try:
            f = path.open("rb")
        except OSError:
            self.send_error(404)
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if path.suffix == ".html"
                             else "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            start, sent, chunk = time.monotonic(), 0, 64 * 1024
            while data := f.read(chunk):
                self.wfile.write(data)
                sent += len(data)
                ahead = sent / self.server.rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)


def build(root: Path, count: int, seed: int = 1) -> tuple[Path, list[str]]:
    """The index (root/index: simple/<project>/index.html, files/) and a data tree
    (root/data) declaring its wheels; the URLs of every page and wheel."""
    rng = random.Random(seed)
    data, files = root / "data", root / "index" / "files"
    data.mkdir()
    files.mkdir(parents=True)
    (data / "repository.toml").write_text(SETTINGS)
    urls = []
    for i in range(count):
        project = f"cold{i:04d}"
        wheel = _wheel(files, project, "1.0", rng.randbytes(data_like_size(rng)))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        page = root / "index" / "simple" / project
        page.mkdir(parents=True)
        (page / "index.html").write_text(
            f'<!DOCTYPE html><html><body><a href="../../files/{html.escape(wheel.name)}'
            f'#sha256={digest}">{wheel.name}</a></body></html>\n')
        cid, _size = file_cid(wheel, PROFILE)
        target = declaration_path(data, wheel.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"source = 'index:{project}/{wheel.name}'\ncontent-id = '{cid}'\n"
                          "requires-python = '>=3.8'\nextras = []\ndependencies = []\n")
        urls += [f"/simple/{project}/", f"/files/{wheel.name}"]
    return data, urls


def cold_publish(data: Path, index: str, cache: Path, jobs: int) -> tuple[float, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PIP_INDEX_URL": index + "/simple/"}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "ipwhl_checks", "publish", "--root",
                           str(data), "--jobs", str(jobs)], env=env, capture_output=True,
                          text=True, cwd=ROOT)
    took = time.monotonic() - start
    if done.returncode:
        raise SystemExit(f"ipwhl publish failed ({done.returncode}):\n{done.stderr}")
    return took, done.stdout.splitlines()[-1]


def plain_download(base: str, urls: list[str], out: Path, jobs: int) -> float:
    local = threading.local()

    def fetch(i_url: tuple[int, str]) -> int:
        i, url = i_url
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        with session.get(base + url, stream=True, timeout=60) as response:
            response.raise_for_status()
            with (out / str(i)).open("wb") as f:
                for chunk in response.iter_content(1 << 18):
                    f.write(chunk)
        return i

    start = time.monotonic()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(fetch, enumerate(urls)))
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--rate-mb", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipwhl-cold-") as tmp:
        root = Path(tmp)
        print(f"building {args.wheels} wheels ...", flush=True)
        data, urls = build(root, args.wheels)
        total = sum(p.stat().st_size for p in (root / "index" / "files").iterdir())
        print(f"{args.wheels} wheels, {total / 1e6:.0f} MB; {args.jobs} threads; "
              f"{args.delay_ms:g} ms a request, {args.rate_mb:g} MB/s a connection",
              flush=True)
        server = SlowIndex(root / "index", args.delay_ms / 1000, args.rate_mb * 1e6)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            took, cid = cold_publish(data, server.url, root / "cache", args.jobs)
            print(f"ipwhl publish (cold):  {took:7.2f} s  {total / took / 1e6:6.1f} MB/s  {cid}",
                  flush=True)
            (root / "plain").mkdir()
            plain = plain_download(server.url, urls, root / "plain", args.jobs)
            print(f"plain downloader:      {plain:7.2f} s  {total / plain / 1e6:6.1f} MB/s")
        finally:
            server.shutdown()
            server.server_close()
            shutil.rmtree(root / "cache", ignore_errors=True)
    ratio = took / plain
    print(f"ratio: {ratio:.2f} (target: at most 1.3) {'OK' if ratio <= 1.3 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

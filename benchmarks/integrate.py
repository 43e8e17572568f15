"""Benchmark ``ipwhl integrate``: the whole bundled ``data/`` on this machine's interpreter.

Publishes ``data/`` to a temporary ``--out`` tree (wheels from the cache, else their
sources; or give ``--site DIR``, a tree ``ipwhl publish --out`` already wrote), then
integrates every project (each in its own environment, imports only, as many at a time
as there are CPUs) and prints:

- the wall time of the whole run, and its CPU time (this process and its children);
- the per-project median and the slowest projects (install and imports);
- the peak disk use of the run's temporary directory, sampled every 0.2 s: the bytes of
  files that are not hard links (uv links the wheels' files from its cache, which takes
  no new space), with uv's cache growth beside it;
- the outcomes.

Target (the issue): the whole repository in under 5 minutes on 2 cores with a warm wheel
cache.  For scale, the issue measured installing all projects together from a local copy
with uv at about 4 s, and importing their top-level modules one interpreter each at about
50 s.  Run: ``.venv/bin/python benchmarks/integrate.py [--site DIR] [-j N]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ipwhl_checks.integrate.published import open_published  # noqa: E402
from ipwhl_checks.integrate.report import summary_text  # noqa: E402
from ipwhl_checks.integrate.run import Options, integrate  # noqa: E402
from ipwhl_checks.integrate.sandbox import Sandbox  # noqa: E402
from ipwhl_checks.integrate.target import probe  # noqa: E402
from ipwhl_checks.publish.build import PublishOptions, publish  # noqa: E402
from ipwhl_checks.repo.integration import load_integration  # noqa: E402
from ipwhl_checks.sources import cache  # noqa: E402

TARGET_SECONDS = 300.0


def disk_use(top: Path) -> int:
    """Bytes of the files under *top* that are not hard links, and of its directories."""
    total = 0
    for directory, dirs, files in os.walk(top):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            if st.st_nlink == 1 or name in dirs:
                total += st.st_blocks * 512
    return total


def tree_size(top: Path) -> int:
    total = 0
    for directory, _dirs, files in os.walk(top):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                continue
    return total


class Sampler(threading.Thread):
    def __init__(self, top: Path) -> None:
        super().__init__(daemon=True)
        self.top, self.peak, self.done = top, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak = max(self.peak, disk_use(self.top))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a published tree (default: publish data/)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ipwhl-bench-integrate-"))
    try:
        site = args.site
        if site is None:
            site = work / "site"
            start = time.monotonic()
            publish(ROOT / "data", PublishOptions(out=site))
            print(f"published data/ to {site} in {time.monotonic() - start:.1f} s")
        published = open_published(site=site)
        target = probe(sys.executable)
        integration, _problems = load_integration(ROOT / "data")
        names = [p.name for p in published.manifest.projects]
        options = Options(jobs=args.jobs)
        sandbox = Sandbox(options.memory_mb)
        uv_cache = cache.integrate_uv_cache()
        uv_before = tree_size(uv_cache) if uv_cache.is_dir() else 0
        runs = work / "run"
        runs.mkdir()
        sampler = Sampler(runs)
        sampler.start()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu0 = time.process_time()
        start = time.monotonic()
        try:
            outcomes = integrate(published, target, names, integration, options, sandbox, runs)
        finally:
            sandbox.stop()
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        sampler.done.set()
        sampler.join()
        cpu = (time.process_time() - cpu0 + after.ru_utime - before.ru_utime
               + after.ru_stime - before.ru_stime)
        uv_after = tree_size(uv_cache) if uv_cache.is_dir() else 0
        seconds = sorted(o.seconds for o in outcomes if o.outcome != "skipped")
        slowest = sorted(outcomes, key=lambda o: -o.seconds)[:5]
        print(f"interpreter: {target.name} (Python {target.python}), {args.jobs} jobs, "
              f"sandbox: {sandbox.network}")
        print(f"projects: {len(outcomes)}; {summary_text(outcomes, None, 0)}")
        print(f"wall: {wall:.1f} s (target {TARGET_SECONDS:.0f} s: "
              f"{'met' if wall < TARGET_SECONDS else 'MISSED'}); CPU: {cpu:.1f} s")
        print(f"per project: median {statistics.median(seconds):.2f} s, "
              f"mean {statistics.mean(seconds):.2f} s, max {seconds[-1]:.1f} s")
        print("slowest: " + ", ".join(f"{o.project} {o.seconds:.1f} s" for o in slowest))
        print(f"peak disk use: {sampler.peak / 2**20:.1f} MiB (not counting hard links); "
              f"uv cache grew by {(uv_after - uv_before) / 2**20:.1f} MiB")
        published.close()
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark ``ipwhl check`` on a synthetic tree of 10,000 projects x 3 declarations.

Usage: ``.venv/bin/python benchmarks/check.py [--projects N] [--keep DIR]``

Builds the tree in a temporary directory, then measures in one run and prints:

* the floor: walking the tree and parsing every file with ``tomllib`` alone;
* a full check (:func:`ipwhl_checks.checks.run.check_tree` timed inside a fresh interpreter)
  and the command ``ipwhl check --root DIR`` (interpreter start included), and their
  ratio to the floor (target: at most 3x);
* the per-file pre-commit hook (``ipwhl-check-declarations``) on one changed file,
  interpreter start included (target: under 1 s), and ``ipwhl check PATH``.

The tree is realistic in shape: every project has three wheels of one release (manylinux,
Windows and macOS builds, or pure wheels for two Python ranges), 0-6 dependencies on other
projects with version ranges, markers and extras, all satisfied on the six supported
environments, so that every check does its full work and finds nothing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable
from pathlib import Path

from ipwhl_checks.repo.layout import declaration_path

SETTINGS = """\
profile = 'unixfs-v1-2025'
python = ['3.12', '3.13']
platforms = ['manylinux_2_28_x86_64', 'win_amd64', 'macosx_14_0_arm64']
"""
PLATFORM_WHEELS = ("cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64",
                   "cp312-abi3-win_amd64", "cp312-abi3-macosx_11_0_arm64")
MARKERS = ("", "", "", "; sys_platform == 'win32'", "; python_version >= '3.13'",
           "; platform_machine == 'x86_64'")


def _cid(name: str) -> str:
    # CIDv1, raw, sha2-256, base32 (multibase 'b'): what `ipfs add --cid-version 1` prints.
    raw = b"\x01\x55\x12\x20" + hashlib.sha256(name.encode()).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def _text(source: str, cid: str, requires_python: str, extras: list[str],
          deps: list[str]) -> str:
    """The canonical text (see ipwhl_checks.repo.fmt; tomlkit is too slow for 30,000 files)."""
    lines = [f"source = '{source}'", f"content-id = '{cid}'",
             f"requires-python = '{requires_python}'",
             "extras = [" + ", ".join(f"'{e}'" for e in extras) + "]"]
    lines += ["dependencies = [", *(f'    "{d}",' for d in deps), "]"] if deps else [
        "dependencies = []"]
    return "\n".join(lines) + "\n"


def build(root: Path, projects: int, seed: int = 0) -> Path:
    """Write the tree under *root*/data; return the path of one declaration in it."""
    rng = random.Random(seed)
    data = root / "data"
    data.mkdir(parents=True)
    (data / "repository.toml").write_text(SETTINGS)
    names = [f"proj{i:05d}" for i in range(projects)]
    extras = {name: ["cli", "speedups"] if i % 4 == 0 else [] for i, name in enumerate(names)}
    sample = None
    for i, name in enumerate(names):
        deps = []
        for j in sorted(rng.sample(range(i), min(i, rng.randrange(7)))):
            other = names[j]
            extra = "[cli]" if extras[other] and rng.random() < 0.3 else ""
            deps.append(f"{other}{extra}>=1.0,<3{rng.choice(MARKERS)}")
        if extras[name]:
            deps.append(f"{names[i - 1] if i else 'proj00000'}>=1; extra == 'cli'"
                        if i else "")
        deps = [d for d in deps if d and not d.startswith(f"{name}")]
        if i % 3 == 0:  # pure wheels: one release per Python range
            wheels = [(f"{name}-1.{i % 7}-py3-none-any.whl", "<3.13"),
                      (f"{name}-2.0-py3-none-any.whl", ">=3.13"),
                      (f"{name}-0.9-py2-none-any.whl", "<3")]
        else:
            wheels = [(f"{name}-2.{i % 5}-{tag}.whl", ">=3.12") for tag in PLATFORM_WHEELS]
        for filename, requires_python in wheels:
            path = declaration_path(data, filename)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_text(f"https://example.invalid/{filename}", _cid(filename),
                                  requires_python, extras[name], deps))
            sample = sample or path
    assert sample is not None
    return sample


def _floor(data: Path) -> tuple[float, float]:
    """(wall, CPU) seconds to walk *data* and parse every file with tomllib."""
    start, cpu = time.perf_counter(), time.process_time()
    for parent, _dirs, files in os.walk(data):
        for name in files:
            with open(os.path.join(parent, name), "rb") as f:
                tomllib.load(f)
    return time.perf_counter() - start, time.process_time() - cpu


def _in_process(root: Path) -> tuple[float, float, int]:
    """check_tree's time in a fresh interpreter (imports and start-up excluded), with the
    cyclic collector paused as ``ipwhl check`` pauses it (see ipwhl_checks.util.nogc)."""
    code = "\n".join([
        "import time",
        "from pathlib import Path",
        "from ipwhl_checks.checks.run import check_tree",
        "from ipwhl_checks.util.nogc import paused_gc",
        "t, c = time.perf_counter(), time.process_time()",
        "with paused_gc():",
        "    n = len(check_tree(Path('data')))",
        "print(time.perf_counter() - t, time.process_time() - c, n)"])
    out = subprocess.run([sys.executable, "-c", code], cwd=root, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall, CPU) seconds of a command, interpreter start included, and its output lines."""
    start, cpu = time.perf_counter(), _children_cpu()
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if result.returncode not in (0, 1):
        sys.exit(f"{argv} failed:\n{result.stderr}")
    return elapsed, cpu, len(result.stdout.splitlines())


def _best(runs: Iterable[tuple[float, ...]]) -> tuple[float, ...]:
    """The fastest of several runs, by wall time (the machine may be busy)."""
    return min(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build the tree here and keep it")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default: 3)")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="ipwhl-bench-"))
    try:
        start = time.perf_counter()
        sample = build(root, args.projects)
        files = sum(len(f) for _p, _d, f in os.walk(root / "data")) - 1
        print(f"tree: {args.projects} projects, {files} declarations "
              f"(built in {time.perf_counter() - start:.1f} s)")
        _floor(root / "data")  # warm the page cache
        # Best of --repeat for each figure (the machine may be busy); each check runs in a
        # fresh process, so no cache of an earlier run helps it.
        floor = _best(_floor(root / "data") for _ in range(args.repeat))
        check = _best(_in_process(root) for _ in range(args.repeat))
        bindir = Path(sys.executable).parent
        command = _best(_timed([str(bindir / "ipwhl"), "check", "--root", "data"], root)
                        for _ in range(args.repeat))
        rel = str(sample.relative_to(root))
        hook = _best(_timed([str(bindir / "ipwhl-check-declarations"), rel], root)
                     for _ in range(args.repeat))
        one_path = _timed([str(bindir / "ipwhl"), "check", rel], root)
        print("                                        wall      CPU   ratio to floor (wall, CPU)")
        print(f"parse floor (tomllib only)         {floor[0]:7.2f} s {floor[1]:7.2f} s")
        for label, (wall, cpu, count) in (
                ("full check, check_tree()", check), ("full check, `ipwhl check`", command)):
            print(f"{label:34} {wall:7.2f} s {cpu:7.2f} s   {wall / floor[0]:.2f}x "
                  f"{cpu / floor[1]:.2f}x   ({count} problems)")
        print(f"per-file hook, one changed file    {hook[0]:7.2f} s {hook[1]:7.2f} s   "
              "(interpreter start included)")
        print(f"`ipwhl check PATH` (whole tree)    {one_path[0]:7.2f} s {one_path[1]:7.2f} s")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark the whole-tree checks: overlaps (IW3xx) and dependencies (IW4xx).

Builds a synthetic tree of 10,000 projects with 3 declarations each (binary wheels per
platform, per Python, and pure wheels split by requires-python; 3 dependencies each, a
third of them with markers) in a temp dir, and prints, measured in one run: the time to
parse every file with tomllib alone (the floor), the time to load the tree, the time of
``find_collisions`` and ``check_dependencies`` on the 20 default environments, and the
ratio of the two checks to the floor; wall seconds, and CPU seconds in parentheses (a
shared machine makes wall times noisy).  The cyclic collector is paused, as ``ipwhl check``
pauses it (see ipwhl_checks.util.nogc).

    python benchmarks/tree_checks.py [PROJECTS]
"""

from __future__ import annotations

import hashlib
import random
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from multiformats import CID, multihash

from ipwhl_checks.checks.deps import check_dependencies
from ipwhl_checks.checks.overlap import find_collisions
from ipwhl_checks.repo.settings import SETTINGS_FILE
from ipwhl_checks.repo.tree import iter_files, load_tree
from ipwhl_checks.util.nogc import paused_gc

SETTINGS = """profile = 'unixfs-v1-2025'
python = ['3.11', '3.12', '3.13', '3.14']
platforms = ['manylinux_2_28_x86_64', 'manylinux_2_28_aarch64', 'macosx_14_0_arm64',
             'macosx_14_0_x86_64', 'win_amd64']
"""
MARKERS = ['; python_version < "3.12"', '; sys_platform == "win32"', '; extra == "fast"',
           '; platform_machine == "x86_64"']


def _wheels(i: int, name: str) -> list[tuple[str, str | None]]:
    """Three (wheel file name, requires-python) of project number *i* that never overlap."""
    kind = i % 3
    if kind == 0:  # one abi3 release, a wheel per platform
        return [(f"{name}-1.{i % 7}.0-cp311-abi3-{plat}.whl", ">=3.11") for plat in (
            "manylinux_2_17_x86_64.manylinux2014_x86_64.manylinux_2_17_aarch64."
            "manylinux2014_aarch64", "macosx_11_0_universal2", "win_amd64")]
    if kind == 1:  # a wheel per Python (abi3 from 3.13 on), each for every platform
        platforms = ("manylinux_2_17_x86_64.manylinux2014_x86_64.manylinux_2_17_aarch64."
                     "manylinux2014_aarch64.macosx_11_0_universal2.win_amd64")
        return [(f"{name}-2.{i % 5}-{abi}-{platforms}.whl", None)
                for abi in ("cp311-cp311", "cp312-cp312", "cp313-abi3")]
    # pure: an old release for old Pythons, a new one for new Pythons, a pre-release for 3.14
    return [(f"{name}-0.9-py3-none-any.whl", "<3.12"),
            (f"{name}-1.0-py3-none-any.whl", ">=3.12,<3.14"),
            (f"{name}-1.1rc1-py3-none-any.whl", ">=3.14")]


def build(root: Path, projects: int) -> int:
    rng = random.Random(42)
    root.mkdir(parents=True)
    (root / SETTINGS_FILE).write_text(SETTINGS)
    names = [f"proj{i:05d}" for i in range(projects)]
    count = 0
    for i, name in enumerate(names):
        deps = []
        targets = {names[i - 1], *(names[rng.randrange(i)] for _ in range(2))} if i else set()
        for target in sorted(targets):
            marker = MARKERS[rng.randrange(len(MARKERS))] if rng.random() < 0.33 else ""
            deps.append(f"{target}>=0.1{marker}")
        directory = root / f"{sum(map(ord, name)) % 256:02x}" / name
        directory.mkdir(parents=True)
        for filename, requires_python in _wheels(i, name):
            digest = multihash.wrap(hashlib.sha256(filename.encode()).digest(), "sha2-256")
            lines = [f"source = 'https://example.org/{filename}'",
                     f"content-id = '{CID('base32', 1, 'raw', digest)}'"]
            if requires_python:
                lines.append(f"requires-python = '{requires_python}'")
            lines.append("extras = ['fast']")
            lines.append("dependencies = [" + "".join(f"\n    '{d}'," for d in deps) + "\n]")
            (directory / f"{filename[:-4]}.toml").write_text("\n".join(lines) + "\n")
            count += 1
    return count


T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """``fn()``, its wall and its CPU seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - start, time.process_time() - cpu


def _parse_all(root: Path) -> None:
    for path in iter_files(root):
        with path.open("rb") as f:
            tomllib.load(f)


def main() -> None:
    projects = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp, paused_gc():
        root = Path(tmp) / "data"
        count = build(root, projects)
        _, floor, floor_cpu = _timed(lambda: _parse_all(root))
        tree, loading, loading_cpu = _timed(lambda: load_tree(root))
        assert not tree.problems, tree.problems[:3]
        overlaps, overlap_time, overlap_cpu = _timed(
            lambda: find_collisions(tree.declarations, pythons=tree.settings.pythons))
        unmet, deps_time, deps_cpu = _timed(
            lambda: check_dependencies(tree.declarations, tree.settings))
    print(f"{count} declarations, {len(tree.settings.environments)} environments")
    print(f"tomllib parse floor:  {floor:.2f} s ({floor_cpu:.2f} CPU s)")
    print(f"load_tree:            {loading:.2f} s ({loading_cpu:.2f} CPU s)")
    print(f"find_collisions:      {overlap_time:.2f} s ({overlap_cpu:.2f} CPU s, "
          f"{len(overlaps)} problems)")
    print(f"check_dependencies:   {deps_time:.2f} s ({deps_cpu:.2f} CPU s, "
          f"{len(unmet)} problems)")
    print(f"overlap + deps / floor: {(overlap_time + deps_time) / floor:.2f} "
          f"({(overlap_cpu + deps_cpu) / floor_cpu:.2f} by CPU time)")
    for problem in (overlaps + unmet)[:5]:
        print("  e.g.", problem)


if __name__ == "__main__":
    main()

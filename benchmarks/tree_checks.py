"""Benchmark the whole-tree checks: overlaps (IW3xx) and dependencies (IW4xx).

Builds a synthetic tree of 10,000 projects with 3 declarations each (binary wheels per
platform, per Python, and pure wheels split by requires-python; 3 dependencies each, a
third of them with markers) in a temp dir, and prints, measured in one run: the time to
parse every file with tomllib alone (the floor), the time to load the tree, the time of
``find_collisions`` and ``check_dependencies`` on the 20 default environments, and the
ratio of the two checks to the floor.

    python benchmarks/tree_checks.py [PROJECTS]
"""

from __future__ import annotations

import hashlib
import random
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from multiformats import CID, multihash

from ipwhl_checks.checks.deps import check_dependencies
from ipwhl_checks.checks.overlap import find_collisions
from ipwhl_checks.repo.settings import SETTINGS_FILE
from ipwhl_checks.repo.tree import iter_files, load_tree

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


def main() -> None:
    projects = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        count = build(root, projects)
        start = time.perf_counter()
        for path in iter_files(root):
            with path.open("rb") as f:
                tomllib.load(f)
        floor = time.perf_counter() - start
        start = time.perf_counter()
        tree = load_tree(root)
        loading = time.perf_counter() - start
        assert not tree.problems, tree.problems[:3]
        start = time.perf_counter()
        overlaps = find_collisions(tree.declarations, pythons=tree.settings.pythons)
        overlap_time = time.perf_counter() - start
        start = time.perf_counter()
        unmet = check_dependencies(tree.declarations, tree.settings)
        deps_time = time.perf_counter() - start
    print(f"{count} declarations, {len(tree.settings.environments)} environments")
    print(f"tomllib parse floor:  {floor:.2f} s")
    print(f"load_tree:            {loading:.2f} s")
    print(f"find_collisions:      {overlap_time:.2f} s ({len(overlaps)} problems)")
    print(f"check_dependencies:   {deps_time:.2f} s ({len(unmet)} problems)")
    print(f"overlap + deps / floor: {(overlap_time + deps_time) / floor:.2f}")
    for problem in (overlaps + unmet)[:5]:
        print("  e.g.", problem)


if __name__ == "__main__":
    main()

"""Benchmark ``ipwhl outdated`` and ``ipwhl upgrade --all --commit`` on a synthetic
repository served by a local index.

Usage: ``.venv/bin/python benchmarks/upgrade.py [--projects N] [--seed S]``

The index (``tests/indexserver.py`` on 127.0.0.1, PEP 658 metadata files served) holds N
projects (default 300) with four releases each, 1.0 to 1.3, pure wheels; each release
depends on 0-3 projects with a lower number, ``>=1.0``, and one dependency in ten has an
upper bound ``<1.2`` (which holds its target at 1.1, unless the dependent's release 1.3
lifts it, as half of them do); one project in twenty pins a companion's version (``==``
its own), a set that must move together.  The repository declares every project at 1.0
(written by ``ipwhl add --recursive``, which the benchmark times too) in a git repository.
It prints the wall time of ``ipwhl outdated``, of ``ipwhl upgrade --all --commit`` (the
commits included), the number of commits and of held projects, and the ``ipwhl check``
of the result.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.indexserver import IndexServer  # noqa: E402
from tests.wheelmaker import make_wheel  # noqa: E402

SETTINGS = ("profile = 'unixfs-v1-2025'\npython = ['3.11', '3.12', '3.13']\n"
            "platforms = ['manylinux_2_28_x86_64', 'win_amd64', 'macosx_14_0_arm64']\n")
VERSIONS = ["1.0", "1.1", "1.2", "1.3"]


def _catalogue(n: int, seed: int) -> dict[str, dict[str, list[str]]]:
    """{project: {version: dependencies}}."""
    rng = random.Random(seed)
    names = [f"p{i:04d}" for i in range(n)]
    out: dict[str, dict[str, list[str]]] = {}
    for i, name in enumerate(names):
        targets = rng.sample(names[:i], min(i, rng.randint(0, 3)))
        bounded = [t for t in targets if rng.random() < 0.1]
        kept = [t for t in bounded if rng.random() < 0.5]  # bounded in every release
        pinned = names[i - 1] if i and rng.random() < 0.05 else None
        out[name] = {}
        for version in VERSIONS:
            deps = [f"{t}>=1.0,<1.2" if t in kept or (t in bounded and version != "1.3")
                    else f"{t}>=1.0"
                    for t in targets if t != pinned]
            if pinned:
                deps.append(f"{pinned}=={version}")
            out[name][version] = deps
    return out


def _run(*args: str, cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ipwhl_checks", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=3600)
    return time.perf_counter() - start, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    catalogue = _catalogue(args.projects, args.seed)
    with tempfile.TemporaryDirectory() as tmp_name, IndexServer(Path(tmp_name) / "index") as index:
        tmp = Path(tmp_name)
        for name, releases in catalogue.items():
            for version, deps in releases.items():
                index.publish(make_wheel(tmp / "w", name, version, dependencies=deps))
        os.environ.update(PIP_INDEX_URL=index.index_url, XDG_CACHE_HOME=str(tmp / "cache"),
                          GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(tmp / "gitconfig"))
        repo = tmp / "repo"
        (repo / "data").mkdir(parents=True)
        (repo / "data" / "repository.toml").write_text(SETTINGS)
        for key, value in [("user.name", "Bench"), ("user.email", "bench@ipwhl.test")]:
            subprocess.run(["git", "config", "--global", key, value], check=True)
        added, done = _run("add", "--recursive", *(f"{p}==1.0" for p in catalogue), cwd=repo)
        assert done.returncode == 0, done.stderr
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        subprocess.run(["git", "commit", "-qm", "1.0"], cwd=repo, check=True)
        outdated, done = _run("outdated", cwd=repo)
        held = sum(" held: " in line for line in done.stdout.splitlines())
        upgraded, done = _run("upgrade", "--all", "--commit", cwd=repo)
        assert done.returncode == 0, done.stderr
        commits = sum(line.startswith("committed ") for line in done.stdout.splitlines())
        still = sum(" held: " in line for line in done.stdout.splitlines())
        checked, check = _run("check", cwd=repo)
        print(f"{args.projects} projects x {len(VERSIONS)} releases, "
              f"{len(list((repo / 'data').rglob('*.toml'))) - 1} declarations")
        print(f"ipwhl add --recursive (all at 1.0): {added:.1f} s")
        print(f"ipwhl outdated: {outdated:.1f} s, {held} held lines")
        print(f"ipwhl upgrade --all --commit: {upgraded:.1f} s, {commits} commits, "
              f"{still} held")
        print(f"ipwhl check after: exit {check.returncode} ({checked:.1f} s)")
        return check.returncode


if __name__ == "__main__":
    raise SystemExit(main())

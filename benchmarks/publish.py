"""Benchmark ``ipwhl publish``: full and incremental, and the share of time spent hashing.

Times are printed as wall and CPU seconds (this process, its threads and the git processes
it runs): on a shared machine the CPU figures are the ones to compare.  An incremental
publish's row also gives the git processes' part of its CPU time (git's look at the work
tree grows with the number of project directories).

Part 1 builds a synthetic repository of PROJECTS projects (default 10,000), one small
generated wheel each, with file:// sources, in a temp dir.  Wheel payloads are
incompressible and their sizes log-normal (the shape of pure-Python wheel sizes: many
small, a long tail): median MEDIAN_KB (default 64), sigma 1, clipped to 8 KiB .. 1 MiB (so
each wheel stays one 1 MiB chunk, "small"); mean about 1.6 x the median.  It prints:

- full publish, cold: wheels copied into an empty cache (each verified against its CID);
- full publish, warm: every wheel read from the cache (what CI does after ``check --online``),
  without and with a CAR (CI writes one), and once making no site (``/_browse/`` linked by
  its CID), for the site's share of the time;
- incremental publish after changing one project (``--previous`` = the warm run's manifest,
  with its site's ``_browse/site.json`` beside it, read as part of the incremental run;
  a delta CAR), the data tree being a git work tree with that manifest's ``source-commit``
  (git lists the changed files), again with the digest scan of every file, once more with
  the change committed, as ``ipwhl publish --previous`` runs in a clean checkout
  (source_commit() checks the tree, git compares the two commits), and last as ``ipwhl
  release --previous-from`` runs in CI: the commit's tree read from git's objects
  (``--commit``), the work tree not walked, a changes page against the previous commit
  (with a full publish from the commit as well, for a like-for-like ratio);
- their ratios (target: incremental under 5% of full), against the full publish without
  and with a CAR;
- checks that the delta CAR holds exactly the blocks of the new full CAR that the old one
  lacks, and that the incremental root CID is the full publish's;
- the share of the warm full publish spent hashing (target: above 70%), defined as
  H / T: H is the CPU time ``hashlib.sha256`` alone takes, in the same run, over exactly
  the bytes the publish must hash (each wheel's blocks and, for a wheel of more than one
  block, its whole-file sha256; the .metadata and page files; the small declaration and
  directory blocks are left out, which favours the share slightly), T the publish's CPU
  time (and, printed beside it, its wall time).

Part 2 measures the hashing share again on REAL_PROJECTS (default 400) projects whose
wheel sizes follow the bundled data/'s: :data:`DATA_SIZE_QUANTILES` are the 5% quantiles
of its 1,150 wheels (median 294 KiB, mean 3.0 MB), sampled log-linearly between them.

Last, a summary gives each incremental ratio (to the warm full publish) and each hashing
share in CPU time, with its target.

    python benchmarks/publish.py [PROJECTS] [MEDIAN_KB] [REAL_PROJECTS]
"""

from __future__ import annotations

import base64
import dataclasses
import gc
import hashlib
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ipwhl_checks.ipld.car import index_car
from ipwhl_checks.publish.browse import SITE_DIR, STATE_NAME, site_beside
from ipwhl_checks.publish.browse import Baseline as Since
from ipwhl_checks.publish.build import PublishOptions, PublishResult, publish, source_commit
from ipwhl_checks.publish.committed import CommittedTree, committed_tree
from ipwhl_checks.publish.previous import Previous, load_previous
from ipwhl_checks.repo.layout import declaration_path
from ipwhl_checks.unixfs import DagBuilder, get_profile

PROFILE = "unixfs-v1-2025"
SETTINGS = f"profile = '{PROFILE}'\npython = ['3.12']\nplatforms = ['manylinux_2_28_x86_64']\n"


def _declare(data: Path, wheel: Path) -> None:
    with wheel.open("rb") as f:
        cid = str(DagBuilder(get_profile(PROFILE)).add_file(f).cid)
    path = declaration_path(data, wheel.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"source = '{wheel.as_uri()}'\ncontent-id = '{cid}'\n"
                    "requires-python = '>=3.8'\nextras = []\ndependencies = []\n")


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _wheel(directory: Path, name: str, version: str, payload: bytes) -> Path:
    """A small valid wheel (PEP 427: METADATA, WHEEL, RECORD), payload stored uncompressed."""
    dist_info = f"{name}-{version}.dist-info"
    members = {
        f"{name}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{name}/payload.bin": payload,
        f"{dist_info}/METADATA": (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                  "Requires-Python: >=3.8\n\n").encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n",
    }
    record = [f"{m},sha256={_b64(hashlib.sha256(d).digest())},{len(d)}"
              for m, d in members.items()]
    members[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(zipfile.ZipInfo(member, (2020, 1, 1, 0, 0, 0)), data)
    return path


SIGMA, MIN_KB, MAX_KB = 1.0, 8, 1024


def payload_size(rng: random.Random, median_kb: int) -> int:
    """A payload size in bytes: log-normal (median *median_kb* KiB, SIGMA), clipped."""
    kb = rng.lognormvariate(math.log(median_kb), SIGMA)
    return int(min(max(kb, MIN_KB), MAX_KB) * 1024) - 2048  # room for the zip's overhead


def build(root: Path, projects: int, median_kb: int) -> tuple[Path, Path]:
    data, wheels = root / "data", root / "wheels"
    data.mkdir()
    wheels.mkdir()
    (data / "repository.toml").write_text(SETTINGS)
    rng = random.Random(499)
    for i in range(projects):
        payload = rng.randbytes(payload_size(rng, median_kb))
        _declare(data, _wheel(wheels, f"proj{i:05d}", "1.0", payload))
    return data, wheels


def cpu_time() -> float:
    """CPU seconds of this process, its threads and its waited-for children (git)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def git_cpu_time() -> float:
    """CPU seconds of the waited-for child processes (the git commands) so far."""
    t = os.times()
    return t.children_user + t.children_system


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off, as ``ipwhl`` runs a command (its entry point
    pauses it once; the library functions called here do not)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def timed(data: Path | CommittedTree, **options: object) -> tuple[float, float, PublishResult]:
    """(wall seconds, CPU seconds of this process, its threads and children, result)."""
    wall, cpu = time.perf_counter(), cpu_time()
    with paused_gc():
        result = publish(data, PublishOptions(allow_file=True, **options))  # type: ignore[arg-type]
    return time.perf_counter() - wall, cpu_time() - cpu, result


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@ipwhl.test",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@ipwhl.test"}
    subprocess.run(["git", "-C", str(cwd), *args], check=True, env=env)


def git_commit(data: Path) -> str:
    """Make the data tree's parent a git work tree, the data tree its one commit; the
    commit's object name."""
    for args in (["init", "-q"], ["add", data.name], ["commit", "-q", "-m", "data"]):
        git(data.parent, *args)
    os.environ.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    commit = source_commit(data)
    assert commit is not None
    return commit


def hashing_floor(result: PublishResult, cache: Path) -> tuple[float, int]:
    """CPU seconds hashlib.sha256 alone takes over the bytes the publish hashes, and their count.

    Every wheel once (a wheel of at most one chunk is one raw block, whose digest is also
    its #sha256; larger ones are hashed as blocks and whole), the small files once per
    block and once whole; the directory blocks are left out (a few bytes per project).
    """
    chunk = get_profile(PROFILE).chunk_size
    blobs = sorted((cache / "ipwhl" / "wheels").rglob("*.whl"))
    contents = [path.read_bytes() for path in blobs]  # from the page cache, as the publish
    m = result.manifest
    small = [os.urandom(f.size) for p in m.projects
             for f in (p.index, *(w.metadata for w in p.wheels))]
    total = 0
    start = time.process_time()
    for data in contents:
        view = memoryview(data)  # (slices without copies)
        for offset in range(0, max(len(data), 1), chunk):
            hashlib.sha256(view[offset:offset + chunk]).digest()
        if len(data) > chunk:
            hashlib.sha256(data).digest()
        total += len(data) * (1 if len(data) <= chunk else 2)
    for data in small:
        hashlib.sha256(data).digest()
        hashlib.sha256(data).digest()
        total += 2 * len(data)
    return time.process_time() - start, total


# The bundled data/'s 1,150 wheel sizes in bytes, at 0%, 5%, ..., 100% (measured with
# the wheel cache of `ipwhl check --online`, 2026-11-28).
DATA_SIZE_QUANTILES = [
    4215, 15148, 33320, 53724, 78784, 104018, 126163, 184764, 226041, 250424, 294869,
    376707, 535446, 809356, 1279546, 1964420, 3351071, 5546993, 8823698, 12608406, 55063542]


def data_like_size(rng: random.Random) -> int:
    """A wheel size drawn from data/'s distribution (log-linear between its quantiles)."""
    x = rng.random() * (len(DATA_SIZE_QUANTILES) - 1)
    i = min(int(x), len(DATA_SIZE_QUANTILES) - 2)
    low, high = DATA_SIZE_QUANTILES[i], DATA_SIZE_QUANTILES[i + 1]
    return max(int(low * (high / low) ** (x - i)) - 2048, 1024)


def build_sized(root: Path, sizes: list[int]) -> tuple[Path, Path]:
    """A repository of one wheel per size (payload bytes), like :func:`build`."""
    data, wheels = root / "data", root / "wheels"
    data.mkdir()
    wheels.mkdir()
    (data / "repository.toml").write_text(SETTINGS)
    for i, size in enumerate(sizes):
        _declare(data, _wheel(wheels, f"real{i:05d}", "1.0", os.urandom(size)))
    return data, wheels


# (what, CPU ratio, target, whether above the target is met), printed last by main()
SUMMARY: list[tuple[str, float, float, bool]] = []


def _verdict(value: float, target: float, above: bool) -> str:
    met = value > target if above else value < target
    return "met" if met else "NOT met"


def _share(label: str, floor: float, hashed: int, wall: float, cpu: float,
           summary: str) -> None:
    SUMMARY.append((summary, floor / cpu, 0.7, True))
    print(f"{label:34} {'':9} {floor:8.2f}s   hashlib.sha256 alone over {hashed / 1e9:.2f} GB")
    print(f"  hashing share (floor / publish):  {floor / wall:8.2%}  {floor / cpu:8.2%}"
          f"   target > 70%: wall {_verdict(floor / wall, 0.7, True)}, "
          f"cpu {_verdict(floor / cpu, 0.7, True)}")


def _ratio(label: str, inc: float, inc_cpu: float, full: float, full_cpu: float) -> None:
    print(f"  {label:32} {inc / full:8.2%}  {inc_cpu / full_cpu:8.2%}   target < 5%: "
          f"wall {_verdict(inc / full, 0.05, False)}, "
          f"cpu {_verdict(inc_cpu / full_cpu, 0.05, False)}")


Baseline = tuple[str, float, float]  # (label, wall, CPU) of a full publish


def incremental(label: str, prepare: Callable[[], tuple[Path | CommittedTree, Previous,
                                                      dict[str, object]]],
                car: Path, baselines: list[Baseline]) -> PublishResult:
    """Time an incremental publish (what *prepare* does, reading --previous included),
    print its row and its ratios to the *baselines*; its result."""
    wall, cpu, git_cpu = time.perf_counter(), cpu_time(), git_cpu_time()
    with paused_gc():
        target, previous, options = prepare()
    wall, cpu = time.perf_counter() - wall, cpu_time() - cpu
    inc, inc_cpu, delta = timed(target, previous=previous, car=car, **options)
    inc, inc_cpu = inc + wall, inc_cpu + cpu
    print(f"{label:34} {inc:8.2f}s {inc_cpu:8.2f}s   reused {delta.reused_projects}, read "
          f"{delta.fetched_wheels} wheel(s), delta CAR of {delta.car_blocks} blocks; "
          f"git {git_cpu_time() - git_cpu:.2f}s cpu")
    for name, full, full_cpu in baselines:
        _ratio(name, inc, inc_cpu, full, full_cpu)
    SUMMARY.append((f"{label.rstrip(':')} / full publish", inc_cpu / baselines[0][2], 0.05,
                    False))
    return delta


def car_cids(path: Path) -> set[bytes]:
    with path.open("rb") as f:
        return set(index_car(f, str(path)).blocks)


def part1(root: Path, projects: int, kb: int) -> None:
    start = time.perf_counter()
    data, wheels = build(root, projects, kb)
    sizes = sorted(p.stat().st_size for p in wheels.iterdir())
    print(f"synthetic repository: {projects} projects, one generated wheel each, built in "
          f"{time.perf_counter() - start:.1f} s")
    print(f"wheel sizes: log-normal, median {kb} KiB, sigma {SIGMA}, clipped to "
          f"{MIN_KB} KiB..{MAX_KB} KiB; measured: median {sizes[len(sizes) // 2] / 1024:.0f} "
          f"KiB, mean {sum(sizes) / len(sizes) / 1024:.0f} KiB, total "
          f"{sum(sizes) / 1e9:.2f} GB")
    print(f"{'':34} {'wall':>9} {'cpu':>9}")
    wall, cpu, _ = timed(data)
    print(f"full publish, cold cache:          {wall:8.2f}s {cpu:8.2f}s")
    commit = git_commit(data)
    full, full_cpu, result = timed(data, source_commit=commit)
    print(f"full publish, warm cache:          {full:8.2f}s {full_cpu:8.2f}s   "
          f"root {result.root_cid}")
    # the same publish making no site (linked by its CID, as `ipwhl verify` links it
    # without integration results): what the site costs
    bare, bare_cpu, linked = timed(data, source_commit=commit,
                                   site=(result.site_cid, result.site_size))
    assert linked.root_cid == result.root_cid
    print(f"{'full publish, warm, no site made:':34} {bare:8.2f}s {bare_cpu:8.2f}s   the site: "
          f"{(full - bare) / full:.1%} of the wall time, {(full_cpu - bare_cpu) / full_cpu:.1%} "
          "of the CPU time")
    old_car = root / "full-old.car"
    car_full, car_full_cpu, _ = timed(data, source_commit=commit, car=old_car)
    print(f"full publish, warm, with a CAR:    {car_full:8.2f}s {car_full_cpu:8.2f}s   "
          f"{old_car.stat().st_size / 1e9:.2f} GB")
    manifest = root / "manifest.json"
    manifest.write_bytes(result.manifest_bytes)
    # the site's state where --out would have it, beside the manifest (`ipwhl publish
    # --previous` reads it there: the unchanged projects' pages are linked by CID)
    (root / SITE_DIR).mkdir()
    (root / SITE_DIR / STATE_NAME).write_bytes(result.site_state)

    # change one project: a new version of proj00042
    for old in data.rglob("proj00042-*.toml"):
        old.unlink()
    _declare(data, _wheel(wheels, "proj00042", "1.1", os.urandom(sizes[len(sizes) // 2])))
    baselines = [("/ full publish:", full, full_cpu),
                 ("/ full publish with a CAR:", car_full, car_full_cpu)]
    cars: list[tuple[str, bytes]] = []
    for how in ("git", "digest scan"):
        def prepare(how: str = how) -> tuple[Path, Previous, dict[str, object]]:
            previous = load_previous(manifest)
            if how != "git":  # no commit to ask git about: every file is digested
                previous = dataclasses.replace(previous, source_commit=None)
            return data, previous, {"previous_site": site_beside(manifest)}
        car = root / f"delta-{len(cars)}.car"
        delta = incremental(f"incremental, 1 changed ({how}):", prepare, car, baselines)
        cars.append((delta.root_cid, car.read_bytes()))
    assert cars[0] == cars[1], "git and the digest scan disagree"
    new_car = root / "full-new.car"
    again = timed(data, car=new_car)[2]
    assert again.root_cid == delta.root_cid, "incremental and full publish disagree"
    assert car_cids(root / "delta-0.car") == car_cids(new_car) - car_cids(old_car), \
        "the delta CAR is not the new blocks"
    print("checked: incremental root CID = full publish's; delta CAR = new full CAR's blocks "
          "less the old one's")

    # the change committed: `ipwhl publish --previous` in a clean work tree (source_commit()
    # checks the tree, its walk; git compares the two commits' trees) ...
    git(data.parent, "add", data.name)
    git(data.parent, "commit", "-q", "-m", "proj00042 1.1")

    def in_work_tree() -> tuple[Path, Previous, dict[str, object]]:
        return data, load_previous(manifest), {"source_commit": source_commit(data),
                                               "clean": True,
                                               "previous_site": site_beside(manifest)}
    delta = incremental("incremental, 1 changed, committed:", in_work_tree,
                        root / "delta-committed.car", baselines)
    head = source_commit(data)
    assert timed(data, source_commit=head)[2].root_cid == delta.root_cid

    # ... and as `ipwhl release` runs in CI: the commit's tree read from git's objects
    # (--commit), the work tree not walked; git diff-tree lists the changed files
    # (as `ipwhl release --previous-from` publishes: with a changes page against the
    # previous release's commit)
    tree_full, tree_full_cpu, again = timed(committed_tree(data),
                                            changes_since=Since(committed_tree(data, commit)))
    print(f"{'full publish, warm, from the commit:':34} {tree_full:8.2f}s {tree_full_cpu:8.2f}s")

    def from_commit() -> tuple[CommittedTree, Previous, dict[str, object]]:
        return committed_tree(data), load_previous(manifest), {
            "previous_site": site_beside(manifest),
            "changes_since": Since(committed_tree(data, commit))}
    delta = incremental("incremental, 1 changed, --commit:", from_commit,
                        root / "delta-commit.car",
                        [*baselines, ("/ full publish from the commit:", tree_full,
                                      tree_full_cpu)])
    assert delta.root_cid == again.root_cid
    since = timed(committed_tree(data), changes_since=Since(committed_tree(data, commit)),
                  car=root / "full-commit.car")[2]
    assert since.root_cid == delta.root_cid
    assert car_cids(root / "delta-commit.car") == \
        car_cids(root / "full-commit.car") - car_cids(old_car), \
        "the delta CAR (with a changes page) is not the new blocks"

    floor, hashed = hashing_floor(result, root / "cache")
    _share("hashing floor:", floor, hashed, full, full_cpu,
           f"hashing share, {kb} KiB median wheels")


def part2(root: Path, projects: int) -> None:
    rng = random.Random(2025)
    sizes = [data_like_size(rng) for _ in range(projects)]
    data, _ = build_sized(root, sizes)
    print(f"\nrepository with data/'s wheel sizes: {projects} projects, median "
          f"{sorted(sizes)[projects // 2] / 1024:.0f} KiB, mean {sum(sizes) / projects / 1e6:.1f}"
          f" MB, total {sum(sizes) / 1e9:.2f} GB")
    timed(data)  # fills the cache
    full, full_cpu, result = timed(data)
    print(f"full publish, warm cache:          {full:8.2f}s {full_cpu:8.2f}s")
    floor, hashed = hashing_floor(result, root / "cache")
    _share("hashing floor:", floor, hashed, full, full_cpu,
           "hashing share, wheels sized like data/'s")


def main() -> int:
    projects = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    kb = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    real = int(sys.argv[3]) if len(sys.argv) > 3 else 400
    for part, args in ((part1, (projects, kb)), (part2, (real,))):
        with tempfile.TemporaryDirectory(prefix="ipwhl-bench-") as tmp:
            os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
            part(Path(tmp), *args)
    print("\nsummary, CPU time (`ipwhl release` in CI publishes incrementally --commit):")
    for what, value, target, above in SUMMARY:
        print(f"  {what:52} {value:7.2%}   target {'>' if above else '<'} {target:.0%}: "
              f"{_verdict(value, target, above)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

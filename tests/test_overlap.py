"""Platform-unique, singly versioned (IW301/IW302).

Each case is two wheels of one project and the witness the check must name (None: they
never install together).  The truth the verdicts are checked against is ``packaging.tags``:
every witness must accept both wheels under the tags packaging generates for that
interpreter and machine, and for every pair of a pool of tag sets the check must find a
collision exactly when some machine of a grid (enumerated by packaging) installs both.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from functools import cache

import pytest
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, generic_tags, parse_tag

from ipwhl_checks.checks.overlap import CHECKS, find_collisions
from ipwhl_checks.repo.declaration import Declaration
from ipwhl_checks.repo.settings import platform_tags

from .declmaker import declaration

# (id, wheel a, requires-python a, wheel b, requires-python b, witness or None)
CASES = [
    ("py2.py3 vs py3", "x-1.0-py2.py3-none-any.whl", None, "x-2.0-py3-none-any.whl", None,
     "cp311-any"),
    ("py2 vs py3", "x-1.0-py2-none-any.whl", None, "x-2.0-py3-none-any.whl", None, None),
    ("any vs binary of one release", "x-1.0-py3-none-any.whl", None,
     "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", None, "cp312-manylinux_2_17_x86_64"),
    ("abi3 vs cp312", "x-1.0-cp38-abi3-manylinux_2_17_x86_64.whl", None,
     "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", None, "cp312-manylinux_2_17_x86_64"),
    ("abi3 vs abi3", "x-1.0-cp38-abi3-win_amd64.whl", None,
     "x-2.0-cp310-abi3-win_amd64.whl", None, "cp311-win_amd64"),
    ("abi3 vs older cp", "x-1.0-cp310-abi3-win_amd64.whl", None,
     "x-1.0-cp39-cp39-win_amd64.whl", None, None),
    ("abi3 vs free-threaded", "x-1.0-cp312-abi3-win_amd64.whl", None,
     "x-1.0-cp313-cp313t-win_amd64.whl", None, None),
    ("free-threaded vs none", "x-1.0-cp313-cp313t-win_amd64.whl", None,
     "x-2.0-py3-none-any.whl", None, "cp313t-win_amd64"),
    ("cp311 vs cp312", "x-1.0-cp311-cp311-win_amd64.whl", None,
     "x-1.0-cp312-cp312-win_amd64.whl", None, None),
    ("cp311-none vs py310", "x-1.0-cp311-none-any.whl", None, "x-2.0-py310-none-any.whl", None,
     "cp311-any"),
    ("cp311-none vs py312", "x-1.0-cp311-none-any.whl", None, "x-2.0-py312-none-any.whl", None,
     None),
    ("cp3x vs py3", "x-1.0-cp39-cp39-macosx_11_0_arm64.whl", None, "x-1.0-py3-none-any.whl",
     None, "cp39-macosx_11_0_arm64"),
    ("pypy vs py3", "x-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl", None,
     "x-1.0-py3-none-any.whl", None, "pp310-manylinux_2_17_x86_64"),
    ("pypy vs cpython", "x-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl", None,
     "x-1.0-cp310-cp310-manylinux_2_17_x86_64.whl", None, None),
    ("manylinux1 alias", "x-1.0-cp311-cp311-manylinux1_x86_64.whl", None,
     "x-1.0-cp311-cp311-manylinux_2_5_x86_64.whl", None, "cp311-manylinux_2_5_x86_64"),
    ("manylinux2010 alias", "x-1.0-cp311-cp311-manylinux2010_x86_64.whl", None,
     "x-2.0-cp311-cp311-manylinux_2_12_x86_64.whl", None, "cp311-manylinux_2_12_x86_64"),
    ("manylinux2014 vs 2_28", "x-1.0-cp312-cp312-manylinux2014_x86_64.whl", None,
     "x-1.0-cp312-cp312-manylinux_2_28_x86_64.whl", None, "cp312-manylinux_2_28_x86_64"),
    ("glibc range", "x-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", None,
     "x-1.0-cp312-cp312-manylinux_2_28_x86_64.whl", None, "cp312-manylinux_2_28_x86_64"),
    ("manylinux x86_64 vs aarch64",
     "x-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", None,
     "x-1.0-cp312-cp312-manylinux_2_28_aarch64.whl", None, None),
    ("manylinux vs musllinux", "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", None,
     "x-1.0-cp312-cp312-musllinux_1_1_x86_64.whl", None, None),
    ("musllinux range", "x-1.0-cp312-cp312-musllinux_1_1_x86_64.whl", None,
     "x-1.0-cp312-cp312-musllinux_1_2_x86_64.whl", None, "cp312-musllinux_1_2_x86_64"),
    ("linux vs manylinux", "x-1.0-cp312-cp312-linux_x86_64.whl", None,
     "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", None, "cp312-manylinux_2_17_x86_64"),
    ("linux vs musllinux", "x-1.0-cp312-cp312-linux_x86_64.whl", None,
     "x-1.0-cp312-cp312-musllinux_1_2_x86_64.whl", None, "cp312-musllinux_1_2_x86_64"),
    ("macOS range", "x-1.0-cp312-cp312-macosx_10_9_x86_64.whl", None,
     "x-1.0-cp312-cp312-macosx_11_0_x86_64.whl", None, "cp312-macosx_11_0_x86_64"),
    ("universal2 vs arm64", "x-1.0-cp312-cp312-macosx_10_9_universal2.whl", None,
     "x-1.0-cp312-cp312-macosx_11_0_arm64.whl", None, "cp312-macosx_11_0_arm64"),
    ("universal2 vs x86_64", "x-1.0-cp312-cp312-macosx_10_9_universal2.whl", None,
     "x-1.0-cp312-cp312-macosx_10_12_x86_64.whl", None, "cp312-macosx_10_12_x86_64"),
    ("intel vs x86_64", "x-1.0-cp39-cp39-macosx_10_6_intel.whl", None,
     "x-1.0-cp39-cp39-macosx_10_9_x86_64.whl", None, "cp39-macosx_10_9_x86_64"),
    ("macOS arm64 vs x86_64", "x-1.0-cp312-cp312-macosx_11_0_arm64.whl", None,
     "x-1.0-cp312-cp312-macosx_10_9_x86_64.whl", None, None),
    ("any vs windows", "x-2.0-py3-none-any.whl", None, "x-1.0-cp312-cp312-win_amd64.whl", None,
     "cp312-win_amd64"),
    ("binary ABI on any installs nowhere", "x-1.0-cp311-cp311-any.whl", None,
     "x-2.0-py3-none-any.whl", None, None),
    ("win32 vs win_amd64", "x-1.0-cp312-cp312-win32.whl", None,
     "x-1.0-cp312-cp312-win_amd64.whl", None, None),
    ("requires-python apart", "x-1.0-py3-none-any.whl", "<3.9", "x-2.0-py3-none-any.whl",
     ">=3.9", None),
    ("requires-python overlap", "x-1.0-py3-none-any.whl", "<3.10", "x-2.0-py3-none-any.whl",
     ">=3.9", "cp39-any"),
    ("requires-python patch apart", "x-1.0-py3-none-any.whl", "<3.8.5",
     "x-2.0-py3-none-any.whl", ">=3.8.5", None),
    ("requires-python patch overlap", "x-1.0-py3-none-any.whl", "<=3.8.5",
     "x-2.0-py3-none-any.whl", ">=3.8.5", "cp38-any"),
]


@pytest.mark.parametrize(("a", "rpa", "b", "rpb", "witness"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_collision(a, rpa, b, rpb, witness):
    da, db = declaration(a, requires_python=rpa), declaration(b, requires_python=rpb)
    problems = find_collisions([db, da])
    if witness is None:
        assert problems == []
        return
    first, second = sorted([da, db], key=lambda d: str(d.path))
    check = "IW301" if da.version == db.version else "IW302"
    assert [(p.path, p.message, p.check) for p in problems] == [(
        str(first.path), f"installable together with {str(second.path)!r} on {witness}", check)]
    assert str(problems[0]) == f"{first.path}: {check} {problems[0].message}"
    assert (problems[0].project, problems[0].environments) == (first.project, (witness,))
    # The truth: packaging's tags for that interpreter on that machine accept both wheels.
    accepted = _tags_of(witness)
    for d in (da, db):
        assert d.tags & accepted, (d.filename, witness)
    specs = [SpecifierSet(s) for s in (rpa, rpb) if s]
    minor = re.match(r"[a-z]+3(\d+)", witness)[1]  # type: ignore[index]
    assert any(all(s.contains(f"3.{minor}.{p}") for s in specs) for p in range(20))


def test_one_call_finds_what_each_pair_alone_finds():
    """One call shares its caches (tag sets, where they meet, the minor versions a set of
    requires-python admits, keyed by value) across pairs and projects; it must find what
    each pair finds alone, whether equal specifier sets are one object or several."""
    def pair(i: int, a: str, rpa: str | None, b: str, rpb: str | None) -> list[Declaration]:
        return [declaration(f"x{i}-{w.split('-', 1)[1]}", requires_python=rp)
                for w, rp in ((a, rpa), (b, rpb))]

    pairs = [pair(i, *case[1:5]) for i, case in enumerate(CASES)]
    alone = sorted(p for declarations in pairs for p in find_collisions(declarations))
    assert alone  # the cases collide
    everything = [d for declarations in pairs for d in declarations]
    assert find_collisions(everything) == alone
    one = {str(d.requires_python): d.requires_python for d in everything}
    shared = [dataclasses.replace(d, requires_python=one[str(d.requires_python)])
              for d in everything]
    assert find_collisions(shared) == alone


def test_one_problem_per_pair_and_projects_apart():
    wheels = ["x-1.0-py3-none-any.whl", "x-2.0-py3-none-any.whl", "x-3.0-py3-none-any.whl",
              "y-1.0-py3-none-any.whl", "z-1.0-cp311-cp311-win32.whl",
              "z-1.0-cp311-cp311-win_amd64.whl"]
    problems = find_collisions(declaration(w) for w in wheels)
    assert [(p.path.rsplit("/", 1)[1], p.message.split("'")[1].rsplit("/", 1)[1])
            for p in problems] == [("x-1.0-py3-none-any.toml", "x-2.0-py3-none-any.toml"),
                                   ("x-1.0-py3-none-any.toml", "x-3.0-py3-none-any.toml"),
                                   ("x-2.0-py3-none-any.toml", "x-3.0-py3-none-any.toml")]


def test_witness_prefers_the_given_pythons():
    pair = [declaration("x-1.0-py3-none-any.whl"), declaration("x-2.0-py3-none-any.whl")]
    assert find_collisions(pair, pythons=["3.13"])[0].message.endswith(" on cp313-any")
    assert find_collisions(pair, pythons=[])[0].message.endswith(" on cp30-any")


def test_checks_are_documented():
    for check_id, function in CHECKS.items():
        doc = function.__doc__ or ""
        assert doc.startswith(check_id + " ")
        assert "Why:" in doc and "Fix:" in doc


# --- the grid: machines and interpreters, their tags as packaging generates them --------

def _machine_platforms(platform: str) -> list[str]:
    if platform == "any":
        return []
    if platform.startswith(("manylinux_", "musllinux_")):
        return [*platform_tags(platform), "linux_" + platform.split("_", 3)[3]]
    if platform.startswith("macosx_"):
        return platform_tags(platform)  # packaging.tags.mac_platforms
    return [platform]


@cache
def _tags_of(witness: str) -> frozenset[Tag]:
    """Every tag the interpreter and machine named *witness* installs (packaging.tags)."""
    interpreter, platform = witness.split("-", 1)
    impl, major, minor, flags = re.fullmatch(  # type: ignore[union-attr]
        r"([a-z]+)(\d)(\d+)([a-z]*)", interpreter).groups()
    version = (int(major), int(minor))
    platforms = _machine_platforms(platform)
    if impl == "cp":
        tags = list(cpython_tags(version, abis=[f"cp{major}{minor}{flags}"],
                                 platforms=platforms))
    else:
        abi = f"pypy{major}{minor}_pp73"
        tags = list(generic_tags(interpreter, [abi], platforms))
    tags += compatible_tags(version, f"{impl}{major}{minor}", platforms)
    if platform == "any":
        tags = [t for t in tags if t.platform == "any"]
    return frozenset(tags)


POOL = [
    "py3-none-any", "py2.py3-none-any", "py2-none-any", "py310-none-any", "cp311-none-any",
    "cp38-abi3-manylinux_2_17_x86_64", "cp310-abi3-win_amd64", "cp311-cp311-win_amd64",
    "cp312-cp312-win_amd64", "cp312-cp312-win32", "cp313-cp313t-win_amd64",
    "cp312-abi3-win_amd64", "pp310-pypy310_pp73-manylinux_2_17_x86_64",
    "cp310-cp310-manylinux_2_17_x86_64", "cp312-cp312-manylinux1_x86_64",
    "cp312-cp312-manylinux2014_x86_64", "cp312-cp312-manylinux_2_28_x86_64",
    "cp312-cp312-manylinux_2_28_aarch64", "cp312-cp312-musllinux_1_1_x86_64",
    "cp312-cp312-musllinux_1_2_x86_64", "cp312-cp312-linux_x86_64",
    "cp312-cp312-macosx_10_9_x86_64", "cp312-cp312-macosx_11_0_x86_64",
    "cp312-cp312-macosx_10_9_universal2", "cp312-cp312-macosx_11_0_arm64",
    "cp312-cp312-macosx_10_6_intel", "cp312-none-macosx_14_0_arm64",
    "py3-none-manylinux_2_28_aarch64", "cp27-cp27mu-manylinux1_x86_64", "py3-none-win_amd64",
    "cp310-abi3-macosx_10_9_universal2", "cp313-cp313t-manylinux_2_28_x86_64",
    "cp311-cp311-any", "cp38-abi3-any",
]
GRID_PYTHONS = ["cp27mu", "cp38", "cp310", "cp311", "cp312", "cp313", "cp313t", "pp310"]
GRID_PLATFORMS = [
    *(f"manylinux_2_{y}_{arch}" for y in (5, 12, 17, 28) for arch in ("x86_64", "aarch64")
      if arch == "x86_64" or y >= 17),
    "musllinux_1_1_x86_64", "musllinux_1_2_x86_64",
    *(f"macosx_{v}_{arch}" for v in ("10_6", "10_9", "11_0", "14_0")
      for arch in ("x86_64", "arm64") if arch == "x86_64" or v >= "11"),
    "win32", "win_amd64", "win_arm64",
]


def test_pool_against_packaging_grid():
    grid = [_tags_of(f"{py}-{plat}") for py in GRID_PYTHONS for plat in GRID_PLATFORMS]
    wheels = {tags: declaration(f"x-{i}.0-{tags}.whl") for i, tags in enumerate(POOL)}
    for a, b in itertools.combinations(POOL, 2):
        ta, tb = parse_tag(a), parse_tag(b)
        expected = any(ta & env and tb & env for env in grid)
        found = find_collisions([wheels[a], wheels[b]])
        assert bool(found) == expected, (a, b, found)

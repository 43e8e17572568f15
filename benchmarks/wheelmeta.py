"""Benchmark: a wheel's METADATA for publishing, against zipfile alone and read_wheel.

    .venv/bin/python benchmarks/wheelmeta.py [--wheels 300] [--repeat 5] [--cache]

Prints, in one run, the microseconds per wheel of:

* ``zipfile.ZipFile(f).read(METADATA)``: the archive opened and METADATA read, no check
  (the floor);
* ``wheel_metadata`` (what publish uses: zipfile with the archive's and the ``.dist-info``
  directory's checks, the size limits) over the open file, and over the bytes in memory;
* ``read_wheel(path)`` (WHEEL read too, both parsed: what ``ipwhl check --online`` uses);

and each one's cost over the floor's.  The wheels are --wheels small generated ones
(tests/wheelmaker.py: five members, 0-6 dependencies), or with --cache the real wheels of
the wheel cache (``ipwhl check --online`` fills it; they have up to thousands of members).
Each figure is the best of --repeat passes over all the wheels, the contenders
interleaved, so a busy machine hurts them alike.  Every contender's result is checked to
be the same bytes first.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ipwhl_checks.sources.cache import wheels_dir  # noqa: E402
from ipwhl_checks.sources.wheel import read_wheel, wheel_metadata  # noqa: E402
from tests.wheelmaker import make_wheel  # noqa: E402


def _generated(directory: Path, count: int) -> list[Path]:
    rng = random.Random(658)
    out = []
    for i in range(count):
        deps = [f"dep{rng.randrange(10_000)}>={rng.randrange(9)}.0"
                for _ in range(rng.randrange(7))]
        out.append(make_wheel(directory, f"project{i}", f"1.{rng.randrange(20)}",
                              requires_python=">=3.9", dependencies=deps))
    return out


def _cached() -> list[Path]:
    return sorted(Path(wheels_dir()).glob("*/*.whl"))


def _zipfile_only(path: Path) -> bytes:
    with open(path, "rb") as f, zipfile.ZipFile(f) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA")
                    and n.count("/") == 1)
        return zf.read(name)


def _from_file(path: Path) -> bytes:
    with open(path, "rb") as f:
        return wheel_metadata(f, f.seek(0, 2), path.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", action="store_true",
                        help="the wheels of the wheel cache instead of generated ones")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = _cached() if args.cache else _generated(Path(tmp), args.wheels)
        if not paths:
            print(f"no wheel in {wheels_dir()}", file=sys.stderr)
            return 1
        wheels = [(path, path.read_bytes()) for path in paths]
        contenders: dict[str, Callable[[Path, bytes], bytes]] = {
            "zipfile.ZipFile(f).read(METADATA)": lambda p, _d: _zipfile_only(p),
            "wheel_metadata(open(path))": lambda p, _d: _from_file(p),
            "wheel_metadata(BytesIO)": lambda p, d: wheel_metadata(io.BytesIO(d), len(d),
                                                                   p.name),
            "read_wheel(path)": lambda p, _d: read_wheel(p).metadata,
        }
        for path, data in wheels:
            results = {fn(path, data) for fn in contenders.values()}
            assert len(results) == 1, f"{path.name}: the contenders disagree"
        best = dict.fromkeys(contenders, float("inf"))
        for _ in range(args.repeat):
            for label, fn in contenders.items():
                start = time.perf_counter()
                for path, data in wheels:
                    fn(path, data)
                best[label] = min(best[label], time.perf_counter() - start)
    size = sum(len(d) for _p, d in wheels) // len(wheels)
    what = "cached" if args.cache else "generated"
    print(f"{len(wheels)} {what} wheels of {size} bytes on average, best of {args.repeat} "
          "passes")
    floor = best["zipfile.ZipFile(f).read(METADATA)"]
    for label, seconds in best.items():
        print(f"  {label:36} {seconds / len(wheels) * 1e6:8.1f} us/wheel  "
              f"{seconds / floor:5.2f}x zipfile alone")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

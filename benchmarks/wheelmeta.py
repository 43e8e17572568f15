"""Benchmark: a wheel's METADATA for publishing, read_wheel against wheel_metadata.

    .venv/bin/python benchmarks/wheelmeta.py [--wheels 300] [--repeat 5]

Builds --wheels small wheels (tests/wheelmaker.py: five members, 0-6 dependencies) in a
temporary directory and prints, in one run, the microseconds per wheel of:

* ``read_wheel(path)`` (zipfile, both WHEEL and METADATA parsed: what publish used);
* zipfile alone, opening the archive and reading METADATA, no parsing (for scale);
* ``wheel_metadata`` over the bytes in memory (``io.BytesIO``, as publish holds small
  wheels) and over the open file (``open`` included);

and the ratio of read_wheel to each.  Each figure is the best of --repeat passes over all
the wheels, the contenders interleaved, so a busy machine hurts them alike.  Every
contender's result is checked to be the same bytes first.
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

from ipwhl_checks.sources._wheelmeta import wheel_metadata  # noqa: E402
from ipwhl_checks.sources.wheel import read_wheel  # noqa: E402
from tests.wheelmaker import make_wheel  # noqa: E402


def _wheels(directory: Path, count: int) -> list[tuple[Path, bytes]]:
    rng = random.Random(658)
    out = []
    for i in range(count):
        deps = [f"dep{rng.randrange(10_000)}>={rng.randrange(9)}.0"
                for _ in range(rng.randrange(7))]
        path = make_wheel(directory, f"project{i}", f"1.{rng.randrange(20)}",
                          requires_python=">=3.9", dependencies=deps)
        out.append((path, path.read_bytes()))
    return out


def _zipfile_only(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return zf.read(name)


def _from_file(path: Path) -> bytes:
    with open(path, "rb") as f:
        return wheel_metadata(f, f.seek(0, 2), path.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheels = _wheels(Path(tmp), args.wheels)
        contenders: dict[str, Callable[[Path, bytes], bytes]] = {
            "read_wheel(path)": lambda p, _d: read_wheel(p).metadata,
            "zipfile.ZipFile(path).read(METADATA)": lambda p, _d: _zipfile_only(p),
            "wheel_metadata(BytesIO)": lambda p, d: wheel_metadata(io.BytesIO(d), len(d),
                                                                   p.name),
            "wheel_metadata(open(path))": lambda p, _d: _from_file(p),
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
    print(f"{len(wheels)} wheels of {size} bytes on average, best of {args.repeat} passes")
    base = best["read_wheel(path)"]
    for label, seconds in best.items():
        print(f"  {label:40} {seconds / len(wheels) * 1e6:8.1f} us/wheel  "
              f"read_wheel / this = {base / seconds:5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

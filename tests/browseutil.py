"""A small repository for the browse site's tests: real wheels with real-world METADATA
(``tests/data/browse/``), compiled and pure ones, two versions of one project, extras,
dependencies in and out of the tree, and an integration results file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ipwhl_checks.unixfs import file_cid

from .declmaker import declaration, write_tree
from .wheelmaker import make_wheel

__all__ = ["ENVIRONMENTS", "INTEGRATION", "PLATFORMS", "PYTHONS", "WHEELS", "build_site_repo",
           "integration_extra", "integration_results"]

METADATA = Path(__file__).parent / "data" / "browse"
PYTHONS = ("3.11", "3.12")
PLATFORMS = ("manylinux_2_28_x86_64", "macosx_14_0_arm64", "win_amd64")
ENVIRONMENTS = [f"cp{p.replace('.', '')}-{q}" for p in PYTHONS for q in PLATFORMS]

# (project, version, wheel tag, requires-python, extras, dependencies, METADATA fixture)
WHEELS: list[tuple[str, str, str, str | None, tuple[str, ...], tuple[str, ...], str]] = [
    # compiled: a cp312 wheel, an abi3 one for 3.11+ (Linux, Windows), nothing for macOS
    ("fastcore", "2.0", "cp312-cp312-manylinux_2_28_x86_64", ">=3.11", ("speed",),
     ('colorama>=0.4; extra == "speed"',), "platformdirs"),
    ("fastcore", "2.0", "cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64", ">=3.11",
     ("speed",), ('colorama>=0.4; extra == "speed"',), "platformdirs"),
    ("fastcore", "2.0", "cp311-abi3-win_amd64", ">=3.11", ("speed",),
     ('colorama>=0.4; extra == "speed"',), "platformdirs"),
    ("webkit-lite", "1.4", "py3-none-any", ">=3.8", ("socks",),
     ("fastcore>=2", 'colorama; sys_platform == "win32"', 'pysocks>=1.5; extra == "socks"'),
     "requests"),
    ("colorama", "0.4.6", "py2.py3-none-any", None, (), (), "colorama"),
    # 1.0 for Python 3.11, 2.0 needs 3.12
    ("oldlib", "1.0", "py3-none-any", ">=3.8", (), (), "six"),
    ("oldlib", "2.0", "py3-none-any", ">=3.12", (), (), "six"),
    ("tool-cli", "3.1", "py3-none-any", None, (), ("webkit-lite>=1", "oldlib"),
     "typing_extensions"),
]


def _metadata(fixture: str, name: str, version: str, requires_python: str | None,
              extras: tuple[str, ...], dependencies: tuple[str, ...]) -> str:
    """The fixture's METADATA (a real project's header) made the wheel's own: its Name,
    Version, Requires-Python, Provides-Extra and Requires-Dist."""
    own = ("Name:", "Version:", "Requires-Python:", "Requires-Dist:", "Provides-Extra:")
    head, _, body = (METADATA / f"{fixture}.METADATA").read_text().partition("\n\n")
    lines = [line for line in head.splitlines() if not line.startswith(own)]
    lines[1:1] = [f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {e}" for e in (*extras, "docs")]
    lines += [f"Requires-Dist: {d}" for d in dependencies]
    return "\n".join(lines) + "\n\n" + body


def build_site_repo(base: Path, wheels: list[tuple[str, str, str, str | None, tuple[str, ...],
                                                  tuple[str, ...], str]] | None = None) -> Path:
    """The WHEELS built under *base*/wheels and declared (file:// sources) in *base*/data."""
    declarations = []
    for name, version, tag, rp, extras, deps, fixture in wheels or WHEELS:
        path = make_wheel(base / "wheels", name, version, tag=tag, metadata=_metadata(
            fixture, name, version, rp, extras, deps))
        decl = declaration(path.name, requires_python=rp, extras=extras, dependencies=deps)
        declarations.append(replace(decl, source=path.resolve().as_uri(),
                                    content_id=file_cid(path, "unixfs-v1-2025")[0]))
    return write_tree(base / "data", declarations, pythons=PYTHONS, platforms=PLATFORMS)


# what `ipwhl integrate` found on one environment (format ipwhl-integration/1)
INTEGRATION = {
    "format": "ipwhl-integration/1",
    "environment": "cp312-manylinux_2_28_x86_64",
    "python": "3.12.7",
    "manifest-cid": "bafkreiaaaa",
    "sandbox": "network namespace",
    "summary": {"passed": 3, "import-failed": 1, "tests-failed": 1},
    "projects": {
        "colorama": {"version": "0.4.6", "outcome": "passed", "modules": ["colorama"],
                     "seconds": 0.4, "detail": "", "tests": {
                         "outcome": "passed", "detail": "", "seconds": 2.5}},
        "fastcore": {"version": "2.0", "outcome": "passed", "modules": ["fastcore"],
                     "seconds": 0.2, "detail": "", "tests": {
                         "outcome": "tests-failed", "detail": "tests/test_x.py::test_y",
                         "seconds": 3.1}},
        "oldlib": {"version": "2.0", "outcome": "passed", "modules": ["oldlib"],
                   "seconds": 0.1, "detail": "", "tests": None},
        "webkit-lite": {"version": "1.4", "outcome": "import-failed",
                        "modules": ["webkit_lite"], "seconds": 0.3,
                        "detail": "ModuleNotFoundError: No module named '<socks>'\nmore",
                        "tests": None},
    },
    "together": None,
}


def integration_results(**changes: object) -> bytes:
    """INTEGRATION's canonical bytes, with *changes* to its top level."""
    return (json.dumps({**INTEGRATION, **changes}, indent=2, sort_keys=True) + "\n").encode()


def integration_extra(data: bytes | None = None,
                      environment: str = "cp312-manylinux_2_28_x86_64") -> dict[str, bytes]:
    """The publish option ``extra`` carrying integration results *data* (default:
    INTEGRATION's), as ``ipwhl release --integration`` gives it."""
    return {f"integration/{environment}.json": integration_results() if data is None else data}

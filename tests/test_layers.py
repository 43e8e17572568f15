"""The package's layout keeps its promise: imports point down the stages, never up, and
never into another package's private module.

The stages, lowest first (README: "Where things are"): the shared ground (``errors``,
``util``), the codecs (``ipld``), the DAG builder (``unixfs``), then declare (``repo``),
fetch (``sources``), check (``checks``), publish, the gateway, release, install, curate,
and the commands on top.  A module may import its own package and any lower stage.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ipwhl_checks"

STAGES = [
    {"__init__", "errors"},
    {"util"},
    {"ipld"},
    {"unixfs"},
    {"repo"},
    {"sources"},
    {"checks"},
    {"publish"},
    {"gateway"},
    {"release"},
    {"install"},
    {"curate"},
    {"integrate"},
    {"commands", "cli", "__main__"},
]
RANK = {unit: rank for rank, units in enumerate(STAGES) for unit in units}
# what the codec layer may import besides the standard library (the brief's kept libraries)
IPLD_THIRD_PARTY = {"multiformats"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path) -> list[tuple[list[str], int]]:
    """(absolute dotted parts of each ipwhl_checks module or name imported, line)."""
    here = _name(path)
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name.split("."), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = base + (node.module.split(".") if node.module else [])
            for alias in node.names:
                found.append(([*target, alias.name], node.lineno))
    return found


def _unit(parts: list[str]) -> str:
    """The stage unit of ``ipwhl_checks.<unit>...``."""
    return parts[1] if len(parts) > 1 else "__init__"


def _module_of(parts: list[str]) -> list[str]:
    """The longest prefix of *parts* that is a module or package of ours."""
    for end in range(len(parts), 0, -1):
        candidate = PACKAGE.parent.joinpath(*parts[:end])
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return parts[:end]
    return parts


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_stages(path: Path) -> None:
    here = _name(path)
    unit = _unit(here)
    assert unit in RANK, f"{here}: a new package must be given its stage in STAGES"
    for parts, line in _imports(path):
        if parts[0] != "ipwhl_checks":
            if unit == "ipld" and parts[0] not in sys.stdlib_module_names:
                assert parts[0] in IPLD_THIRD_PARTY, f"{path}:{line}: ipld imports {parts[0]}"
            continue
        module = _module_of(parts)
        other = _unit(module)
        where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {'.'.join(module)}"
        assert RANK[other] <= RANK[unit], f"{where}, a later stage ({other} above {unit})"
        if RANK[other] == RANK[unit]:
            assert other == unit or unit in ("cli", "__main__"), f"{where}, a sibling stage"
        if other != unit:  # another package's private module
            private = [p for p in module[2:] if p.startswith("_") and p != "__init__"]
            assert not private, f"{where}: private to {other}"


def test_every_package_has_a_stage() -> None:
    units = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    units |= {p.stem for p in PACKAGE.glob("*.py")}
    assert units <= set(RANK), sorted(units - set(RANK))

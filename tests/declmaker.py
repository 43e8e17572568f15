"""Test helper: build :class:`Declaration` objects from a wheel file name, or write them
as declaration files into a ``data/`` tree (for ``main([...])``-level tests)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from multiformats import CID, multihash
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename

from ipwhl_checks.repo.declaration import Declaration

__all__ = ["declaration", "write_tree"]

SETTINGS = """\
profile = 'unixfs-v1-2025'
python = [{pythons}]
platforms = [{platforms}]
"""


def _prefix(project: str) -> str:
    return f"{sum(map(ord, project)) % 256:02x}"


def declaration(filename: str, *, requires_python: str | None = None,
                extras: Sequence[str] = (), dependencies: Sequence[str] = (),
                root: str = "data") -> Declaration:
    """The declaration of the wheel *filename* at its place under *root*."""
    name, version, _build, tags = parse_wheel_filename(filename)
    stem = filename.removesuffix(".whl")
    return Declaration(
        path=Path(root) / _prefix(name) / name / f"{stem}.toml",
        filename=filename,
        project=name,
        version=version,
        tags=frozenset(tags),
        source=f"https://example.org/{filename}",
        content_id=_cid(filename),
        requires_python=SpecifierSet(requires_python) if requires_python is not None else None,
        extras=tuple(extras),
        dependencies=tuple(Requirement(d) for d in dependencies),
    )


def _cid(filename: str) -> str:
    """A CIDv1 raw sha2-256 (the unixfs-v1-2025 kind), of stand-in bytes."""
    digest = multihash.wrap(hashlib.sha256(filename.encode()).digest(), "sha2-256")
    return str(CID("base32", 1, "raw", digest))


def _toml_string(value: str) -> str:
    assert "'" not in value and "\n" not in value
    return f"'{value}'"


def write_tree(root: Path, declarations: Iterable[Declaration], *,
               pythons: Sequence[str] = ("3.11", "3.12"),
               platforms: Sequence[str] = ("manylinux_2_28_x86_64", "win_amd64")) -> Path:
    """Write *declarations* (made with ``root='.'``-relative paths) and the settings under
    *root*; returns *root*."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "repository.toml").write_text(SETTINGS.format(
        pythons=", ".join(map(_toml_string, pythons)),
        platforms=", ".join(map(_toml_string, platforms))))
    for d in declarations:
        name = d.project
        path = root / _prefix(name) / name / f"{d.filename.removesuffix('.whl')}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"source = {_toml_string(d.source)}",
                 f"content-id = {_toml_string(d.content_id)}"]
        if d.requires_python is not None:
            lines.append(f"requires-python = {_toml_string(str(d.requires_python))}")
        lines.append(f"extras = [{', '.join(map(_toml_string, d.extras))}]")
        lines.append("dependencies = [")
        lines += [f"    {_toml_string(str(r))}," for r in d.dependencies]
        lines.append("]")
        path.write_text("\n".join(lines) + "\n")
    return root

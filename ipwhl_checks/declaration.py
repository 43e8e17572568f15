"""The declaration of one wheel: its data model.

A declaration lives at ``data/<prefix>/<project>/<wheel-stem>.toml`` and says::

    source = '...'                 # where the wheel is (see ipwhl_checks.sources)
    content-id = 'bafk...'         # what `ipfs add` gives for the wheel file
    requires-python = '>=3.8'      # optional
    extras = ['socks']
    dependencies = ['idna<4,>=2.5', 'PySocks!=1.5.7,>=1.5.6; extra == "socks"']

(Skeleton: the schema validation, reading and the tree loader are filled in by the
declaration-tree work; the dataclass fields below are the contract other modules use.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

__all__ = ["Declaration", "Problem"]


@dataclass(frozen=True)
class Declaration:
    """One valid declaration, with what its path says about the wheel."""

    path: Path
    filename: str  # the wheel's file name: "<wheel-stem>.whl"
    project: NormalizedName  # PEP 503 normalized
    version: Version
    tags: frozenset[Tag]
    source: str
    content_id: str
    requires_python: SpecifierSet | None
    extras: tuple[str, ...]
    dependencies: tuple[Requirement, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found by a check, printed as ``path: message``."""

    path: str
    message: str
    check: str = ""  # the stable id of the check that found it, e.g. "IW101"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

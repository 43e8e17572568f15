"""The declaration of one wheel: its data model and its schema (checks IW1xx).

A declaration lives at ``data/<prefix>/<project>/<wheel-stem>.toml`` (see
:mod:`ipwhl_checks.repo.layout`) and says::

    source = '...'                 # where the wheel is (see ipwhl_checks.repo.source)
    content-id = 'bafk...'         # what `ipfs add` gives for the wheel file
    requires-python = '>=3.8'      # optional
    extras = ['socks']             # optional, default []
    dependencies = [               # optional, default []
        'idna<4,>=2.5',
        'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
    ]

:func:`parse_declaration` validates the table ``tomllib`` read and reports every problem
of the file, not only the first; :func:`read_declaration` reads one file.  The checks
themselves (IW100-IW108 and IW110, each with a stable id and a docstring saying what is
wrong, why it matters and how to fix it) live in :mod:`ipwhl_checks.repo._schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

from ._schema import (
    CHECKS,
    KEYS,
    REQUIRED_KEYS,
    Messages,
    _iw100_toml,
    _iw101_unknown_keys,
    _iw102_missing_keys,
    _iw103_source,
    _iw104_content_id,
    _iw105_requires_python,
    _iw110_source_wheel,
    _lists,
    check_content_id,
    parse_requirement,
    parse_specifier_set,
)

__all__ = [
    "CHECKS",
    "KEYS",
    "REQUIRED_KEYS",
    "Declaration",
    "Fields",
    "Problem",
    "check_content_id",
    "parse_declaration",
    "parse_requirement",
    "parse_specifier_set",
    "read_declaration",
]


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
    """One problem found by a check, printed as ``path: ID message``, as ruff and flake8
    print theirs: ``data/7c/requests/requests-2.34.2-py3-none-any.toml: IW101
    dependancies: unknown key, did you mean 'dependencies'?``.

    *project* is the normalized name of the project the file declares (None for a file
    that names none, e.g. a stray file at the root); *environments* the names of the
    environments the problem is on (a dependency problem: the supported environments it
    was found on, also named in the message; an overlap: its witness), empty for a
    problem of the file itself.
    """

    path: str
    message: str
    check: str = ""  # the stable id of the check that found it, e.g. "IW101"
    # what the path and message say again, for ``--format json``: not compared
    project: str | None = field(default=None, compare=False)
    environments: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.path}: {self.check} {self.message}" if self.check \
            else f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Fields:
    """The values of a declaration that passed the schema."""

    source: str
    content_id: str
    requires_python: SpecifierSet | None
    extras: tuple[str, ...]
    dependencies: tuple[Requirement, ...]


def parse_declaration(table: Mapping[str, object], profile: str,
                      filename: str | None = None) -> tuple[Fields | None, Messages]:
    """Validate a declaration's table; its fields (None if any problem) and every problem.

    *filename*: the wheel the declaration's path names (``<wheel-stem>.whl``), which its
    source must name too (IW110)."""
    problems = _iw101_unknown_keys(table) + _iw102_missing_keys(table)
    if "source" in table:
        found, source = _iw103_source(table["source"])
        problems += found
        if source is not None and filename is not None:
            problems += _iw110_source_wheel(source, filename)
    if "content-id" in table:
        problems += _iw104_content_id(table["content-id"], profile)
    requires_python = None
    if "requires-python" in table:
        found, requires_python = _iw105_requires_python(table["requires-python"])
        problems += found
    listed, extras, dependencies = _lists(table.get("extras", []), table.get("dependencies", []))
    problems += listed
    if problems:
        return None, problems
    source_text, content_id = table["source"], table["content-id"]
    assert isinstance(source_text, str) and isinstance(content_id, str)
    return Fields(source_text, content_id, requires_python, extras, dependencies), []


def read_declaration(data: bytes, profile: str,
                     filename: str | None = None) -> tuple[Fields | None, Messages]:
    """Parse and validate the bytes of a declaration file (of the wheel *filename*)."""
    table, problems = _iw100_toml(data)
    if table is None:
        return None, problems
    return parse_declaration(table, profile, filename)

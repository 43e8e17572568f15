"""The canonical form of a declaration, written with tomlkit.

One declaration has exactly one canonical text, so that diffs show changes of meaning
only::

    source = 'https://example.org/x-1.0-py3-none-any.whl'
    content-id = 'bafkrei...'
    requires-python = '<4,>=3.8'
    extras = ['socks', 'use-chardet']
    dependencies = [
        'charset-normalizer<4,>=2',
        'pysocks!=1.5.7,>=1.5.6; extra == "socks"',
    ]

The rules:

* keys in the order ``source``, ``content-id``, ``requires-python`` (only when
  present), ``extras``, ``dependencies`` (both always present, possibly ``[]``);
* strings are TOML literal strings (``'...'``), or basic strings (``"..."``) when the
  value holds a ``'`` or a control character a literal string cannot;
* ``requires-python`` and each dependency are written as ``packaging`` prints them
  (specifiers sorted, no spaces: ``str(SpecifierSet(...))``, ``str(Requirement(...))``),
  unless they do not parse, then as they are (the check reports them);
* ``extras`` sorted, each once, on one line; ``dependencies`` one per line with a
  trailing comma, sorted by normalized project name, then text, each once (``[]`` if
  none);
* LF line ends, one final newline, no comments, no blank lines.

A file that is not TOML, has unknown keys or values of the wrong type is not rewritten
(the check reports it); nothing is ever half-written (temporary file, then ``os.replace``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from tomlkit.exceptions import InvalidStringError
from tomlkit.items import String

from ..errors import DeclarationError
from ..util import toml
from ..util.atomic import atomic_write
from ..util.regular import read_regular
from .declaration import KEYS

__all__ = ["atomic_write", "format_file", "format_text", "render", "write_declaration"]


def _string(value: str) -> String:
    try:
        return tomlkit.string(value, literal=True)
    except InvalidStringError:  # a ' or a control character: a basic string escapes it
        return tomlkit.string(value)


def _specifier(text: str) -> str:
    try:
        return str(SpecifierSet(text))
    except InvalidSpecifier:
        return text


def _requirement(text: str) -> tuple[str, str]:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return "", text
    return canonicalize_name(requirement.name), str(requirement)


def render(source: str, content_id: str, requires_python: object | None,
           extras: Iterable[str], dependencies: Iterable[object]) -> str:
    """The canonical text of a declaration with these values.

    *requires_python* is a string or a ``SpecifierSet``; *dependencies* are strings or
    ``Requirement`` objects.
    """
    document = tomlkit.document()
    document.add("source", _string(source))
    document.add("content-id", _string(content_id))
    if requires_python is not None:
        document.add("requires-python", _string(_specifier(str(requires_python))))
    extras_array = tomlkit.array()
    extras_array.extend(_string(e) for e in sorted(set(extras)))
    document.add("extras", extras_array)
    dependency_array = tomlkit.array()
    dependency_array.extend(_string(text) for _name, text in sorted(
        {_requirement(str(d)) for d in dependencies}))
    dependency_array.multiline(bool(dependency_array))
    document.add("dependencies", dependency_array)
    return tomlkit.dumps(document)


def format_text(text: str) -> str:
    """The canonical form of the declaration *text*; DeclarationError if it cannot be had."""
    try:
        table = toml.loads(text)
    except toml.TomlError as e:
        raise DeclarationError(f"cannot format: invalid TOML: {e}") from e
    unknown = [key for key in table if key not in KEYS]
    if unknown:
        raise DeclarationError(f"cannot format: unknown key {unknown[0]!r}")
    for key in ("source", "content-id"):
        if not isinstance(table.get(key), str):
            raise DeclarationError(f"cannot format: {key} must be a string")
    if not isinstance(table.get("requires-python", ""), str):
        raise DeclarationError("cannot format: requires-python must be a string")
    for key in ("extras", "dependencies"):
        values = table.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise DeclarationError(f"cannot format: {key} must be an array of strings")
    return render(table["source"], table["content-id"], table.get("requires-python"),
                  table.get("extras", []), table.get("dependencies", []))


def write_declaration(path: Path, *, source: str, content_id: str,
                      requires_python: object | None = None, extras: Iterable[str] = (),
                      dependencies: Iterable[object] = ()) -> bool:
    """Write a declaration in canonical form (creating its directories); True if it changed."""
    text = render(source, content_id, requires_python, extras, dependencies)
    path = Path(path)
    try:
        if path.read_bytes() == text.encode("utf-8"):
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)
    return True


def format_file(path: Path, *, write: bool = True) -> bool:
    """Rewrite the declaration *path* in canonical form; True if it was (or would be) changed.

    DeclarationError (naming the file) if it cannot be formatted.
    """
    path = Path(path)
    try:
        data = read_regular(path, follow_symlinks=False)
        text = data.decode("utf-8")
    except OSError as e:
        raise DeclarationError(f"{path}: cannot read ({e.strerror})") from e
    except UnicodeDecodeError as e:
        raise DeclarationError(f"{path}: cannot format: not UTF-8 text") from e
    try:
        canonical = format_text(text)
    except DeclarationError as e:
        raise DeclarationError(f"{path}: {e}") from e
    if canonical.encode("utf-8") == data:
        return False
    if write:
        atomic_write(path, canonical)
    return True

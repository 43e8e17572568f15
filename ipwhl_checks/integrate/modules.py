"""The modules a wheel makes importable: what ``ipwhl integrate`` imports.

From the places the wheel's files land (:func:`ipwhl_checks.sources.record.installed_paths`,
read from its RECORD), the top-level importable names of ``site-packages``: a package
(a directory with ``__init__.py``), a module (``x.py``) or an extension module
(``x.cpython-311-x86_64-linux-gnu.so``, ``x.abi3.so``, ``x.pyd``).  A directory without
``__init__.py`` is a portion of a namespace package (PEP 420): its own packages and
modules are named instead (``google.auth``, ``jaraco.functools``; a namespace within it is
imported as it is).  Test packages and
private modules (a leading underscore) are left out, unless the wheel has nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["top_level_modules"]

_SITE = "site-packages/"
_TESTS = frozenset({"test", "tests", "testing", "conftest", "docs", "examples",
                    "benchmarks"})
_EXTENSIONS = (".so", ".pyd")


def _importable(name: str, files: set[str], prefix: str) -> str | None:
    """The module name of the entry *name* of the directory *prefix*, if importable."""
    if "." not in name:
        return name if f"{prefix}{name}/__init__.py" in files else None
    stem = name.partition(".")[0]
    if name.endswith(".py") and name.count(".") == 1:
        return stem
    if name.endswith(_EXTENSIONS):
        return stem
    return None


def _names(files: set[str], prefix: str, depth: int) -> list[str]:
    entries = {f[len(prefix):].split("/", 1)[0] for f in files if f.startswith(prefix)}
    found = []
    for entry in sorted(entries):
        name = _importable(entry, files, prefix)
        if name is not None:
            found.append(name)
        elif "." not in entry and entry.isidentifier() and entry not in _TESTS:
            if depth:  # a namespace in a namespace: imported as it is
                found.append(entry)
            else:  # a namespace portion: its own packages and modules
                found += [f"{entry}.{sub}" for sub in _names(files, f"{prefix}{entry}/", 1)]
    return found


def top_level_modules(installed: Iterable[str]) -> list[str]:
    """The modules to import for a wheel whose files land at *installed*, sorted."""
    files = {p[len(_SITE):] for p in installed if p.startswith(_SITE)}
    names = sorted({n for n in _names(files, "", 0) if all(p.isidentifier() for p in n.split("."))})
    public = [n for n in names if not any(p.startswith("_") or p in _TESTS
                                          for p in n.split("."))]
    if public:
        return public
    return [n for n in names if not any(p in _TESTS for p in n.split("."))]

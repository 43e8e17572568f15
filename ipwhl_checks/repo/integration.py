"""The data tree's integration file: known failures and test suites (checks IW109 and IW406).

``<root>/integration.toml`` tells ``ipwhl integrate`` what the declarations cannot::

    [known-failures]                     # project = why it cannot pass here
    tensorflow-gpu = "needs a GPU"

    [tests.numpy]                        # how to run the tests the project's wheel ships
    command = "pytest --pyargs numpy -m 'not slow'"   # POSIX shell words, no shell
    requires = ["pytest", "hypothesis"]  # installed beside it (from the repository)
    timeout = 600                        # seconds (default: integrate's --test-timeout)

A known failure is a project that cannot pass ``ipwhl integrate`` for a reason outside
the repository (a GPU, a display, a service it connects to at import); integrate reports
it as expected, and fails when it unexpectedly passes, so the list stays true.  The file
is reviewed like any declaration: ``ipwhl check`` checks its schema (IW109) and that every
project it names is in the tree (IW406).  The command's first word is an executable of the
project's environment (``pytest``, ``python``); it runs there, in integrate's sandbox.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..util import toml
from ..util.regular import read_regular

__all__ = [
    "CHECKS",
    "INTEGRATION_FILE",
    "Integration",
    "TestSuite",
    "check_projects",
    "load_integration",
    "parse_integration",
]

INTEGRATION_FILE = "integration.toml"
_TOP = ("known-failures", "tests")
_SUITE = ("command", "requires", "timeout")

Messages = list[tuple[str, str]]  # (check id, message)


@dataclass(frozen=True)
class TestSuite:
    """How to run the tests one project's wheel ships."""

    command: tuple[str, ...]
    requires: tuple[Requirement, ...] = ()
    timeout: float | None = None


@dataclass(frozen=True)
class Integration:
    """The integration file's content (empty when the tree has none)."""

    known_failures: Mapping[str, str] = field(default_factory=dict)  # project -> reason
    tests: Mapping[str, TestSuite] = field(default_factory=dict)  # project -> its tests


def _iw109_integration_file(message: str) -> Messages:
    """IW109 bad integration file: ``integration.toml`` does not follow its schema.

    What: the file is not TOML, has a key other than ``known-failures`` and ``tests``
    (or, in a test suite, other than ``command``, ``requires`` and ``timeout``), a project
    name that is not normalized, a known failure whose reason is not a non-empty string, a
    ``command`` that is not a non-empty string of shell words, a ``requires`` that is not
    an array of PEP 508 requirements, or a ``timeout`` that is not a positive number.
    Why: ``ipwhl integrate`` trusts this file to tell an expected failure from a broken
    release and to run the test suites; a typo would silently test less.  Fix: correct
    the entry as the message says (see :mod:`ipwhl_checks.repo.integration`).
    """
    return [("IW109", message)]


def _iw406_unknown_project(name: str, where: str) -> Messages:
    """IW406 unknown project: the integration file names a project the tree lacks.

    What: a known failure, a test suite or a test suite's ``requires`` names a project
    that has no declaration in the data tree.  Why: an entry for a project that is gone
    (or misspelt) no longer says anything true, and a test suite cannot install what the
    repository does not have.  Fix: remove the entry, correct the name, or add the
    project (``ipwhl add --recursive NAME==VERSION``).
    """
    return [("IW406", f"{where}: {name!r} is not a project of the repository")]


CHECKS: dict[str, Callable[..., object]] = {
    "IW109": _iw109_integration_file,
    "IW406": _iw406_unknown_project,
}


def _unknown_keys(table: Mapping[str, object], keys: tuple[str, ...], where: str) -> Messages:
    problems = []
    for key in table:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"expected {', '.join(keys)}"
            problems += _iw109_integration_file(f"{where}{key}: unknown key, {hint}")
    return problems


def _project(name: str, where: str) -> Messages:
    if canonicalize_name(name) != name:
        return _iw109_integration_file(f"{where}{name}: project name not normalized, "
                                       f"expected {canonicalize_name(name)!r}")
    return []


def _suite(name: str, value: object) -> tuple[TestSuite | None, Messages]:
    where = f"tests.{name}."
    if not isinstance(value, dict):
        return None, _iw109_integration_file(f"tests.{name}: expected a table")
    problems = _unknown_keys(value, _SUITE, where)
    command: list[str] = []
    text = value.get("command")
    if not isinstance(text, str):
        problems += _iw109_integration_file(f"{where}command: expected a string of shell "
                                            "words")
    else:
        try:
            command = shlex.split(text)
        except ValueError as e:
            problems += _iw109_integration_file(f"{where}command: {text!r} is not shell "
                                                f"words ({e})")
        else:
            if not command:
                problems += _iw109_integration_file(f"{where}command: empty")
            elif "/" in command[0]:
                problems += _iw109_integration_file(
                    f"{where}command: {command[0]!r} is a path; name an executable of the "
                    "project's environment (pytest, python)")
    requires: list[Requirement] = []
    raw = value.get("requires", [])
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        problems += _iw109_integration_file(f"{where}requires: expected an array of strings")
    else:
        for text in raw:
            try:
                requires.append(Requirement(text))
            except InvalidRequirement as e:
                problems += _iw109_integration_file(
                    f"{where}requires: {text!r} is not a PEP 508 requirement "
                    f"({str(e).splitlines()[0]})")
    timeout = value.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(
            timeout, int | float) or timeout <= 0):
        problems += _iw109_integration_file(f"{where}timeout: expected a positive number of "
                                            "seconds")
        timeout = None
    if problems:
        return None, problems
    return TestSuite(tuple(command), tuple(requires),
                     None if timeout is None else float(timeout)), []


def parse_integration(data: bytes) -> tuple[Integration, Messages]:
    """The integration file's content and every problem of its schema (the entries with a
    problem are left out of the content)."""
    try:
        table = toml.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        return Integration(), _iw109_integration_file(f"not UTF-8 text (byte {e.start})")
    except toml.TomlError as e:
        return Integration(), _iw109_integration_file(f"invalid TOML: {e}")
    problems = _unknown_keys(table, _TOP, "")
    known: dict[str, str] = {}
    raw_known = table.get("known-failures", {})
    if not isinstance(raw_known, dict):
        problems += _iw109_integration_file("known-failures: expected a table")
        raw_known = {}
    for name, reason in raw_known.items():
        found = _project(name, "known-failures.")
        if not isinstance(reason, str) or not reason.strip():
            found += _iw109_integration_file(f"known-failures.{name}: expected the reason, "
                                             "a non-empty string")
        problems += found
        if not found:
            known[name] = reason.strip()
    tests: dict[str, TestSuite] = {}
    raw_tests = table.get("tests", {})
    if not isinstance(raw_tests, dict):
        problems += _iw109_integration_file("tests: expected a table")
        raw_tests = {}
    for name, value in raw_tests.items():
        found = _project(name, "tests.")
        suite, more = _suite(name, value)
        problems += found + more
        if suite is not None and not found:
            tests[name] = suite
    return Integration(known, tests), problems


def load_integration(root: Path) -> tuple[Integration, Messages]:
    """The integration file of the tree at *root* (empty if it has none)."""
    path = Path(root) / INTEGRATION_FILE
    if not path.exists() and not path.is_symlink():
        return Integration(), []
    try:
        data = read_regular(str(path), follow_symlinks=False)
    except OSError as e:
        return Integration(), _iw109_integration_file(f"cannot read ({e.strerror})")
    return parse_integration(data)


def check_projects(integration: Integration, projects: Collection[str]) -> Messages:
    """IW406 for every project the file names that is not in *projects*."""
    problems = []
    for name in sorted(integration.known_failures):
        if name not in projects:
            problems += _iw406_unknown_project(name, f"known-failures.{name}")
    for name, suite in sorted(integration.tests.items()):
        if name not in projects:
            problems += _iw406_unknown_project(name, f"tests.{name}")
        for requirement in suite.requires:
            wanted = canonicalize_name(requirement.name)
            if wanted not in projects:
                problems += _iw406_unknown_project(wanted, f"tests.{name}.requires")
    return problems

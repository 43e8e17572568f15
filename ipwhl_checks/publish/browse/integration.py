"""Integration results, as the project pages read them.

``ipwhl integrate --json`` writes one results file per environment, format
``ipwhl-integration/1`` (:mod:`ipwhl_checks.release.integration` defines and checks it);
``ipwhl release --integration`` publishes each as ``/integration/<environment>.json``
(:attr:`~ipwhl_checks.publish.build.PublishOptions.extra`).  The pages read only this much
of one (any other key is ignored, so the format can grow)::

    {
      "format": "ipwhl-integration/1",
      "environment": "cp312-manylinux_2_28_x86_64",
      "projects": {
        "<normalized project name>": {
          "version": "2.32.3",      # the version installed
          "outcome": "passed",      # passed, expected-failure, skipped, install-failed,
                                    # import-failed, timed-out, unexpected-pass, tests-failed
          "detail": "...",          # optional: a line saying what went wrong
          "tests": {"outcome": "tests-failed", "detail": "..."}   # optional: its suite
        }
      }
    }

A project page then shows, per environment, the outcome, the version tested, the detail
(its first line, shortened) and its test suite's outcome, and links the file.  A release
without results says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ...errors import PublishError

__all__ = ["DIRECTORY", "ENVIRONMENT", "FORMAT", "GOOD", "Outcome", "Results", "read_results"]

FORMAT = "ipwhl-integration/1"
DIRECTORY = "integration"  # /integration/<environment>.json in the published tree
GOOD = frozenset({"passed", "expected-failure", "skipped"})  # shown as fine
# an environment's name, as a results file and its name in the tree give it
ENVIRONMENT = re.compile(r"[a-z]+[0-9]+[a-z]*-[A-Za-z0-9_]+")
_DETAIL_MAX = 160


@dataclass(frozen=True)
class Outcome:
    """One project on one environment."""

    version: str
    outcome: str
    detail: str
    tests: str = ""  # the test suite's outcome ("" when none ran)
    tests_detail: str = ""


@dataclass(frozen=True)
class Results:
    """One results file: its environment, each project's outcome, its bytes."""

    environment: str
    projects: dict[str, Outcome]
    data: bytes

    @property
    def filename(self) -> str:
        return f"{self.environment}.json"


def _text(value: object, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    line = " ".join(value.strip().splitlines()[0].split()) if value.strip() else ""
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "\u2026"


def read_results(data: bytes, where: str) -> Results:
    """The part of an ``ipwhl-integration/1`` file the pages show; PublishError naming
    *where* when it is not one."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise PublishError(f"{where}: integration results are not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, dict) else None
        raise PublishError(f"{where}: integration results of format {got!r}, expected "
                           f"{FORMAT!r}")
    environment, projects = doc.get("environment"), doc.get("projects")
    if not isinstance(environment, str) or not ENVIRONMENT.fullmatch(environment):
        raise PublishError(f"{where}: environment {environment!r} is not an environment "
                           "name (expected one like 'cp312-manylinux_2_28_x86_64')")
    if not isinstance(projects, dict):
        raise PublishError(f"{where}: 'projects' must be an object")
    found = {}
    for name, entry in sorted(projects.items()):
        if not isinstance(entry, dict) or not isinstance(entry.get("outcome"), str):
            raise PublishError(f"{where}: projects.{name}: no 'outcome' string")
        tests = entry.get("tests")
        tests = tests if isinstance(tests, dict) else {}
        found[name] = Outcome(_text(entry.get("version"), 64), _text(entry["outcome"], 32),
                              _text(entry.get("detail"), _DETAIL_MAX),
                              _text(tests.get("outcome"), 32),
                              _text(tests.get("detail"), _DETAIL_MAX))
    return Results(environment, found, bytes(data))

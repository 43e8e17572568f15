"""What ``ipwhl integrate`` says: one line per project worth a look, a summary, the JSON.

The results document is :mod:`ipwhl_checks.release.integration`'s format, the one
``ipwhl release --integration`` publishes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..release.integration import FORMAT, OUTCOMES, UNEXPECTED
from .run import Outcome
from .target import Interpreter
from .together import Together

__all__ = ["failed", "line", "results_document", "summary", "summary_text"]

_WORDS = {"passed": "passed", "expected-failure": "expected failure", "skipped": "skipped",
          "install-failed": "install failed", "import-failed": "import failed",
          "timed-out": "timed out", "unexpected-pass": "unexpectedly passed",
          "tests-failed": "tests failed"}


def line(outcome: Outcome) -> str:
    """``project version: outcome (detail)``."""
    version = f" {outcome.version}" if outcome.version else ""
    detail = f": {outcome.detail}" if outcome.detail else ""
    text = f"{outcome.project}{version}: {_WORDS[outcome.outcome]}{detail}"
    if outcome.tests is not None:
        tests = outcome.tests
        text += f"; tests {_WORDS.get(tests.outcome, tests.outcome)}"
        text += f" ({tests.detail})" if tests.detail else ""
    return text


def summary(outcomes: Sequence[Outcome]) -> dict[str, int]:
    counted = Counter(o.outcome for o in outcomes)
    counted["tests-failed"] = sum(1 for o in outcomes
                                  if o.tests is not None and o.tests.outcome != "passed")
    return {k: counted[k] for k in OUTCOMES if counted[k]}


def failed(outcomes: Sequence[Outcome], together: Together | None) -> bool:
    """Whether anything unexpected happened (the exit status 1)."""
    return any(k in UNEXPECTED for k in summary(outcomes)) or (
        together is not None and together.outcome != "passed")


def summary_text(outcomes: Sequence[Outcome], together: Together | None,
                 tests: int) -> str:
    counts = summary(outcomes)
    parts = [f"{counts.get(k, 0)} {_WORDS[k]}" for k in OUTCOMES
             if k != "tests-failed" and (counts.get(k) or k == "passed")]
    text = f"{len(outcomes)} projects: " + ", ".join(parts)
    if tests:
        text += f"; test suites: {tests - counts.get('tests-failed', 0)} of {tests} passed"
    if together is not None:
        text += f"; together ({together.projects} projects): {together.outcome}"
        text += f" ({together.detail})" if together.detail else ""
    return text


def results_document(outcomes: Sequence[Outcome], together: Together | None,
                     target: Interpreter, manifest_cid: str, sandbox: str) -> dict[str, Any]:
    projects: dict[str, Any] = {}
    for o in outcomes:
        projects[o.project] = {
            "version": o.version, "outcome": o.outcome, "modules": list(o.modules),
            "seconds": o.seconds, "detail": o.detail,
            "tests": None if o.tests is None else {
                "outcome": "passed" if o.tests.outcome == "passed" else "tests-failed",
                "detail": o.tests.detail, "seconds": o.tests.seconds}}
    return {
        "format": FORMAT, "environment": target.name, "python": target.python,
        "manifest-cid": manifest_cid, "sandbox": sandbox, "summary": summary(outcomes),
        "projects": projects,
        "together": None if together is None else {
            "outcome": together.outcome, "detail": together.detail,
            "projects": together.projects, "seconds": together.seconds},
    }

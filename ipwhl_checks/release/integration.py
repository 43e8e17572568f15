"""Integration results: what ``ipwhl integrate`` found on one environment, as published.

``ipwhl integrate --json FILE`` writes one file per environment; ``ipwhl release
--integration FILE...`` puts each into the published tree as
``/integration/<environment>.json`` (so it has a CID and anyone can see what was tested
where), and the signed tag message carries one line per file::

    integration: cp311-manylinux_2_36_x86_64 bafkrei... 53012 passed=270 expected=5 ...

(environment, the file's CID, its cumulative DAG size, the summary).  ``ipwhl verify``
recomputes the root CID with those files linked in, so they are the ones in the tree, and
checks that each was made for the release's manifest.

Format ``ipwhl-integration/1``, JSON (keys sorted, two-space indent, one trailing newline)::

    {
      "format": "ipwhl-integration/1",
      "environment": "cp311-manylinux_2_36_x86_64",   # interpreter tag - platform tag
      "python": "3.11.7",
      "manifest-cid": "bafkrei...",   # the manifest.json of the tree tested
      "sandbox": "network namespace", # how the network was kept out
      "summary": {"passed": 270, "expected-failure": 5, ...},   # OUTCOMES, counted
      "projects": {"<project>": {"version": "1.0", "outcome": "passed",
                                 "modules": ["x"], "seconds": 1.5, "detail": "",
                                 "tests": null or {"outcome": ..., "detail": ...,
                                                   "seconds": ...}}},
      "together": null or {"outcome": "passed", "detail": "", "projects": 282}
    }
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ReleaseError
from ..publish.browse.integration import DIRECTORY, ENVIRONMENT, FORMAT

__all__ = [
    "DIRECTORY",
    "FORMAT",
    "OUTCOMES",
    "UNEXPECTED",
    "Results",
    "format_tag_lines",
    "parse_results",
    "parse_tag_lines",
    "results_bytes",
]

# every outcome of one project, in the order a summary lists them
OUTCOMES = ("passed", "expected-failure", "skipped", "install-failed", "import-failed",
            "timed-out", "unexpected-pass", "tests-failed")
UNEXPECTED = frozenset({"install-failed", "import-failed", "timed-out", "unexpected-pass",
                        "tests-failed"})
_TAG_LINE = re.compile(r"integration: (\S+) (\S+) (\d+)((?: [a-z-]+=\d+)*)")


@dataclass(frozen=True)
class Results:
    """One results file, checked: its environment, the manifest it tested, its counts."""

    environment: str
    manifest_cid: str
    summary: Mapping[str, int]
    data: bytes  # the file's bytes, as published

    @property
    def failed(self) -> int:
        return sum(n for outcome, n in self.summary.items() if outcome in UNEXPECTED)


def results_bytes(document: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a results document (the same content, the same CID)."""
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode()


def parse_results(data: bytes, where: str) -> Results:
    """Read and check a results file; ReleaseError naming *where* if it is not one."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise ReleaseError(f"{where}: not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, dict) else None
        raise ReleaseError(f"{where}: format {got!r}, expected {FORMAT!r}")
    environment, manifest = doc.get("environment"), doc.get("manifest-cid")
    if not isinstance(environment, str) or not ENVIRONMENT.fullmatch(environment):
        raise ReleaseError(f"{where}: environment {environment!r} is not an environment name "
                           "(e.g. cp311-manylinux_2_36_x86_64)")
    if not isinstance(manifest, str) or not manifest.isalnum():
        raise ReleaseError(f"{where}: manifest-cid {manifest!r} is not a CID")
    summary, projects = doc.get("summary"), doc.get("projects")
    if not isinstance(summary, dict) or any(
            k not in OUTCOMES or not isinstance(v, int) or isinstance(v, bool) or v < 0
            for k, v in summary.items()):
        raise ReleaseError(f"{where}: summary must count outcomes among {', '.join(OUTCOMES)}")
    if not isinstance(projects, dict):
        raise ReleaseError(f"{where}: 'projects' must be an object")
    counted: dict[str, int] = {}
    for name, entry in projects.items():
        outcome = entry.get("outcome") if isinstance(entry, dict) else None
        if outcome not in OUTCOMES:
            raise ReleaseError(f"{where}: projects.{name}: outcome {outcome!r} is not one of "
                               f"{', '.join(OUTCOMES)}")
        counted[outcome] = counted.get(outcome, 0) + 1
        tests = entry.get("tests")
        if isinstance(tests, dict) and tests.get("outcome") == "tests-failed":
            counted["tests-failed"] = counted.get("tests-failed", 0) + 1
    if {k: v for k, v in summary.items() if v} != counted:
        raise ReleaseError(f"{where}: the summary does not count the projects' outcomes")
    return Results(environment, manifest, {k: v for k, v in summary.items() if v}, data)


def format_tag_lines(entries: list[tuple[Results, str, int]]) -> str:
    """The tag message's lines for *entries*: (results, the file's CID, its DAG size)."""
    lines = []
    for results, cid, dag_size in sorted(entries, key=lambda e: e[0].environment):
        counts = "".join(f" {k}={results.summary[k]}" for k in OUTCOMES if k in results.summary)
        lines.append(f"integration: {results.environment} {cid} {dag_size}{counts}\n")
    return "".join(lines)


def parse_tag_lines(message: str) -> list[tuple[str, str, int, dict[str, int]]]:
    """The integration lines of a tag message: (environment, CID, DAG size, summary)."""
    found = []
    for line in message.splitlines():
        if m := _TAG_LINE.fullmatch(line.strip()):
            counts = {k: int(v) for k, v in (kv.split("=") for kv in m[4].split())}
            found.append((m[1], m[2], int(m[3]), counts))
    return found

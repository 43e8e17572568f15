"""``ipwhl outdated [--root DIR] [--index-url URL] [--jobs N] [--held] [--json]``: projects
behind the index, and projects held below their newest release, with why.

Prints ``PROJECT DECLARED -> LATEST`` per outdated project and ``PROJECT DECLARED (NEWEST
held: REASON)`` per held one (:mod:`ipwhl_checks.curate.outdated`), sorted by project, a
project's outdated line first; ``--held`` prints the held lines only.  ``--json``: a list
of ``{"project", "declared", "latest"}`` objects, one per project, where a held project's
also has ``"held": {"version", "reason"}`` (and ``"latest"`` is null when it cannot move
at all).  Exits 0, or 1 when a project page could not be read (named on standard error;
the others are still listed).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..curate.outdated import Survey, find_outdated
from ..repo.tree import load_tree
from ..sources.fetch import Client, FetchOptions
from ..sources.pipconfig import default_index_url
from ._common import add_index_url, add_jobs, add_root, require_root

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    add_index_url(parser)
    add_jobs(parser)
    parser.add_argument("--held", action="store_true",
                        help="only the projects held below their newest release, and why")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def _objects(survey: Survey, held_only: bool) -> list[dict[str, Any]]:
    objects: dict[str, dict[str, Any]] = {}
    if not held_only:
        for o in survey.outdated:
            objects[o.project] = {"project": o.project, "declared": str(o.declared),
                                  "latest": str(o.latest)}
    for h in survey.held:
        entry = objects.setdefault(h.project, {
            "project": h.project, "declared": str(h.declared),
            "latest": None if h.latest is None else str(h.latest)})
        entry["held"] = {"version": str(h.newest), "reason": h.reason}
    return [objects[p] for p in sorted(objects)]


def _lines(survey: Survey, held_only: bool) -> list[str]:
    lines = [] if held_only else [(o.project, 0, f"{o.project} {o.declared} -> {o.latest}")
                                  for o in survey.outdated]
    lines += [(h.project, 1, str(h)) for h in survey.held]
    return [line for _p, _o, line in sorted(lines)]


def run(args: argparse.Namespace) -> int:
    args.root = require_root(args.root)
    tree = load_tree(args.root)
    index_url = args.index_url or default_index_url()
    options = FetchOptions.from_env(**({"jobs": args.jobs} if args.jobs else {}))
    with Client(options) as client:
        survey = find_outdated(tree, client=client, index_url=index_url)
    for error in survey.errors:
        print(f"ipwhl outdated: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps(_objects(survey, args.held), indent=2))
    else:
        for line in _lines(survey, args.held):
            print(line)
    return 1 if survey.errors else 0

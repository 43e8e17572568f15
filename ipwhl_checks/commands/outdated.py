"""``ipwhl outdated [--root DIR] [--index-url URL] [--json]``: projects behind the index.

Prints ``PROJECT DECLARED -> LATEST`` per outdated project (``--json``: a list of
``{"project", "declared", "latest"}`` objects).  Exits 0, or 1 when a project page could
not be read (named on standard error; the others are still listed).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..curate.outdated import find_outdated
from ..repo.tree import load_tree
from ..sources.fetch import Client, FetchOptions
from ..sources.pipconfig import default_index_url
from ._common import add_index_url, add_jobs, add_root, require_root

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    add_index_url(parser)
    add_jobs(parser)
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def run(args: argparse.Namespace) -> int:
    args.root = require_root(args.root)
    tree = load_tree(args.root)
    index_url = args.index_url or default_index_url()
    options = FetchOptions.from_env(**({"jobs": args.jobs} if args.jobs else {}))
    with Client(options) as client:
        outdated, errors = find_outdated(tree.declarations, tree.settings, client=client,
                                         index_url=index_url)
    for error in errors:
        print(f"ipwhl outdated: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps([{"project": o.project, "declared": str(o.declared),
                           "latest": str(o.latest)} for o in outdated], indent=2))
    else:
        for o in outdated:
            print(f"{o.project} {o.declared} -> {o.latest}")
    return 1 if errors else 0

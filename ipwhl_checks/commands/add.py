"""``ipwhl add [--root DIR] [--index-url URL] [--recursive] [--source URL] SPEC...``.

SPEC is ``NAME==VERSION`` or ``NAME[EXTRA,...]==VERSION`` (pip's choice of wheel on every
supported environment, from the index; the extras are declared), a wheel URL, or a local
wheel file together with ``--source URL``, the address it is published at.  Extras are
curated (:mod:`ipwhl_checks.curate.add`): only those wanted of a project are declared.
Writes canonical declarations, removes the replaced versions' ones, and prints one line
per file written or removed; environments without a wheel and wanted extras a wheel
lacks are named on standard error.  On any error nothing is written (exit 1).
"""

from __future__ import annotations

import argparse
import sys

from ..curate.add import apply_plan, plan_add
from ..repo.tree import load_tree
from ..sources.fetch import Client, FetchOptions
from ..sources.pipconfig import default_index_url
from ._common import add_index_url, add_root, require_root

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("specs", nargs="+", metavar="SPEC",
                        help="NAME==VERSION, NAME[EXTRA,...]==VERSION, a wheel URL, or a "
                             "local wheel with --source")
    add_root(parser)
    add_index_url(parser)
    parser.add_argument("--source", metavar="URL",
                        help="where the local wheel SPEC is published (its declared source)")
    parser.add_argument("-r", "--recursive", action="store_true",
                        help="also add every dependency the tree does not have, on every "
                             "supported environment, and the extras asked of projects")


def run(args: argparse.Namespace) -> int:
    args.root = require_root(args.root)
    tree = load_tree(args.root)
    index_url = args.index_url or default_index_url()
    with Client(FetchOptions.from_env()) as client:
        plan = plan_add(tree, args.specs, client=client, index_url=index_url,
                        source=args.source, recursive=args.recursive)
    for warning in plan.warnings:
        print(f"ipwhl add: warning: {warning}", file=sys.stderr)
    before = {path: path.read_bytes() if path.is_file() else None for path in plan.writes}
    apply_plan(plan)
    for path, text in sorted(plan.writes.items()):
        old = before[path]
        if old is None:
            print(f"added {path}")
        elif old != text.encode():
            print(f"updated {path}")
    for path in sorted(plan.removes - set(plan.writes)):
        print(f"removed {path}")
    return 0

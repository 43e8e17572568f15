"""``ipwhl check [--root DIR] [--online [--index-url URL]] [PATH ...]``: check the data tree.

Runs every offline check over the tree at ``--root`` (default ``data``); with PATHs, the
schema and layout checks of those files only, and the overlap and dependency checks over
the whole tree.  Prints one ``path: problem`` line per problem; exits 0 when clean, 1 when
a problem was found, 2 on a usage error.  ``--online`` also fetches the wheels of the
declarations checked and compares them with what they declare.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..checks.registry import all_checks, explain
from ..checks.run import run_checks
from ..errors import DeclarationError, UsageError
from ..repo.tree import load_tree, relative_to_root
from ._common import add_index_url, add_jobs, add_root, require_root

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="declarations (or directories) to check; default: the whole tree")
    add_root(parser)
    parser.add_argument("--online", action="store_true",
                        help="also fetch each wheel and compare it with its declaration")
    add_index_url(parser, "with --online: the package index to compare metadata with")
    add_jobs(parser)
    parser.add_argument("--explain", metavar="ID",
                        help="print what check ID means, why it matters and how to fix it")


def run(args: argparse.Namespace) -> int:
    if args.explain is not None:
        if args.explain not in all_checks():
            raise UsageError(f"unknown check id {args.explain!r}")
        print(explain(args.explain))
        return 0
    require_root(args.root)
    for path in args.paths:
        if not path.exists():
            raise UsageError(f"no such file or directory: {str(path)!r}")
        try:
            relative_to_root(args.root, path)
        except DeclarationError as e:
            raise UsageError(str(e)) from None
    tree = load_tree(args.root, args.paths or None)
    problems = run_checks(tree)
    if args.online:
        from ..checks.online import check_online

        checked = tree.declarations
        if args.paths:
            wanted = {Path(p).resolve() for p in args.paths}
            checked = [d for d in tree.declarations if d.path.resolve() in wanted
                       or any(parent in wanted for parent in d.path.resolve().parents)]
        problems = sorted({*problems, *check_online(checked, tree.settings,
                                                    index_url=args.index_url,
                                                    jobs=args.jobs)})
    for problem in problems:
        print(problem)
    return 1 if problems else 0

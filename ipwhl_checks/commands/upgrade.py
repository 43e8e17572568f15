"""``ipwhl upgrade [--root DIR] [--index-url URL] [--jobs N] [--commit] (NAME... | --all)``.

Brings the named projects (``--all``: every project) to the newest release that keeps the
whole tree valid on every supported environment, moving other projects along when they
must and adding the new dependencies (:mod:`ipwhl_checks.curate.upgrade`); declarations
are written as ``ipwhl add`` writes them.  Prints ``NAME OLD -> NEW`` per project moved
(``NAME VERSION (new: a dependency of ...)`` for a project new to the repository) and
``NAME OLD (NEW held: REASON)`` per named project kept below its newest release.

With ``--commit``: one commit per project, or per set that must move together, with a
message naming the move, the wheels added and removed, the dependency and
``requires-python`` changes and the changelog; each commit's id and title is printed.
The series is ready for ``git format-patch``.  Exits 0; 1 when a project page or a
release's METADATA could not be read (named on standard error; the rest is done) or the
upgrade would break the tree (nothing written).
"""

from __future__ import annotations

import argparse
import sys

from ..curate.add import apply_plan
from ..curate.commit import commit_plan, require_clean
from ..curate.upgrade import plan_upgrade, step_plan
from ..repo.tree import load_tree
from ..sources.fetch import Client, FetchOptions
from ..sources.pipconfig import default_index_url
from ._common import add_index_url, add_jobs, add_root, require_root

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="the projects to upgrade")
    parser.add_argument("--all", action="store_true", dest="every",
                        help="upgrade every project of the repository")
    parser.add_argument("--commit", action="store_true",
                        help="commit each project (or set that moves together) on its own, "
                             "with a generated message")
    add_root(parser)
    add_index_url(parser)
    add_jobs(parser)


def run(args: argparse.Namespace) -> int:
    args.root = require_root(args.root)
    tree = load_tree(args.root)
    if args.commit:
        require_clean(args.root)
    index_url = args.index_url or default_index_url()
    options = FetchOptions.from_env(**({"jobs": args.jobs} if args.jobs else {}))
    with Client(options) as client:
        upgrade = plan_upgrade(tree, args.names, every=args.every, client=client,
                               index_url=index_url)
    for line in [*upgrade.errors, *(f"warning: {w}" for w in upgrade.warnings)]:
        print(f"ipwhl upgrade: {line}", file=sys.stderr)
    for move in upgrade.moves:
        if move.old is None:
            print(f"{move.project} {move.new} (new: {move.why})")
        elif move.old != move.new:
            print(f"{move.project} {move.old} -> {move.new}")
    for held in upgrade.held:
        print(held)
    if upgrade.plan is not None:
        if args.commit:
            for commit in upgrade.commits:
                done = commit_plan(step_plan(args.root, commit.step), commit.message)
                print(f"committed {done[:12]} {commit.title}")
        else:
            apply_plan(upgrade.plan)
    return 1 if upgrade.errors else 0

"""``ipwhl coverage [--root DIR] [--all] [--json]``, and ``ipwhl coverage --top N LIST
[--notes FILE] [-o FILE] [--index-url URL] [--jobs N]``: what the repository covers.

Without ``--top`` (offline): one line per project whose wheels do not cover every
supported environment, ``NAME VERSION: 12 of 20: {cp312,cp313,cp314}-{...}; none for
...`` (``--all``: every project), then a summary line; ``--json`` prints a list of
``{"project", "versions", "covered", "missing"}`` objects instead.

With ``--top N LIST`` (online): which of the first N projects of LIST (one name a line,
``#`` comments; the most used first, e.g. ``docs/most-downloaded.txt``) the repository
lacks, and why, as the index says (:mod:`ipwhl_checks.curate.missing`), written as a
Markdown page to FILE (atomically) or standard output.  A name the command finds no
reason for is listed as such, and the exit status is 1.

Examples::

    ipwhl coverage
    ipwhl coverage --top 500 docs/most-downloaded.txt --notes docs/left-out.toml \\
        -o docs/most-downloaded-missing.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..curate.coverage import project_coverage
from ..curate.missing import Absent, find_absent, read_notes, read_yardstick
from ..errors import UsageError
from ..repo.tree import load_tree
from ..sources.fetch import Client, FetchOptions
from ..sources.pipconfig import default_index_url
from ..util.atomic import atomic_write
from ._common import add_index_url, add_jobs, add_root, require_root

__all__ = ["add_arguments", "run"]

_MILESTONES = (100, 200, 500, 1000)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument("--all", action="store_true",
                        help="every project, also those covering every supported environment")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--top", type=int, metavar="N",
                        help="list which of the first N projects of LIST the repository "
                             "lacks, and why (online)")
    parser.add_argument("list", nargs="?", type=Path, metavar="LIST",
                        help="with --top: project names, one a line, the most used first")
    parser.add_argument("--notes", type=Path, metavar="FILE",
                        help="with --top: TOML of name = \"why\" for what the index cannot tell")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="with --top: write the Markdown page here")
    add_index_url(parser)
    add_jobs(parser)


def run(args: argparse.Namespace) -> int:
    args.root = require_root(args.root)
    if args.top is None:
        if args.list or args.notes or args.output:
            raise UsageError("LIST, --notes and --output go with --top N")
        return _coverage(args)
    if args.top < 1 or args.list is None:
        raise UsageError("--top takes a positive N and a LIST of project names")
    if args.json or args.all:
        raise UsageError("--json and --all go without --top")
    return _absent(args)


def _coverage(args: argparse.Namespace) -> int:
    tree = load_tree(args.root)
    found = project_coverage(tree.declarations, tree.settings)
    shown = [c for c in found if args.all or not c.complete]
    if args.json:
        print(json.dumps([{"project": c.project, "versions": [str(v) for v in c.versions],
                           "covered": [e.name for e in c.covered],
                           "missing": [e.name for e in c.missing]} for c in shown], indent=2))
        return 0
    for c in shown:
        print(f"{c.project} {', '.join(map(str, c.versions))}: {c.describe()}")
    partial = sum(1 for c in found if not c.complete)
    print(f"{len(found)} projects: {len(found) - partial} cover every supported environment "
          f"({len(tree.settings.environments)}), {partial} some", file=sys.stderr)
    return 0


def _absent(args: argparse.Namespace) -> int:
    names = read_yardstick(args.list)[:args.top]
    notes = read_notes(args.notes) if args.notes else {}
    tree = load_tree(args.root)
    index_url = args.index_url or default_index_url()
    options = FetchOptions.from_env(**({"jobs": args.jobs} if args.jobs else {}))
    with Client(options) as client:
        absent = find_absent(names, tree.declarations, tree.settings, client=client,
                             index_url=index_url, notes=notes)
    command = " ".join(["ipwhl coverage --top", str(args.top), str(args.list),
                        *(["--notes", str(args.notes)] if args.notes else []),
                        *(["-o", str(args.output)] if args.output else [])])
    text = render_page(names, absent, command)
    if args.output is None:
        sys.stdout.write(text)
    else:
        atomic_write(args.output, text)
        print(f"ipwhl coverage: {len(names) - len(absent)} of the first {len(names)} in the "
              f"repository; {len(absent)} listed in {args.output}", file=sys.stderr)
    unexplained = [a.name for a in absent if not a.reason]
    if unexplained:
        print(f"ipwhl coverage: no reason found for {', '.join(unexplained)} (ipwhl add "
              "--recursive NAME may add them)", file=sys.stderr)
    return 1 if unexplained else 0


def render_page(names: list[str], absent: list[Absent], command: str) -> str:
    """The Markdown page: the figures, then one table row per project absent."""
    ranks = {a.rank for a in absent}
    figures = [f"{sum(1 for r in range(1, n + 1) if r not in ranks)} of the first {n}"
               for n in _MILESTONES if n < len(names)]
    figures.append(f"{len(names) - len(absent)} of the first {len(names)}")
    lines = [
        f"# Projects of the first {len(names)} the repository does not have",
        "",
        f"Generated by `{command}` from the list, the data tree and the index; do not edit.",
        "",
        f"In the repository: {', '.join(figures)}.",
        "",
        "| # | project | why it is not in the repository |",
        "|---:|---|---|",
    ]
    for a in absent:
        reason = (a.reason or "no reason found: `ipwhl add --recursive` may add it")
        lines.append(f"| {a.rank} | {a.name} | {reason.replace('|', '/')} |")
    return "\n".join(lines) + "\n"

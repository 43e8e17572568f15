"""``ipwhl check [--root DIR] [--online [--index-url URL]] [--format text|json] [PATH ...]``:
check the data tree.

Runs every offline check over the tree at ``--root`` (default: found from the current
directory, see :mod:`ipwhl_checks.commands._common`); with PATHs, the schema and layout
checks of those files only, and the overlap and dependency checks over the whole tree.
Prints one ``path: ID message`` line per problem, root causes first (the order of
:func:`ipwhl_checks.checks.run.report_order`); exits 0 when clean, 1 when a problem was
found, 2 on a usage error.  ``--online`` also fetches the wheels of the declarations
checked and compares them with what they declare, and reads every wheel's RECORD for
the files two projects would both install (IW507, :mod:`ipwhl_checks.checks.clash`).

``--format json`` prints a JSON array instead, one object per line and per problem, in
the same order: ``{"path", "id", "project", "environments", "message"}`` (``project``
null for a file that names none; ``environments`` the environments the problem is on,
``[]`` for a problem of the file itself).  ``--explain ID`` prints what a check means,
why it matters and how to fix it; ``--list-checks`` every check id with its summary.
"""

from __future__ import annotations

import argparse
import difflib
import json
from dataclasses import replace
from pathlib import Path

from ..checks.registry import all_checks, explain, summary
from ..checks.run import report_order, run_checks
from ..errors import DeclarationError, UsageError
from ..repo.declaration import Declaration, Problem
from ..repo.tree import Tree, load_tree, relative_to_root
from ._common import add_index_url, add_jobs, add_root, require_root

__all__ = ["add_arguments", "problem_json", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="declarations (or directories) to check; default: the whole tree")
    add_root(parser)
    parser.add_argument("--online", action="store_true",
                        help="also fetch each wheel and compare it with its declaration")
    add_index_url(parser, "with --online: the package index to compare metadata with")
    add_jobs(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="'text': one 'path: ID message' line per problem; 'json': a "
                             "JSON array of {path, id, project, environments, message} "
                             "(default: %(default)s)")
    parser.add_argument("--explain", metavar="ID",
                        help="print what check ID means, why it matters and how to fix it")
    parser.add_argument("--list-checks", action="store_true",
                        help="print every check id with its one-line summary")


def problem_json(problem: Problem) -> str:
    """One problem as the JSON object ``--format json`` prints, on one line."""
    return json.dumps({"path": problem.path, "id": problem.check, "project": problem.project,
                       "environments": list(problem.environments),
                       "message": problem.message}, ensure_ascii=False)


def _explain(check: str) -> str:
    checks = all_checks()
    if check.upper() in checks:
        return explain(check.upper())
    close = difflib.get_close_matches(check.upper(), checks, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    raise UsageError(f"unknown check id {check!r}; {hint}('ipwhl check --list-checks' "
                     "lists them)")


def _clashes(tree: Tree, checked: list[Declaration]) -> list[Problem]:
    """IW507 for the pairs that hold a checked declaration, from the wheels in the cache:
    ``check_online`` has just downloaded and verified every checked one (those it could
    not fetch are its problems already); checking named declarations (a patch's), the
    others are compared when their wheel is already in the cache, so a patch downloads
    only what it touches (``ipwhl publish`` compares every pair before it publishes)."""
    from ..checks.clash import check_clashes
    from ..sources.cache import wheel_path

    verified = set(checked)
    whole = len(checked) == len(tree.declarations)

    def wheel_file(d: Declaration) -> Path | str | None:
        cached = wheel_path(d.content_id, d.filename)
        return cached if Path(cached).is_file() else None
    only = None if whole else verified
    return check_clashes(tree.declarations, tree.settings.environments, wheel_file, only)


def run(args: argparse.Namespace) -> int:
    if args.explain is not None:
        print(_explain(args.explain))
        return 0
    if args.list_checks:
        for check in all_checks():
            print(summary(check))
        return 0
    root = require_root(args.root)
    for path in args.paths:
        if not path.exists():
            raise UsageError(f"no such file or directory: {str(path)!r}")
        try:
            relative_to_root(root, path)
        except DeclarationError as e:
            raise UsageError(str(e)) from None
    tree = load_tree(root, args.paths or None)
    problems = run_checks(tree)
    if args.online:
        from ..checks.online import check_online

        checked = tree.declarations
        if args.paths:
            wanted = {Path(p).resolve() for p in args.paths}
            checked = [d for d in tree.declarations if d.path.resolve() in wanted
                       or any(parent in wanted for parent in d.path.resolve().parents)]
        projects = {str(d.path): d.project for d in checked}
        online = [*check_online(checked, tree.settings, index_url=args.index_url,
                                jobs=args.jobs),
                  *_clashes(tree, checked)]
        problems = report_order([*problems, *(replace(p, project=p.project or projects.get(p.path))
                                              for p in online)])
    if args.format == "json":
        print("[" + ",\n ".join(map(problem_json, problems)) + "]")
    else:
        for problem in problems:
            print(problem)
    return 1 if problems else 0

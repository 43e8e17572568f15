"""``ipwhl add [--root DIR] [--index-url URL] [--recursive] [--source URL] SPEC...``.

SPEC is ``NAME`` or ``NAME[EXTRA,...]``, either alone (the newest release with a wheel for
every supported environment), with a version (``==VERSION``: that release) or with a range
(``>=1,<2``: the newest such release in it), a wheel URL, or a local wheel file together
with ``--source URL``, the address it is published at.  pip's choice of wheel on every
supported environment is declared, from the index; the extras named are declared too.
Extras are curated (:mod:`ipwhl_checks.curate.add`): only those wanted of a project are
declared.  Writes canonical declarations, removes the replaced versions' ones, and prints
one line per file written or removed, then a summary: one line per project added or
updated, and the totals.  Environments without a wheel, newer releases passed over and
wanted extras a wheel lacks are named on standard error.  On any error nothing is written
(exit 1); a SPEC that cannot be understood is a usage error (exit 2).

The tree it leaves is then checked as ``ipwhl check`` checks it: if that finds problems
(wheels of one release that install together, a dependency the tree lacks...), they are
printed as ``ipwhl check`` prints them, with what to do, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from ..checks.run import run_checks
from ..curate.add import Plan, apply_plan, plan_add
from ..repo.declaration import Problem
from ..repo.tree import Tree, load_tree
from ..sources.fetch import Client, FetchOptions
from ..sources.pipconfig import default_index_url
from ..util.progress import Progress
from ._common import add_index_url, add_jobs, add_root, require_root

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("specs", nargs="+", metavar="SPEC",
                        help="NAME (the newest release with a wheel everywhere), "
                             "NAME==VERSION, NAME>=VERSION..., NAME[EXTRA,...]..., a wheel "
                             "URL, or a local wheel with --source")
    add_root(parser)
    add_index_url(parser)
    add_jobs(parser)
    parser.add_argument("--source", metavar="URL",
                        help="where the local wheel SPEC is published (its declared source)")
    parser.add_argument("-r", "--recursive", action="store_true",
                        help="also add every dependency the tree does not have, on every "
                             "supported environment, and the extras asked of projects")


def run(args: argparse.Namespace) -> int:
    args.root = require_root(args.root)
    tree = load_tree(args.root)
    index_url = args.index_url or default_index_url()
    options = FetchOptions.from_env(**({"jobs": args.jobs} if args.jobs else {}))
    with Client(options) as client, \
            Progress("downloading", "wheels", done_verb="downloaded") as client.progress:
        plan = plan_add(tree, args.specs, client=client, index_url=index_url,
                        source=args.source, recursive=args.recursive)
    for warning in plan.warnings:
        print(f"ipwhl add: warning: {warning}", file=sys.stderr)
    before = {path: path.read_bytes() if path.is_file() else None for path in plan.writes}
    apply_plan(plan)
    done: dict[Path, str] = {}
    for path, text in sorted(plan.writes.items()):
        old = before[path]
        if old is None:
            done[path] = "added"
        elif old != text.encode():
            done[path] = "updated"
    for path in sorted(plan.removes - set(plan.writes)):
        done[path] = "removed"
    for path, what in sorted(done.items(), key=lambda item: (item[1] == "removed", item[0])):
        print(f"{what} {path}")
    problems = run_checks(load_tree(args.root))
    for problem in problems:
        print(problem)
    for line in _summary(tree, plan, done):
        print(line)
    if problems:
        print(f"ipwhl add: the tree now fails ipwhl check ({_count(len(problems), 'problem')} "
              f"above): {_advice(problems)}", file=sys.stderr)
        return 1
    return 0


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _summary(tree: Tree, plan: Plan, done: dict[Path, str]) -> list[str]:
    """One line per project whose declarations changed, then the totals:

    ``demo 1.0: new, 2 declarations added``, ``demo 1.0 -> 1.1: 1 declaration added, 2
    removed``, ``demo 1.0: 1 declaration updated``, ``2 projects added or updated: 3
    declarations added, 2 removed``."""
    if not done:
        return ["nothing changed: the tree declares " + (", ".join(plan.added) or "it all")]
    old: dict[str, set[str]] = defaultdict(set)
    for d in tree.declarations:
        old[d.project].add(str(d.version))
    new: dict[str, str] = {d.project: str(d.version) for d in plan.new}
    by_project: dict[str, list[str]] = defaultdict(list)
    for path, what in done.items():
        by_project[path.parent.name].append(what)
    lines = []
    for project in sorted(by_project):
        was, now = ", ".join(sorted(old[project])), new.get(project, "")
        if not was:
            head = f"{project} {now}: new,"
        elif not now or {now} == old[project]:
            head = f"{project} {now or was}:"
        else:
            head = f"{project} {was} -> {now}:"
        lines.append(f"{head} {_changes(by_project[project])}")
    lines.append(f"{_count(len(by_project), 'project')} added or updated: "
                 f"{_changes(list(done.values()))}")
    return lines


def _changes(whats: list[str]) -> str:
    """``3 declarations added, 1 updated, 2 removed`` (the kinds there are, in that order)."""
    parts = [(what, whats.count(what)) for what in ("added", "updated", "removed")
             if what in whats]
    return ", ".join(f"{_count(n, 'declaration') if i == 0 else n} {what}"
                     for i, (what, n) in enumerate(parts))


def _advice(problems: list[Problem]) -> str:
    """What to do about the problems of the tree ``add`` left, by their check ids."""
    checks = {p.check for p in problems}
    advice = []
    if checks & {"IW301", "IW302"}:
        advice.append("keep one of the declarations that install together (remove the "
                      "others), or add a release whose wheels do not overlap "
                      "(ipwhl add NAME==VERSION)")
    if checks & {"IW401", "IW402", "IW403", "IW404"}:
        advice.append("add what the dependencies need (ipwhl add --recursive SPEC, or "
                      "ipwhl add NAME for each project named)")
    if checks - {"IW301", "IW302", "IW401", "IW402", "IW403", "IW404"}:
        advice.append("fix the others (ipwhl check --explain ID says how)")
    return "; ".join(advice) + " (in git, git restore and git clean of the data tree undo the add)"

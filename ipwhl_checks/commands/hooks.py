"""The pre-commit hooks that are not plain ``ipwhl`` commands (see ``.pre-commit-hooks.yaml``).

* ``ipwhl-check-declarations [--root DIR] FILE...`` (hook ``ipwhl-check``): the schema
  and layout of the files a commit changes, and the overlaps within their projects.  It
  reads only those projects' directories, so it stays fast on a large tree.
* ``ipwhl-check-dependencies [--root DIR]`` (hook ``ipwhl-dependencies``): the
  dependencies of the whole tree, which any change can break (a removed or upgraded
  declaration breaks its dependents), and the projects the integration file names
  (IW406).  Problems of single files and overlaps are left to
  the per-file hook, so each problem is reported once.

Both print the ``path: ID message`` lines ``ipwhl check`` prints, in its order (root causes
first, :func:`ipwhl_checks.checks.run.report_order`), find the data tree as it does, exit 0
when clean, 1 on a problem, 2 on misuse, and run with the cyclic garbage collector
paused, as ``ipwhl`` commands do (:mod:`ipwhl_checks.util.nogc`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ..checks.deps import check_dependencies
from ..checks.run import integration_problems, report_order, run_checks
from ..errors import IpwhlError, UsageError
from ..repo.declaration import Problem
from ..repo.tree import load_tree
from ..util.nogc import paused_gc
from ._common import add_root, require_root

__all__ = ["check_declarations_main", "check_dependencies_main"]


_EXAMPLES = {
    "ipwhl-check-declarations": "example:\n  ipwhl-check-declarations "
                                "data/7c/requests/requests-2.32.3-py3-none-any.toml",
    "ipwhl-check-dependencies": "example:\n  ipwhl-check-dependencies --root data",
}


def _parser(prog: str, files: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0],
                                     epilog=_EXAMPLES[prog],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_root(parser)
    if files:
        parser.add_argument("files", nargs="*", type=Path, metavar="FILE")
    return parser


def _report(prog: str, run: Callable[[], Sequence[Problem]]) -> int:
    try:
        with paused_gc():
            problems = run()
    except UsageError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except IpwhlError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def check_declarations_main(argv: Sequence[str] | None = None) -> int:
    prog = "ipwhl-check-declarations"
    try:
        args = _parser(prog, files=True).parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    files = [f for f in args.files if f.exists()]  # a deleted file has nothing to check
    if not files:
        return 0
    return _report(prog, lambda: run_checks(
        load_tree(require_root(args.root), files, only_projects=True), dependencies=False))


def check_dependencies_main(argv: Sequence[str] | None = None) -> int:
    prog = "ipwhl-check-dependencies"
    try:
        args = _parser(prog, files=False).parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)

    def run() -> list[Problem]:
        tree = load_tree(require_root(args.root), [])
        return report_order([*check_dependencies(tree.declarations, tree.settings, tree.invalid),
                             *integration_problems(tree, schema=False)])

    return _report(prog, run)


if __name__ == "__main__":
    raise SystemExit(check_declarations_main())

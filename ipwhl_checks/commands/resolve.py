"""``ipwhl resolve --env ENV [--root DIR] REQUIREMENT...``: the install set on one environment.

Prints one line per package, sorted by name: the normalized name, the version and the
wheel's file name, e.g. ``idna 3.7 idna-3.7-py3-none-any.whl``.  ENV is a supported
environment (``cp312-manylinux_2_28_x86_64``), another CPython on a known platform, or
``current`` (the running interpreter).  An impossible request exits 1 with one line
saying which requirement, pulled in by which package, conflicts with what; a requested
project without a wheel for ENV is named with the environments its wheels cover.
"""

from __future__ import annotations

import argparse
import sys

from ..install.resolve import resolve
from ..repo.tree import load_tree
from ._common import add_root, parse_environment, parse_requirements, require_root

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("requirements", nargs="+", metavar="REQUIREMENT",
                        help="PEP 508 requirements, e.g. 'requests[socks]>=2.31'")
    parser.add_argument("--env", required=True, metavar="ENV",
                        help="environment, e.g. cp312-manylinux_2_28_x86_64, or 'current'")
    add_root(parser)


def run(args: argparse.Namespace) -> int:
    requirements = parse_requirements(args.requirements)
    args.root = require_root(args.root)
    tree = load_tree(args.root)
    environment = parse_environment(args.env, tree.settings)
    if tree.problems:
        invalid = len({p.path for p in tree.problems})
        print(f"ipwhl resolve: warning: left out {invalid} invalid "
              f"{'file' if invalid == 1 else 'files'} of {str(args.root)!r} "
              "(see 'ipwhl check')", file=sys.stderr)
    for d in resolve(tree.declarations, environment, requirements, tree.settings.environments):
        print(f"{d.project} {d.version} {d.filename}")
    return 0

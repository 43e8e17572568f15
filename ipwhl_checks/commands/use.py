"""``ipwhl use [--gateway URL] [--repo PATH_OR_URL] [--allowed-signers FILE] [--python PY]
[--dry-run]``: set pip's site index-url to the newest verified release.

Prints the release, the signature report, what it set (or, with ``--dry-run``, would
set) and the command that undoes it.  See :mod:`ipwhl_checks.release.use`.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from ..release.use import apply, checkout, gateway_url, plan
from ._common import add_allowed_signers
from .lock import DEFAULT_GATEWAY

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gateway", default=DEFAULT_GATEWAY, metavar="URL",
                        help="IPFS gateway (default: $IPWHL_GATEWAY or %(default)s)")
    parser.add_argument("--repo", default=".", metavar="PATH_OR_URL",
                        help="the data repository: a checkout or a git URL (default: .)")
    add_allowed_signers(parser)
    parser.add_argument("--python", default=sys.executable, metavar="PYTHON",
                        help="the interpreter whose pip to configure (default: this one)")
    parser.add_argument("--dry-run", action="store_true", help="only print what it would do")


def run(args: argparse.Namespace) -> int:
    gateway_url(args.gateway)  # a usage error before any clone or verification
    with checkout(args.repo) as (repo, cloned):
        found = plan(repo, args.gateway, cloned=cloned, allowed_signers=args.allowed_signers)
    release = found.release
    py = shlex.quote(args.python)
    set_cmd = f"{py} -m pip config --site set global.index-url {shlex.quote(found.index_url)}"
    print(f"release {found.tag}: {release.root_cid} ({release.projects} projects, "
          f"{release.wheels} wheels)")
    print(f"signature: {found.signature} (allowed signers: {found.signers})")
    print(f"index-url: {found.index_url}")
    if args.dry_run:
        print(f"would run: {set_cmd}")
        return 0
    previous = apply(args.python, found.index_url)
    print(f"ran: {set_cmd}")
    if previous:
        print(f"undo: {py} -m pip config --site set global.index-url {shlex.quote(previous)}")
    else:
        print(f"undo: {py} -m pip config --site unset global.index-url")
    return 0

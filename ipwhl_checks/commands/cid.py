"""``ipwhl cid [--profile P] [--hidden] PATH``: print the CID ``ipfs add`` gives PATH.

The line is exactly what ``ipfs add -Q --only-hash [-r] PATH`` prints under the profile:
the root CID, base58btc for unixfs-v0-2015, base32 for unixfs-v1-2025.  Without
``--profile`` the profile of the data repository the command runs in is used, else
unixfs-v0-2015 (kubo's default).
"""

from __future__ import annotations

import argparse

from ..repo.settings import PROFILES, discover_profile
from ..unixfs import DagBuilder, get_profile

__all__ = ["add_arguments", "resolve_profile", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        help="IPIP-499 import profile (default: the data repository's, else unixfs-v0-2015)",
    )
    parser.add_argument(
        "--hidden", action="store_true", help="include files whose name starts with '.'"
    )
    parser.add_argument("path", metavar="PATH", help="file or directory")


def resolve_profile(name: str | None) -> str:
    """*name*, else the profile of the data repository around the cwd, else unixfs-v0-2015."""
    return name or discover_profile() or "unixfs-v0-2015"


def run(args: argparse.Namespace) -> int:
    builder = DagBuilder(get_profile(resolve_profile(args.profile)))
    node = builder.add_path(args.path, hidden=args.hidden)
    print(node.cid)
    return 0

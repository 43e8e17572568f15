"""``ipwhl diff OLD NEW [--json] [--root data] [--gateway URL]``: release notes.

OLD and NEW are each a release tag (or any commit of the data repository), a
``manifest.json`` file, or a root CID whose manifest is fetched through ``--gateway`` and
verified block by block.  Prints a summary line, then one line per change: ``+ NAME
VERSION`` (added), ``- NAME VERSION`` (removed), ``~ NAME OLD -> NEW`` (upgraded;
``(downgraded)`` when lower), ``= NAME VERSION: wheels +N -M`` (same version, other wheel
files) and ``! NAME: no longer covers ENV...`` (coverage of the supported environments,
known for a tag's tree, or from ``--root``'s settings for a manifest).  ``--json`` prints
the same as one JSON object.  Exit 0.

Example::

    ipwhl diff ipwhl-20261201.000000 HEAD
    ipwhl diff old/manifest.json build/site/manifest.json --json
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..release.diff import diff
from ..release.states import state_of

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", metavar="OLD", help="a release tag, a manifest.json or a CID")
    parser.add_argument("new", metavar="NEW", help="a release tag, a manifest.json or a CID")
    parser.add_argument("--root", type=Path, default=Path("data"),
                        help="the data tree (default: %(default)s)")
    parser.add_argument("--gateway", metavar="URL",
                        default=os.environ.get("IPWHL_GATEWAY", "http://127.0.0.1:8080"),
                        help="IPFS gateway for CIDs (default: $IPWHL_GATEWAY or %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from ..sources.fetch import Client

    with Client() as client:  # (one session for both operands)
        changes = diff(state_of(args.old, args.root, args.gateway, client),
                       state_of(args.new, args.root, args.gateway, client))
    if args.json:
        print(changes.as_json(), end="")
        return 0
    print(f"{args.old} -> {args.new}: {changes.summary()}")
    for line in changes.lines():
        print(line)
    return 0

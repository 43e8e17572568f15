"""``ipwhl lock --cid CID --env ENV [--gateway URL] [--format requirements|pylock] [-o FILE]
REQUIREMENT...``: a hash-checking lock for one environment, from the published manifest.

The manifest is fetched as a CAR through the gateway and verified from CID down (see
:mod:`ipwhl_checks.gateway.client`; each wait at most ``IPWHL_TIMEOUT`` seconds, and the
whole transfer bounded as every download is), resolved for ENV (a supported environment such as
``cp312-manylinux_2_28_x86_64``, or ``current``), and written to FILE (atomically) or to
standard output.  With ``--format pylock`` FILE must be named ``pylock.toml`` or
``pylock.<name>.toml`` (PEP 751).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from ..errors import UsageError
from ..gateway.client import fetch_verified
from ..install.lock import lock, pylock_text, requirements_text
from ..publish.manifest import MANIFEST_NAME, parse_manifest
from ..util.atomic import atomic_write
from ._common import parse_environment, parse_requirements

__all__ = ["DEFAULT_GATEWAY", "add_arguments", "run"]

DEFAULT_GATEWAY = os.environ.get("IPWHL_GATEWAY", "http://127.0.0.1:8080")
_PYLOCK_NAME = re.compile(r"pylock(\.[^.]+)?\.toml")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("requirements", nargs="+", metavar="REQUIREMENT",
                        help="PEP 508 requirements, e.g. 'requests[socks]>=2.31'")
    parser.add_argument("--cid", required=True, help="the published root CID")
    parser.add_argument("--env", required=True, metavar="ENV",
                        help="environment, e.g. cp312-manylinux_2_28_x86_64, or 'current'")
    parser.add_argument("--gateway", default=DEFAULT_GATEWAY, metavar="URL",
                        help="IPFS gateway (default: $IPWHL_GATEWAY or %(default)s)")
    parser.add_argument("--format", choices=["requirements", "pylock"],
                        default="requirements", help="output format (default: %(default)s)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write here instead of standard output")


def run(args: argparse.Namespace) -> int:
    requirements = parse_requirements(args.requirements)
    if args.format == "pylock" and args.output and not _PYLOCK_NAME.fullmatch(args.output.name):
        raise UsageError(f"{str(args.output)!r}: PEP 751 lock files are named pylock.toml "
                      "or pylock.<name>.toml")
    target = parse_environment(args.env)  # the environments do not depend on the profile
    gateway = args.gateway.rstrip("/")
    index_url = f"{gateway}/ipfs/{args.cid}/"
    manifest = parse_manifest(fetch_verified(gateway, args.cid, MANIFEST_NAME),
                              f"{index_url}{MANIFEST_NAME}")
    locked = lock(manifest, index_url, target, requirements)
    if args.format == "pylock":
        # PEP 751 environments: where the lock holds; 'current' is this interpreter's
        m = target.markers
        markers = (f"python_version == '{m['python_version']}' and sys_platform == "
                   f"'{m['sys_platform']}' and platform_machine == '{m['platform_machine']}'")
        text = pylock_text(locked, index_url, markers, requirements)
    else:
        comment = (f"ipwhl lock --cid {args.cid} --env {args.env} "
                   + " ".join(map(str, requirements)))
        text = requirements_text(locked, index_url, comment)
    if args.output is None:
        sys.stdout.write(text)
    else:
        atomic_write(args.output, text)
        print(f"ipwhl lock: {len(locked)} wheels for {target.name} written to {args.output}",
              file=sys.stderr)
    return 0

"""``ipwhl fmt [--root DIR] [--check] [PATH ...]``: rewrite declarations in canonical form.

Formats the given declarations, or every declaration under ``--root`` (default
``data``).  Like pre-commit's own fixers it exits 1 when it rewrote a file (so a commit
stops and the fix can be reviewed and staged), and when a file cannot be formatted
(printed as ``path: problem``); 0 when every file already was canonical.  ``--check``
only reports the files it would rewrite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import DeclarationError, WriteError
from ..repo.fmt import format_file
from ..repo.integration import INTEGRATION_FILE
from ..repo.layout import SUFFIX
from ..repo.settings import SETTINGS_FILE
from ..repo.tree import iter_files
from ._common import add_root, require_root

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="declarations (or directories) to format; default: the whole tree")
    add_root(parser)
    parser.add_argument("--check", action="store_true",
                        help="do not write; report the files that are not canonical")


def _declarations(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        found = iter_files(path) if path.is_dir() else [path]
        files += [p for p in found if p.name.endswith(SUFFIX)
                  and p.name not in (SETTINGS_FILE, INTEGRATION_FILE)]
    return files


def run(args: argparse.Namespace) -> int:
    paths = args.paths or [require_root(args.root)]
    for path in paths:
        if not path.exists():
            print(f"ipwhl fmt: error: no such file or directory: {str(path)!r}", file=sys.stderr)
            return 2
        if not path.is_dir() and not path.name.endswith(SUFFIX):
            print(f"ipwhl fmt: error: not a declaration (a {SUFFIX} file) or a directory: "
                  f"{str(path)!r}", file=sys.stderr)
            return 2
    status = 0
    for path in _declarations(paths):
        try:
            changed = format_file(path, write=not args.check)
        except (DeclarationError, WriteError) as e:
            print(e)
            status = 1
            continue
        if changed:
            print(f"{path}: {'not in canonical form' if args.check else 'reformatted'}")
            status = 1
    return status

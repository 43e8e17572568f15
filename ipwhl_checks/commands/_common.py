"""Arguments several commands share: ``--root`` (the data tree) and ``--index-url``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["INDEX_URL_HELP", "add_index_url", "add_root", "root_error"]

INDEX_URL_HELP = "the simple index (default: pip's, from PIP_INDEX_URL or pip config)"


def add_root(parser: argparse.ArgumentParser) -> None:
    """``--root DIR``, the data tree, ``data`` by default."""
    parser.add_argument("--root", type=Path, default=Path("data"), metavar="DIR",
                        help="the data tree (default: %(default)s)")


def add_index_url(parser: argparse.ArgumentParser, help_text: str = INDEX_URL_HELP) -> None:
    """``--index-url URL``, None when not given (the caller falls back to pip's)."""
    parser.add_argument("--index-url", metavar="URL", help=help_text)


def root_error(command: str, root: Path) -> int | None:
    """Exit code 2 (usage error, printed) when *root* is not a directory, else None."""
    if root.is_dir():
        return None
    print(f"ipwhl {command}: error: the data root is not a directory: {str(root)!r}",
          file=sys.stderr)
    return 2

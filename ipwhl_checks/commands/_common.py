"""What several commands share: ``--root``, ``--index-url``, ``--jobs``, and checks of
their arguments.

Argument problems raise :class:`~ipwhl_checks.errors.UsageError`, which the dispatcher
prints as ``ipwhl COMMAND: error: MESSAGE`` with exit code 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ..errors import UsageError
from ..sources.pool import DEFAULT_JOBS

__all__ = ["INDEX_URL_HELP", "MAX_JOBS", "add_allowed_signers", "add_index_url", "add_jobs",
           "add_root", "parse_requirements", "require_root"]

INDEX_URL_HELP = "the simple index (default: pip's, from PIP_INDEX_URL or pip config)"
MAX_JOBS = 64


def add_root(parser: argparse.ArgumentParser) -> None:
    """``--root DIR``, the data tree, ``data`` by default."""
    parser.add_argument("--root", type=Path, default=Path("data"), metavar="DIR",
                        help="the data tree (default: %(default)s)")


def add_index_url(parser: argparse.ArgumentParser, help_text: str = INDEX_URL_HELP) -> None:
    """``--index-url URL``, None when not given (the caller falls back to pip's)."""
    parser.add_argument("--index-url", metavar="URL", help=help_text)


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if not 1 <= jobs <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"expected a number of downloads from 1 to "
                                         f"{MAX_JOBS}, not {text!r}")
    return jobs


def add_jobs(parser: argparse.ArgumentParser) -> None:
    """``--jobs N``: downloads at once; None when not given (the client's default)."""
    parser.add_argument("-j", "--jobs", type=_jobs, metavar="N",
                        help=f"downloads at once (default: {DEFAULT_JOBS})")


def add_allowed_signers(parser: argparse.ArgumentParser) -> None:
    """``--allowed-signers FILE`` (``ipwhl verify``, ``ipwhl use``)."""
    parser.add_argument("--allowed-signers", type=Path, metavar="FILE",
                        help="the keys allowed to sign: an SSH allowed-signers file or "
                             "ASCII-armored OpenPGP public keys, told apart by content "
                             "(default: the repository's .ipwhl/allowed_signers for an "
                             "SSH-signed tag, .ipwhl/allowed_signers.asc for an OpenPGP one)")


def require_root(root: Path) -> None:
    """Refuse (usage error) a data root that is not a directory."""
    if not root.is_dir():
        raise UsageError(f"the data root is not a directory: {str(root)!r}")


def parse_requirements(texts: Iterable[str]) -> list[Requirement]:
    """PEP 508 requirements from the command line; the first invalid one is a usage error."""
    requirements = []
    for text in texts:
        try:
            requirements.append(Requirement(text))
        except InvalidRequirement as e:
            reason = str(e).splitlines()[0]
            raise UsageError(f"{text!r} is not a valid requirement ({reason})") from None
    return requirements

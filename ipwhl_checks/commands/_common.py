"""What several commands share: ``--root``, ``--index-url``, ``--jobs``, and checks of
their arguments.

Argument problems raise :class:`~ipwhl_checks.errors.UsageError`, which the dispatcher
prints as ``ipwhl COMMAND: error: MESSAGE`` with exit code 2.

Without ``--root``, the data tree is found as git and pre-commit find their repository:
the directory ``data`` in the current directory or the nearest parent that has one, up to
the git top level (the directory holding ``.git``); outside a git work tree, only in the
current directory.  So every command works from anywhere inside the data repository,
``data/7c/`` included.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ..errors import SettingsError, UsageError
from ..install.resolve import Target, target_environment
from ..repo.settings import Settings
from ..sources.pool import DEFAULT_JOBS

__all__ = ["DATA_DIR", "INDEX_URL_HELP", "MAX_JOBS", "add_allowed_signers", "add_index_url",
           "add_jobs", "add_root", "find_root", "parse_environment", "parse_requirements",
           "require_root"]

INDEX_URL_HELP = "the simple index (default: pip's, from PIP_INDEX_URL or pip config)"
DATA_DIR = "data"
MAX_JOBS = 64


def add_root(parser: argparse.ArgumentParser) -> None:
    """``--root DIR``, the data tree; None when not given (see :func:`require_root`)."""
    parser.add_argument("--root", type=Path, metavar="DIR",
                        help="the data tree (default: the 'data' directory here or in the "
                             "nearest parent directory, up to the git top level)")


def find_root(start: str | None = None) -> Path:
    """The data tree seen from *start* (default: the current directory), relative to the
    current directory (``data``, ``../../data``); a usage error when there is none."""
    cwd = os.getcwd()
    here = Path(os.path.abspath(start or cwd))
    chain = [here, *here.parents]
    # .git: a directory, or a file in a linked worktree or a submodule
    top = next((d for d in chain if (d / ".git").exists()), None)
    chain = [here] if top is None else chain[: chain.index(top) + 1]
    for directory in chain:
        if (directory / DATA_DIR).is_dir():
            return Path(os.path.relpath(directory / DATA_DIR, cwd))
    where = "in the current directory (not in a git work tree)" if top is None else \
        f"here or above, up to the git top level {str(top)!r}"
    raise UsageError(f"no data tree: no {DATA_DIR!r} directory {where}; give one with --root DIR")


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


def require_root(root: Path | None) -> Path:
    """The data tree: *root* (``--root``), else the one found from the current directory
    (:func:`find_root`); a usage error when it is not a directory."""
    if root is None:
        return find_root()
    if not root.is_dir():
        raise UsageError(f"the data root is not a directory: {str(root)!r}")
    return root


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


def parse_environment(name: str, settings: Settings | None = None) -> Target:
    """``--env NAME`` (see :func:`~ipwhl_checks.install.resolve.target_environment`); an
    unknown one is a usage error."""
    try:
        return target_environment(settings or Settings(), name)
    except SettingsError as e:
        raise UsageError(str(e)) from None

"""The ``ipwhl`` command line: ``ipwhl COMMAND [ARGS...]``.

Exit codes: 0 success / clean, 1 a problem was found or an operation failed, 2 usage error,
128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).  Errors derived from
:class:`~ipwhl_checks.errors.IpwhlError` are printed on one line to standard error; no
traceback reaches the user.

A command stopped by SIGTERM (a CI job cancelled) or SIGHUP (its terminal closed) unwinds
the way Ctrl-C does, instead of dying where it stands: the temporary files of a write in
progress (a CAR, a ``--out`` tree, a download) are removed, and the targets are untouched.

A command runs with the cyclic garbage collector paused (see :mod:`ipwhl_checks.util.nogc`),
unless its module sets ``KEEP_GC = True`` (``ipwhl serve``, which runs for hours).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import FrameType, ModuleType

from . import __version__
from .errors import IpwhlError, UsageError
from .util.nogc import paused_gc

__all__ = ["COMMANDS", "Terminated", "main"]

# name -> (module under ipwhl_checks.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "check declarations (offline; --online also checks the wheels)"),
    "fmt": ("fmt", "rewrite declarations in the canonical format"),
    "resolve": ("resolve", "print the install set the repository gives on one environment"),
    "cid": ("cid", "print the CID `ipfs add` gives for a file or directory"),
    "car": ("car", "write a path's DAG to a CAR file, or verify a CAR"),
    "add": ("add", "add or upgrade projects from an index, writing declarations"),
    "outdated": ("outdated", "list projects behind the newest release on the index"),
    "coverage": ("coverage", "list the environments projects cover, or why projects are absent"),
    "publish": ("publish", "build the PEP 503 tree, its root CID and a CAR"),
    "release": ("release", "publish and create a signed tag carrying the root CID"),
    "verify": ("verify", "verify a release tag's signature and recompute its CID"),
    "serve": ("serve", "serve CAR files over HTTP as a verifying IPFS path gateway"),
    "lock": ("lock", "write a hash-checking lock for a published CID"),
    "use": ("use", "point pip at the newest verified release"),
    "diff": ("diff", "list the projects added, removed and upgraded between two releases"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ipwhl", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ipwhl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived (a BaseException, like KeyboardInterrupt: ``except
    Exception`` does not stop it, every ``finally`` runs)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def _unwind_on_termination() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP raise :class:`Terminated` (where they
    would kill the process); a signal the caller ignores stays ignored."""
    saved = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) == signal.SIG_DFL:
                saved[signum] = signal.signal(signum, _terminate)
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def _gc_policy(module: ModuleType) -> AbstractContextManager[None]:
    """The collector paused for the command, unless its module says ``KEEP_GC = True``."""
    return nullcontext() if getattr(module, "KEEP_GC", False) else paused_gc()


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not args_list or args_list[0] not in COMMANDS:
        try:
            parser.parse_args(args_list)  # prints usage or help
        except SystemExit as e:
            return int(e.code or 0)
        return 2
    name, rest = args_list[0], args_list[1:]
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(f"{__package__}.commands.{module_name}")
    sub = argparse.ArgumentParser(prog=f"ipwhl {name}", description=help_text)
    module.add_arguments(sub)
    try:
        args = sub.parse_args(rest)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        with _unwind_on_termination(), _gc_policy(module):
            return int(module.run(args))
    except UsageError as e:
        print(f"ipwhl {name}: error: {e}", file=sys.stderr)
        return 2
    except IpwhlError as e:
        print(f"ipwhl {name}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"ipwhl {name}: interrupted", file=sys.stderr)
        return 130
    except Terminated as e:
        print(f"ipwhl {name}: stopped by {e}", file=sys.stderr)
        return 128 + e.signum
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

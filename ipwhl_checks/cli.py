"""The ``ipwhl`` command line: ``ipwhl COMMAND [ARGS...]``.

Every command takes ``-q``/``--quiet`` (no progress display, no summary) and
``-v``/``--verbose`` (a line per file downloaded) (:mod:`ipwhl_checks.util.progress`).

Exit codes: 0 success / clean, 1 a problem was found or an operation failed, 2 usage error,
128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).  Errors derived from
:class:`~ipwhl_checks.errors.IpwhlError` are printed on one line to standard error; no
traceback reaches the user.

A command stopped by SIGTERM (a CI job cancelled) or SIGHUP (its terminal closed) unwinds
the way Ctrl-C does, instead of dying where it stands: the temporary files of a write in
progress (a CAR, a ``--out`` tree, a download) are removed, and the targets are untouched.

A mistyped command gets the close matches (``ipwhl chek``: did you mean 'check'?), and
every command's ``--help`` ends with examples (:data:`EXAMPLES`).  Without ``--root``, a
command finds the data tree from any directory inside the data repository
(:func:`ipwhl_checks.commands._common.find_root`).

A command runs with the cyclic garbage collector paused (see :mod:`ipwhl_checks.util.nogc`),
unless its module sets ``KEEP_GC = True`` (``ipwhl serve``, which runs for hours).
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import FrameType, ModuleType

from . import __version__
from .errors import IpwhlError, UsageError
from .util import progress
from .util.nogc import paused_gc

__all__ = ["COMMANDS", "EXAMPLES", "Terminated", "main"]

# name -> (module under ipwhl_checks.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "check declarations (offline; --online also checks the wheels)"),
    "fmt": ("fmt", "rewrite declarations in the canonical format"),
    "resolve": ("resolve", "print the install set the repository gives on one environment"),
    "cid": ("cid", "print the CID `ipfs add` gives for a file or directory"),
    "car": ("car", "write a path's DAG to a CAR file, or verify a CAR"),
    "add": ("add", "add or upgrade projects from an index, writing declarations"),
    "outdated": ("outdated", "list projects behind the newest release on the index, and "
                             "those held, with why"),
    "upgrade": ("upgrade", "bring projects to the newest releases that keep the tree valid, "
                           "as commits"),
    "coverage": ("coverage", "list the environments projects cover, or why projects are absent"),
    "publish": ("publish", "build the PEP 503 tree, its root CID and a CAR"),
    "release": ("release", "publish and create a signed tag carrying the root CID"),
    "verify": ("verify", "verify a release tag's signature and recompute its CID"),
    "serve": ("serve", "serve CAR files over HTTP as a verifying IPFS path gateway"),
    "lock": ("lock", "write a hash-checking lock for a published CID"),
    "use": ("use", "point pip at the newest verified release"),
    "diff": ("diff", "list the projects added, removed and upgraded between two releases"),
    "integrate": ("integrate", "install and import every project of a published tree, "
                               "sandboxed"),
}


_CID = "bafybeifxvlitkaxrdz4jdu6hhqqkaneqhxrctqnpilhedlcbb4ldm6dowy"
_WHEEL = "x-1.0-py3-none-any.whl"

# name -> examples shown at the end of ``ipwhl NAME --help``: (command line, what it does);
# tests/test_cli.py parses each with the command's own parser.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "check": (
        ("ipwhl check", "every offline check of the data tree"),
        ("ipwhl check data/7c/requests", "these files, and the dependencies of the tree"),
        ("ipwhl check --format json > problems.json", "one JSON object per problem"),
        ("ipwhl check --explain IW101", "what a check id means and how to fix it"),
        ("ipwhl check --list-checks", "every check id with its summary"),
        ("ipwhl check --online data/7c/requests", "also download and compare the wheels"),
    ),
    "fmt": (
        ("ipwhl fmt", "rewrite every declaration in canonical form"),
        ("ipwhl fmt --check data/7c/requests", "only say which files are not canonical"),
    ),
    "resolve": (
        ("ipwhl resolve --env cp312-manylinux_2_28_x86_64 'requests[socks]'",
         "the install set on one supported environment"),
        ("ipwhl resolve --env current 'httpx>=0.27'", "the same on the running interpreter"),
    ),
    "cid": (
        (f"ipwhl cid dist/{_WHEEL}", "the CID `ipfs add` gives, for a declaration"),
        ("ipwhl cid --profile unixfs-v0-2015 build/site", "a directory, under kubo's default"),
    ),
    "car": (
        ("ipwhl car build/site -o build/site.car", "write the DAG of a directory"),
        ("ipwhl car --verify build/site.car", "check every block against its CID"),
    ),
    "add": (
        ("ipwhl add requests==2.32.3", "pip's wheel on every supported environment"),
        ("ipwhl add --recursive 'requests[socks]==2.32.3'",
         "... and every dependency the tree lacks"),
        (f"ipwhl add dist/{_WHEEL} --source https://example.org/{_WHEEL}",
         "a local wheel, published at a URL"),
    ),
    "outdated": (
        ("ipwhl outdated", "projects behind the index"),
        ("ipwhl outdated --held", "only the held projects, and what holds them"),
        ("ipwhl outdated --json", "... for scripts"),
    ),
    "upgrade": (
        ("ipwhl upgrade httpx", "httpx at its newest release the tree allows"),
        ("ipwhl upgrade --all", "every project, moving sets together"),
        ("ipwhl upgrade --all --commit", "... one commit per project or set, for review"),
    ),
    "coverage": (
        ("ipwhl coverage", "projects that lack a wheel for some supported environment"),
        ("ipwhl coverage --all --json", "every project's environments, as JSON"),
        ("ipwhl coverage --top 500 docs/most-downloaded.txt -o docs/most-downloaded-missing.md",
         "why the first 500 of a list are absent"),
    ),
    "publish": (
        ("ipwhl publish --out build/site --car build/ipwhl.car", "the tree and its CAR"),
        ("ipwhl publish --previous manifest.json --car build/delta.car",
         "only what changed since the last release"),
        ("ipwhl publish --commit HEAD --changes-since ipwhl-20250101.120000 --out build/site",
         "the site with a changes page since that release's tree"),
    ),
    "release": (
        ("ipwhl release --car build/ipwhl.car", "publish HEAD's tree and tag it, signed"),
        ("ipwhl release --previous-from http://127.0.0.1:8080 --car build/delta.car",
         "on top of the newest release"),
    ),
    "verify": (
        ("ipwhl verify ipwhl-20250101.120000", "check a release tag and its root CID"),
        ("ipwhl verify ipwhl-20250101.120000 --gateway http://127.0.0.1:8080",
         "... and its integration results, the site made again from them"),
    ),
    "serve": (
        ("ipwhl serve build/ipwhl.car --port 8080", "a verifying gateway over a CAR"),
    ),
    "lock": (
        (f"ipwhl lock --cid {_CID} --env cp312-win_amd64 requests -o requirements.txt",
         "a hash-checking requirements file"),
        (f"ipwhl lock --cid {_CID} --env current --format pylock -o pylock.toml requests",
         "a PEP 751 lock for the running interpreter"),
    ),
    "use": (
        ("ipwhl use --dry-run", "what pointing pip at the newest release would do"),
        ("ipwhl use --repo https://example.org/ipwhl-data.git", "... of another repository"),
    ),
    "diff": (
        ("ipwhl diff ipwhl-20261201.000000 HEAD", "what changed since a release"),
        ("ipwhl diff old/manifest.json new/manifest.json --json", "two published trees, as JSON"),
    ),
    "integrate": (
        ("ipwhl integrate --site build/site", "install and import every project on this Python"),
        ("ipwhl integrate --car build/ipwhl.car --together --json build/integration.json",
         "every project, then all of them in one environment"),
    ),
}


_FIRST_STEPS = (
    ("ipwhl add --recursive requests==2.32.3", "declare a project and its dependencies"),
    ("ipwhl check", "every offline check of the data tree"),
    ("ipwhl publish --car build/ipwhl.car", "the published tree's root CID, and a CAR"),
    ("ipwhl COMMAND --help", "a command's options and examples"),
)


def _examples(name: str | None = None) -> str:
    """The "examples:" section of ``ipwhl [NAME] --help``: a command line and what it does
    on one line, or the comment above a long one."""
    pairs = EXAMPLES[name] if name else _FIRST_STEPS
    short = [line for line, _ in pairs if len(line) <= 50]
    width = max(map(len, short), default=0)
    rows = [f"  {line:<{width}}  # {what}" if len(line) <= 50 else f"  # {what}:\n  {line}"
            for line, what in pairs]
    return "examples:\n" + "\n".join(rows)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ipwhl", description="IPWHL's tooling: declare, "
                                     "check, publish and install curated wheels",
                                     epilog=_examples(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
    if args_list and args_list[0] not in COMMANDS and not args_list[0].startswith("-"):
        return _unknown_command(parser, args_list[0])
    if not args_list or args_list[0] not in COMMANDS:
        try:
            parser.parse_args(args_list)  # prints usage or help
        except SystemExit as e:
            return int(e.code or 0)
        return 2
    name, rest = args_list[0], args_list[1:]
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(f"{__package__}.commands.{module_name}")
    sub = argparse.ArgumentParser(prog=f"ipwhl {name}", description=help_text,
                                  epilog=_examples(name),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    module.add_arguments(sub)
    talk = sub.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_const", dest="verbosity",
                      const=progress.QUIET, help="no progress display and no summary")
    talk.add_argument("-v", "--verbose", action="store_const", dest="verbosity",
                      const=progress.VERBOSE, help="also a line for each file downloaded")
    try:
        args = sub.parse_args(rest)
    except SystemExit as e:
        return int(e.code or 0)
    progress.configure(command=f"ipwhl {name}", verbosity=(
        progress.NORMAL if args.verbosity is None else args.verbosity))
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
    finally:
        progress.configure(command="ipwhl", verbosity=progress.NORMAL)  # (main runs again)


def _unknown_command(parser: argparse.ArgumentParser, name: str) -> int:
    """Usage, and the commands close to *name* (exit code 2), as git says it."""
    close = difflib.get_close_matches(name, COMMANDS, n=3, cutoff=0.6)
    parser.print_usage(sys.stderr)
    hint = (f"did you mean {' or '.join(map(repr, close))}?" if close
            else f"the commands are: {', '.join(COMMANDS)}")
    print(f"ipwhl: error: unknown command {name!r}; {hint}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

"""``ipwhl car PATH -o OUT.car`` and ``ipwhl car --verify FILE.car``.

Writing: the DAG of PATH (as ``ipwhl cid`` computes it) streams into a temporary file next
to OUT.car, which replaces OUT.car only when complete, with the permissions a plain
``open`` gives under the umask (as ``publish --car``); the root CID is printed.  Verifying:
every block must match its CID and every root must be in the file; prints
``FILE.car: ok (ROOT, N blocks)``.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
from pathlib import Path

from ..errors import CarError, UsageError
from ..ipld.car import verify_car, write_car
from ..ipld.cid import cid_text
from ..repo.settings import PROFILES
from ..unixfs import DagBuilder, Profile, get_profile
from ..util.atomic import OutputFile, plain_mode
from .cid import resolve_profile

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=PROFILES, help="IPIP-499 import profile")
    parser.add_argument(
        "--hidden", action="store_true", help="include files whose name starts with '.'"
    )
    parser.add_argument("-o", "--output", metavar="OUT.car", help="CAR file to write")
    parser.add_argument("--verify", action="store_true", help="verify the CAR file PATH instead")
    parser.add_argument("path", metavar="PATH", help="file or directory (or CAR with --verify)")


def write_path_car(path: str, output: str, profile: Profile | str, hidden: bool) -> str:
    """Write the DAG of *path* to the CAR *output* atomically; return the root CID."""
    profile = get_profile(profile) if isinstance(profile, str) else profile
    out = Path(output)

    def failed(e: OSError) -> CarError:
        return CarError(f"{output}: cannot write ({e.strerror})")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as e:
        raise failed(e) from e
    try:
        with io.BufferedWriter(OutputFile(fd, "wb", failed=failed)) as f:
            # The root is known at the end: a placeholder of the same length goes first.
            version_codec = b"" if profile.cid_version == 0 else b"\x01\x70"
            car = write_car(f, [version_codec + b"\x12\x20" + bytes(32)])
            node = DagBuilder(profile, raw_sink=car.add).add_path(path, hidden=hidden)
            car.replace_roots([node.cid])
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, plain_mode())  # mkstemp's file is private (0600)
        os.replace(tmp, out)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise failed(e) from e
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(node.cid)


def run(args: argparse.Namespace) -> int:
    if args.verify:
        if args.output:
            raise UsageError("--verify takes a CAR file and no -o")
        roots, count = verify_car(args.path)
        print(f"{args.path}: ok ({', '.join(map(cid_text, roots))}, {count} blocks)")
        return 0
    if not args.output:
        raise UsageError("missing -o OUT.car (or use --verify FILE.car)")
    print(write_path_car(args.path, args.output, resolve_profile(args.profile), args.hidden))
    return 0

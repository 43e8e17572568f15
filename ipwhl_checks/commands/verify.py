"""``ipwhl verify TAG [--repo DIR] [--root data] [--allowed-signers FILE]``.

Checks the release tag's signature against the keys the repository allows to sign (in
the checkout in ``--repo``): ``.ipwhl/allowed_signers`` for an SSH-signed tag,
``.ipwhl/allowed_signers.asc`` (ASCII-armored OpenPGP public keys, checked in a throw-away
GnuPG home, never your own keyring) for an OpenPGP-signed one; ``--allowed-signers FILE``
replaces either, its format told by its content.  Then recomputes the root CID from the
tagged data tree (wheels from the cache, else from their sources) and compares it, the
manifest CID and the counts with the tag message.  Prints the signature report and, as
the last line, the verified root CID; any mismatch is one line and exit 1.
See :mod:`ipwhl_checks.release.verify`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..release.verify import verify_release
from ..util.git import git
from ._common import add_allowed_signers, add_index_url, add_jobs

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tag", metavar="TAG", help="the release tag")
    parser.add_argument("--repo", type=Path, default=Path("."),
                        help="the data repository's checkout (default: .)")
    parser.add_argument("--root", default="data",
                        help="the data tree's path in the repository (default: data)")
    add_allowed_signers(parser)
    add_index_url(parser)
    add_jobs(parser)
    parser.add_argument("--allow-file", action="store_true", help="allow file:// sources")
    parser.add_argument("--gateway", metavar="URL",
                        help="also fetch the release's integration results through this "
                             "IPFS gateway and check them")


def run(args: argparse.Namespace) -> int:
    top = Path(git(args.repo, "rev-parse", "--show-toplevel").stdout.strip())
    verified = verify_release(top, args.tag, root=args.root,
                              allowed_signers=args.allowed_signers, index_url=args.index_url,
                              allow_file=args.allow_file, gateway=args.gateway,
                              jobs=args.jobs)
    release = verified.release
    print(f"signature: {verified.signature}")
    print(f"tag {args.tag}: {release.projects} projects, {release.wheels} wheels, "
          f"{release.bytes} bytes, source-commit {release.source_commit}")
    print(f"manifest: {release.manifest_cid}")
    for env, cid, _size, counts in verified.integration:
        said = ", ".join(f"{n} {k}" for k, n in counts.items())
        how = "checked" if verified.integration_checked else "linked by CID"
        print(f"integration: {env}: {said} ({cid}, {how})")
    if verified.site_linked:
        print(f"site: {verified.result.site_cid} (linked by CID: give --gateway to make it "
              "again from the integration results)")
    print(release.root_cid)
    return 0

"""``ipwhl release [--tag NAME] [-u KEY] [--previous-from GATEWAY] [publish options]``.

Publishes the data tree as committed at ``--commit`` (default: HEAD), read from git's
objects (:mod:`ipwhl_checks.publish.committed`): uncommitted changes and untracked files are not
published (the tag names the commit it was published from, the last one that changed
``--root``); without ``--commit``, a note on standard error counts them (``git
status``).  The
annotated tag is signed with the maintainer's git signing configuration (``git tag -s``:
SSH when ``gpg.format=ssh``, else OpenPGP; ``-u`` picks the key) and its message carries
the root CID, the manifest CID and the counts (:mod:`ipwhl_checks.release.tag`).  Prints the
tag name, then the root CID as the last line.  Push the tag with ``git push REMOTE TAG``.

``--previous-from GATEWAY`` publishes on top of the newest release tag: its signature
checked, its manifest fetched through the IPFS gateway and checked against the tag's CIDs
(:mod:`ipwhl_checks.release.last`), then used as ``--previous`` (unchanged projects are
reused, ``--car`` writes a delta; the release's ``_browse/site.json`` is fetched the same
way, so that unchanged pages are reused too).  Without a release tag yet, the publish is a
full one.

Published on top of a previous release (``--previous-from``, or ``--previous``), the
site gets a changes page comparing the tree with that release's commit (or with
``--changes-since REV``'s); the tag's ``changes-since`` line names it, for ``ipwhl
verify``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from ..errors import ReleaseError
from ..publish.browse import Baseline
from ..publish.build import publish
from ..publish.committed import CommittedTree, committed_tree
from ..release.last import last_release, release_site
from ..release.tag import ReleaseInfo, create_tag, default_tag_name
from ..util.git import git
from .publish import add_publish_arguments, options_from_args, print_result

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_publish_arguments(parser, commit_default=" (default: HEAD)",
                          changes_default=" (default: with --previous-from or --previous, "
                                          "that release's)")
    parser.add_argument("--tag", metavar="NAME",
                        help="tag name (default: ipwhl-YYYYMMDD.HHMMSS, UTC)")
    parser.add_argument("-u", "--local-user", metavar="KEY",
                        help="signing key (default: git's user.signingkey)")
    parser.add_argument("--previous-from", metavar="GATEWAY",
                        help="publish on top of the newest release, its manifest fetched "
                             "(and verified) through this IPFS gateway")


def _note_uncommitted(tree: CommittedTree) -> None:
    """Say on standard error when the data tree on disk differs from HEAD's (ignored files
    aside): those changes are not in the release, which is HEAD's tree."""
    status = git(tree.top, "--literal-pathspecs", "status", "--porcelain",
                 "--untracked-files=all", "--", tree.prefix or ".", check=False)
    changed = len(status.stdout.splitlines()) if status.returncode == 0 else 0
    if changed:
        print(f"ipwhl release: note: {changed} uncommitted change{'s' * (changed > 1)} in "
              f"{tree.prefix or '.'}/ not in this release (it publishes commit "
              f"{tree.commit[:12]})", file=sys.stderr)


def _baseline(tree: CommittedTree, commit: str | None) -> Baseline | None:
    """The previous release's data tree, at its *commit*, for the changes page (None, with
    a note, when the commit is not in this checkout)."""
    if commit is None:
        return None
    if git(tree.top, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode:
        print(f"ipwhl release: note: the previous release's commit {commit[:12]} is not in "
              "this checkout: no changes page", file=sys.stderr)
        return None
    return Baseline(CommittedTree(tree.top, commit, tree.prefix))


def run(args: argparse.Namespace) -> int:
    tree = committed_tree(args.root, args.commit or "HEAD")
    commit, repo = tree.commit, tree.top
    name = args.tag or default_tag_name()
    if git(repo, "check-ref-format", f"refs/tags/{name}", check=False).returncode:
        raise ReleaseError(f"invalid tag name {name!r}")
    if git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{name}",
           check=False).returncode == 0:
        raise ReleaseError(f"tag {name!r} already exists")
    if args.commit is None:
        _note_uncommitted(tree)
    options = options_from_args(args, commit)
    since = options.previous.source_commit if options.previous is not None else None
    if args.previous_from is not None:
        if args.previous is not None or args.out is not None:
            raise ReleaseError("--previous-from replaces --previous, and cannot be used with "
                               "--out")
        found = last_release(repo, args.previous_from)
        if found is None:
            print("no release yet: a full publish")
        else:
            print(f"previous release: {found[0].tag} {found[0].root_cid}")
            options = dataclasses.replace(options, previous=found[1],
                                          previous_site=release_site(args.previous_from,
                                                                     found[0]))
            since = found[0].source_commit
    if options.changes_since is None:
        options = dataclasses.replace(options, changes_since=_baseline(tree, since))
    result = publish(tree, options)
    info = ReleaseInfo(root_cid=result.root_cid, manifest_cid=result.manifest_cid,
                       profile=result.profile, projects=result.projects,
                       wheels=result.wheels, bytes=result.total_bytes, source_commit=commit,
                       tag=name, changes_since=options.changes_since.commit
                       if options.changes_since is not None else None)
    create_tag(repo, name, info, key=args.local_user)
    print_result(result)
    print(f"tag: {name}")
    print(result.root_cid)
    return 0

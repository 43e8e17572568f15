"""``ipwhl publish [--root data] [--car OUT.car] [--out DIR] [--previous MANIFEST]
[--commit REV] [--changes-since REV]``.

Builds the published tree (PEP 503 pages, PEP 658 metadata files, the manifest) from the
declarations under ``--root`` and the verified wheel bytes, prints a summary and, as the
last line of standard output, the root CID: what ``ipwhl cid`` (and kubo's ``ipfs add -r``)
gives for the tree ``--out`` writes.  See :mod:`ipwhl_checks.publish.build`.

The declarations are the files on disk, or with ``--commit REV`` those committed at REV,
read from git's objects (:mod:`ipwhl_checks.publish.committed`): the last commit at or before REV
that changed ``--root`` is the manifest's ``source-commit``, and the work tree is not
looked at (nothing uncommitted is published; for a clean checkout the CID is the same).

The tree holds a site to look projects up in (``/_browse/``, :mod:`ipwhl_checks.publish
.browse`); with ``--previous``, the ``_browse/site.json`` beside the manifest (as ``--out``
wrote the tree) lets it link the unchanged pages by CID.  ``--changes-since REV`` adds a
changes page comparing the tree with the data tree committed at REV (the previous
release's commit).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import PublishError
from ..publish.browse import Baseline, site_beside
from ..publish.build import PublishOptions, PublishResult, publish, source_commit
from ..publish.committed import committed_tree
from ..publish.previous import load_previous
from ._common import add_index_url

__all__ = ["add_arguments", "add_publish_arguments", "options_from_args", "print_result", "run"]


def add_publish_arguments(parser: argparse.ArgumentParser, commit_default: str = "",
                          changes_default: str = "") -> None:
    """The options ``ipwhl publish`` and ``ipwhl release`` share."""
    parser.add_argument("--root", type=Path, default=Path("data"),
                        help="the data tree (default: data)")
    parser.add_argument("--car", type=Path, metavar="OUT.car",
                        help="write the DAG to this CAR (with --previous: only new blocks)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write the tree to DIR")
    parser.add_argument("--previous", type=Path, metavar="MANIFEST",
                        help="the previous release's manifest.json: reuse unchanged projects")
    parser.add_argument("--commit", metavar="REV",
                        help="publish the tree as committed at REV, read from git's objects "
                             "(the work tree is not looked at)" + commit_default)
    parser.add_argument("--changes-since", metavar="REV",
                        help="add a changes page: what changed since the data tree as "
                             "committed at REV (the previous release's commit)"
                             + changes_default)
    add_index_url(parser)
    parser.add_argument("--allow-file", action="store_true",
                        help="allow file:// sources")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_publish_arguments(parser)


def options_from_args(args: argparse.Namespace, commit: str | None) -> PublishOptions:
    """The options of ``ipwhl publish``/``release``; *commit*: what
    :func:`~ipwhl_checks.publish.build.source_commit` says of ``--root`` (its tree is then known
    to be that commit's)."""
    previous = previous_site = None
    if args.previous is not None:
        if args.out is not None:
            raise PublishError("--out writes every file, so it cannot reuse projects from "
                               "--previous; use --car for a delta, or drop --previous")
        previous = load_previous(args.previous)
        # the previous release's pages: the _browse/site.json of the tree it lies in
        previous_site = site_beside(args.previous)
    since = None if args.changes_since is None else Baseline(
        committed_tree(args.root, args.changes_since))
    return PublishOptions(out=args.out, car=args.car, previous=previous,
                          previous_site=previous_site, changes_since=since,
                          index_url=args.index_url, clean=commit is not None,
                          allow_file=args.allow_file, source_commit=commit)


def print_result(result: PublishResult) -> None:
    print(f"projects: {result.projects} (reused: {result.reused_projects})  "
          f"wheels: {result.wheels} (read: {result.fetched_wheels})  "
          f"bytes: {result.total_bytes}")
    print(f"manifest: {result.manifest_cid}")


def run(args: argparse.Namespace) -> int:
    if args.commit is not None:
        tree = committed_tree(args.root, args.commit)
        result = publish(tree, options_from_args(args, tree.commit))
    else:
        result = publish(args.root, options_from_args(args, source_commit(args.root)))
    print_result(result)
    print(result.root_cid)  # the last line: the root CID
    return 0

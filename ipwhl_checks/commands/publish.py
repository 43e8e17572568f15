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
Before anything is written, the wheels' RECORD files are read: two projects whose wheels
install on one environment and write one path stop the publish (IW507).

The tree holds a site to look projects up in (``/_browse/``, :mod:`ipwhl_checks.publish
.browse`); with ``--previous``, the ``_browse/site.json`` beside the manifest (as ``--out``
wrote the tree) lets it link the unchanged pages by CID.  ``--changes-since REV`` adds a
changes page comparing the tree with the data tree committed at REV (the previous
release's commit).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename

from ..checks.clash import check_clashes
from ..errors import PublishError
from ..publish.browse import Baseline, site_beside
from ..publish.build import PublishOptions, PublishResult, Staged, publish, source_commit
from ..publish.committed import CommittedTree, committed_tree
from ..publish.manifest import ProjectEntry
from ..publish.previous import load_previous
from ..repo.declaration import Declaration
from ..repo.settings import Settings, load_settings
from ..sources import cache
from ._common import add_index_url, add_jobs, add_root, find_root

__all__ = ["add_arguments", "add_publish_arguments", "check_file_clashes", "options_from_args",
           "print_result", "run"]


def add_publish_arguments(parser: argparse.ArgumentParser, commit_default: str = "",
                          changes_default: str = "") -> None:
    """The options ``ipwhl publish`` and ``ipwhl release`` share."""
    add_root(parser)
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
    add_jobs(parser)
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
                          allow_file=args.allow_file, source_commit=commit, jobs=args.jobs)


def print_result(result: PublishResult) -> None:
    print(f"projects: {result.projects} (reused: {result.reused_projects})  "
          f"wheels: {result.wheels} (read: {result.fetched_wheels})  "
          f"bytes: {result.total_bytes}")
    print(f"manifest: {result.manifest_cid}")


def check_file_clashes(settings: Settings) -> Callable[[Staged], None]:
    """The check publish runs before it writes anything (:attr:`PublishOptions.before_commit`):
    no two projects' wheels that install on one supported environment write one path (IW507,
    :mod:`ipwhl_checks.checks.clash`), else PublishError.  The wheels publish read are in
    the cache, verified; of the projects reused from ``--previous``, the wheels that are not
    in the cache are left out, and a note on standard error counts them."""
    def check(staged: Staged) -> None:
        declarations = staged.built + _reused_declarations(staged.reused)
        left_out = []

        def wheel_file(d: Declaration) -> str | None:
            cached = cache.wheel_path(d.content_id, d.filename)
            if os.path.isfile(cached):
                return cached
            left_out.append(d)
            return None
        problems = check_clashes(declarations, settings.environments, wheel_file)
        if left_out:
            print(f"ipwhl publish: note: the file-clash check (IW507) left out {len(left_out)} "
                  f"of {len(declarations)} wheels, not in the wheel cache", file=sys.stderr)
        if problems:
            more = len(problems) - 1
            others = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
            raise PublishError(f"{problems[0]}{others}; nothing was published")
    return check


def _reused_declarations(entries: list[ProjectEntry]) -> list[Declaration]:
    """The wheels of the reused projects, as the previous manifest describes them."""
    found = []
    for project in entries:
        for wheel in project.wheels:
            name, version, _build, tags = parse_wheel_filename(wheel.filename)
            rp = wheel.requires_python
            found.append(Declaration(
                path=Path(project.name) / wheel.filename, filename=wheel.filename,
                project=name, version=version, tags=frozenset(tags), source=wheel.source,
                content_id=wheel.cid, requires_python=SpecifierSet(rp) if rp else None,
                extras=wheel.extras, dependencies=()))
    return found


def _settings(root: Path | CommittedTree) -> Settings | None:
    if isinstance(root, CommittedTree):
        return root.settings()
    return load_settings(root) if root.is_dir() else None  # (publish says it is not)


def run(args: argparse.Namespace) -> int:
    if args.root is None:
        args.root = find_root()
    if args.commit is not None:
        tree = committed_tree(args.root, args.commit)
        options = options_from_args(args, tree.commit)
        root: Path | CommittedTree = tree
    else:
        options = options_from_args(args, source_commit(args.root))
        root = args.root
    settings = _settings(root)
    if settings is not None:
        options = dataclasses.replace(options, before_commit=check_file_clashes(settings))
    result = publish(root, options)
    print_result(result)
    print(result.root_cid)  # the last line: the root CID
    return 0

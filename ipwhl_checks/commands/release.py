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

``--integration FILE`` (repeatable, one per environment): the results of ``ipwhl integrate
--json`` on this tree (their manifest CID must be this release's) are published as
``/integration/<environment>.json``, the project pages show them, and the tag message
carries one line per file: its CID and summary (:mod:`ipwhl_checks.release.integration`),
and the site's CID (``ipwhl verify`` without a gateway, which cannot make those pages
without the files, links the site by it).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

from ..errors import PublishError, ReleaseError
from ..ipld.cid import cid_text
from ..publish.browse import Baseline
from ..publish.build import PublishOptions, PublishResult, Staged, publish
from ..publish.committed import CommittedTree, committed_tree
from ..publish.manifest import parse_manifest
from ..release.diff import diff, from_manifest, release_notes
from ..release.integration import DIRECTORY, Results, format_tag_lines, parse_results
from ..release.last import last_release, release_site
from ..release.signed import check_signed_range
from ..release.states import state_at_commit
from ..release.tag import TAG_PREFIX, ReleaseInfo, create_tag, default_tag_name
from ..unixfs import DagBuilder
from ..util.git import git
from ..util.regular import read_regular
from ._common import add_allowed_signers, find_root
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
    add_allowed_signers(parser)
    parser.add_argument("--integration", type=Path, action="append", default=[],
                        metavar="FILE",
                        help="integration results (ipwhl integrate --json), one file per "
                             "environment, published as /integration/<environment>.json "
                             "(repeatable)")
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


def _notes(tree: CommittedTree, options: PublishOptions, result: PublishResult) -> list[str]:
    """The release notes: the changes since the previous release (from its manifest when
    the publish had it, else from its tag's tree), for the tag message."""
    found = git(tree.top, "describe", "--tags", "--abbrev=0", f"--match={TAG_PREFIX}*",
                f"{tree.commit}^", check=False)
    previous = found.stdout.strip() if found.returncode == 0 else None
    settings = tree.settings()
    new = from_manifest(result.manifest, settings)
    if options.previous is not None:
        old = from_manifest(parse_manifest(options.previous.data, options.previous.where),
                            settings)
        previous = previous or "the previous release"
    elif previous is not None:
        old = state_at_commit(Path(tree.top) / (tree.prefix or "."), previous)
    else:
        return release_notes(diff({}, new), None)
    return release_notes(diff(old, new), previous)


def read_results(paths: list[Path]) -> list[Results]:
    """The integration results files, checked; one per environment."""
    found: dict[str, Results] = {}
    for path in paths:
        try:
            data = read_regular(str(path))
        except OSError as e:
            raise ReleaseError(f"{path}: cannot read ({e.strerror or e})") from None
        results = parse_results(data, str(path))
        if results.environment in found:
            raise ReleaseError(f"{path}: a second results file for {results.environment}")
        found[results.environment] = results
    return [found[e] for e in sorted(found)]


def _tested_here(results: list[Results]) -> Callable[[Staged], None]:
    """Refuse results made for another tree: their manifest must be this release's."""
    def check(staged: Staged) -> None:
        for r in results:
            if r.manifest_cid != staged.manifest_cid:
                raise PublishError(f"the {r.environment} integration results are of manifest "
                                   f"{r.manifest_cid}, not of this release's "
                                   f"({staged.manifest_cid}); nothing was published")
    return check


def _file_cid(data: bytes, profile: str) -> tuple[str, int]:
    node = DagBuilder(profile).add_bytes(data)
    return cid_text(node.raw), node.size


def run(args: argparse.Namespace) -> int:
    if args.root is None:
        args.root = find_root()
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
    check_signed_range(repo, commit, tree.prefix, "this release", args.allowed_signers)
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
    results = read_results(args.integration)
    if results:
        options = dataclasses.replace(
            options, extra={f"{DIRECTORY}/{r.environment}.json": r.data for r in results},
            before_commit=_tested_here(results))
    result = publish(tree, options)
    notes = _notes(tree, options, result)
    info = ReleaseInfo(root_cid=result.root_cid, manifest_cid=result.manifest_cid,
                       profile=result.profile, projects=result.projects,
                       wheels=result.wheels, bytes=result.total_bytes, source_commit=commit,
                       tag=name, changes_since=options.changes_since.commit
                       if options.changes_since is not None else None,
                       site=(result.site_cid, result.site_size) if results else None)
    create_tag(repo, name, info, key=args.local_user, notes=notes,
               extra=format_tag_lines([(r, *_file_cid(r.data, result.profile))
                                       for r in results]))
    print_result(result)
    for r in results:
        counts = ", ".join(f"{n} {k}" for k, n in r.summary.items())
        print(f"integration: {r.environment}: {counts}")
    print(f"tag: {name}")
    print(result.root_cid)
    return 0

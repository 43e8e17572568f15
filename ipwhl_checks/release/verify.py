"""Verify a release tag: its signature, then its CID, recomputed from the tagged tree.

Trust: the tag's signature is checked against the keys the repository allows
(:mod:`ipwhl_checks.release.signatures`: ``.ipwhl/allowed_signers`` for SSH, ``.ipwhl/
allowed_signers.asc`` for OpenPGP, read from the verifier's own checkout).

Then the tag message (:mod:`ipwhl_checks.release.tag`) is read, the data tree of the tagged
commit is published in memory from git's objects (:mod:`ipwhl_checks.publish.committed`; wheels
from the cache, else from their sources, each checked against its declared CID), and the
root CID, the manifest CID and the counts must equal what the tag says.  A tag with a
``changes-since`` commit is published with that commit's data tree as the changes page's
baseline, as ``ipwhl release`` did (the commit must be in the checkout).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ReleaseError, VerifyError
from ..publish.browse import Baseline
from ..publish.build import PublishOptions, PublishResult, publish
from ..publish.committed import CommittedTree
from ..util.git import git
from .signatures import ALLOWED_KEYS, ALLOWED_SIGNERS, signature_kind, verify_signature
from .tag import ReleaseInfo, read_release

__all__ = ["ALLOWED_KEYS", "ALLOWED_SIGNERS", "Verified", "signature_kind", "verify_release",
           "verify_signature"]


@dataclass(frozen=True)
class Verified:
    tag: str
    signature: str  # e.g. 'Good "git" signature for ... with ED25519 key ...'
    release: ReleaseInfo
    result: PublishResult


def verify_release(repo: Path, tag: str, *, root: str = "data",
                   allowed_signers: Path | None = None, index_url: str | None = None,
                   allow_file: bool = False) -> Verified:
    """Verify *tag*'s signature, then reproduce its root CID from the tagged data tree."""
    repo = Path(repo)
    try:
        release = read_release(repo, tag)
    except ReleaseError as e:
        raise VerifyError(str(e)) from e
    report = verify_signature(repo, tag, allowed_signers)
    commit = git(repo, "rev-parse", "--verify", f"{tag}^{{commit}}").stdout.strip()
    if commit != release.source_commit:
        raise VerifyError(f"tag {tag!r} points to {commit} but its message names "
                          f"source-commit {release.source_commit}")
    tree = CommittedTree(repo, commit, root.strip("/"))
    since = None if release.changes_since is None else Baseline(
        CommittedTree(repo, release.changes_since, tree.prefix))
    result = publish(tree, PublishOptions(index_url=index_url, allow_file=allow_file,
                                          changes_since=since))
    got = {"root CID": result.root_cid, "manifest CID": result.manifest_cid,
           "profile": result.profile, "projects": str(result.projects),
           "wheels": str(result.wheels), "bytes": str(result.total_bytes)}
    said = {"root CID": release.root_cid, "manifest CID": release.manifest_cid,
            "profile": release.profile, "projects": str(release.projects),
            "wheels": str(release.wheels), "bytes": str(release.bytes)}
    for key, value in said.items():
        if got[key] != value:
            raise VerifyError(f"tag {tag!r} names {key} {value} but its tree gives {got[key]}")
    return Verified(tag, report, release, result)

"""Verify a release tag: its signature, then its CID, recomputed from the tagged tree.

Trust: the tag's signature is checked against the keys the repository allows
(:mod:`ipwhl_checks.release.signatures`: ``.ipwhl/allowed_signers`` for SSH, ``.ipwhl/
allowed_signers.asc`` for OpenPGP, read from the verifier's own checkout), and so is
every commit that changed the data tree since the previous release
(:mod:`ipwhl_checks.release.signed`).

Then the tag message (:mod:`ipwhl_checks.release.tag`) is read, the data tree of the tagged
commit is published in memory from git's objects (:mod:`ipwhl_checks.publish.committed`; wheels
from the cache, else from their sources, each checked against its declared CID), and the
root CID, the manifest CID and the counts must equal what the tag says.  A tag with a
``changes-since`` commit is published with that commit's data tree as the changes page's
baseline, as ``ipwhl release`` did (the commit must be in the checkout).

A release with integration results names each file's CID on a line of its own, and the
CID of its site (``/_browse/``, whose project pages show the results).  With a gateway,
the files are fetched first (verified from the tag's root CID down), checked to be of this
tree's manifest (:mod:`ipwhl_checks.release.integration`) and published with the tree: the
site is made again from them, so the root CID proves every page.  Without one, the files
and the site are linked into the recomputed tree by their CIDs, so the root CID proves
they are the release's, and everything else is made again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import IpwhlError, ReleaseError, VerifyError
from ..gateway.client import fetch_verified
from ..publish.browse import Baseline
from ..publish.build import PublishOptions, PublishResult, publish
from ..publish.committed import CommittedTree
from ..util.git import git
from .integration import DIRECTORY, parse_results, parse_tag_lines
from .signatures import ALLOWED_KEYS, ALLOWED_SIGNERS, signature_kind, verify_signature
from .signed import check_signed_range
from .tag import ReleaseInfo, read_release

if TYPE_CHECKING:
    from ..sources.fetch import Client

__all__ = ["ALLOWED_KEYS", "ALLOWED_SIGNERS", "Verified", "signature_kind", "verify_release",
           "verify_signature"]


@dataclass(frozen=True)
class Verified:
    tag: str
    signature: str  # e.g. 'Good "git" signature for ... with ED25519 key ...'
    release: ReleaseInfo
    result: PublishResult
    # the integration lines of the tag: (environment, CID, DAG size, summary)
    integration: tuple[tuple[str, str, int, dict[str, int]], ...] = ()
    integration_checked: bool = False  # their contents fetched and checked (a gateway)
    site_linked: bool = False  # /_browse/ linked by the tag's CID, not made again


def verify_release(repo: Path, tag: str, *, root: str = "data",
                   allowed_signers: Path | None = None, index_url: str | None = None,
                   allow_file: bool = False, gateway: str | None = None,
                   jobs: int | None = None) -> Verified:
    """Verify *tag*'s signature, then reproduce its root CID from the tagged data tree and
    the integration results the tag names (linked by CID, and the site with them); with
    *gateway*, fetch those results first (verified from the root CID down), check they were
    made for this tree's manifest and say what the tag says, and make the site from them."""
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
    try:
        check_signed_range(repo, commit, root.strip("/"), f"tag {tag!r}", allowed_signers)
    except ReleaseError as e:
        raise VerifyError(str(e)) from e
    message = git(repo, "cat-file", "tag", tag).stdout.partition("\n\n")[2]
    lines = tuple(parse_tag_lines(message))
    extra: dict[str, bytes | tuple[str, int]] = {
        f"{DIRECTORY}/{env}.json": (cid, size) for env, cid, size, _counts in lines}
    tree = CommittedTree(repo, commit, root.strip("/"))
    if gateway is not None and lines:
        from ..sources.fetch import Client

        with Client() as client:  # (one for every file)
            for env, _cid, _size, counts in lines:
                extra[f"{DIRECTORY}/{env}.json"] = _fetched_results(
                    gateway, release, tag, env, counts, client)
    site = None
    if lines and gateway is None:
        if release.site is None:
            raise VerifyError(f"tag {tag!r} names integration results but not its site's "
                              "CID: give --gateway to fetch the results and make the site")
        site = release.site
    since = None if release.changes_since is None else Baseline(
        CommittedTree(repo, release.changes_since, tree.prefix))
    result = publish(tree, PublishOptions(index_url=index_url, allow_file=allow_file,
                                          extra=extra, changes_since=since, site=site,
                                          jobs=jobs))
    got = {"root CID": result.root_cid, "manifest CID": result.manifest_cid,
           "profile": result.profile, "projects": str(result.projects),
           "wheels": str(result.wheels), "bytes": str(result.total_bytes)}
    said = {"root CID": release.root_cid, "manifest CID": release.manifest_cid,
            "profile": release.profile, "projects": str(release.projects),
            "wheels": str(release.wheels), "bytes": str(release.bytes)}
    if release.site is not None:
        said["site CID"], got["site CID"] = release.site[0], result.site_cid
    for key, value in said.items():
        if got[key] != value:
            raise VerifyError(f"tag {tag!r} names {key} {value} but its tree gives {got[key]}")
    return Verified(tag, report, release, result, lines, gateway is not None, site is not None)


def _fetched_results(gateway: str, release: ReleaseInfo, tag: str, env: str,
                     counts: dict[str, int], client: Client) -> bytes:
    """The integration results of *env* the tag names, fetched through *gateway* (verified
    from the tag's root CID down) and checked: made for the release's manifest, saying what
    the tag says."""
    where = f"{DIRECTORY}/{env}.json"
    try:
        data = fetch_verified(gateway, release.root_cid, where, client=client)
        results = parse_results(data, f"{release.root_cid}/{where}")
    except IpwhlError as e:
        raise VerifyError(f"tag {tag!r}: {e}") from None
    if results.manifest_cid != release.manifest_cid:
        raise VerifyError(f"tag {tag!r}: /{where} tested manifest {results.manifest_cid}, "
                          f"not the release's {release.manifest_cid}")
    if results.environment != env or dict(results.summary) != counts:
        raise VerifyError(f"tag {tag!r}: /{where} does not say what the tag says")
    return data

"""The newest release, as the next one builds on it (``ipwhl release --previous-from``).

A release tag names its tree's root CID and its manifest's CID (:mod:`.release`).  To
publish incrementally (and write a delta CAR) the next release needs that manifest, and
must not trust whoever hands it over: the tag's signature is checked against the keys the
repository allows (:func:`.verify.verify_signature`), ``manifest.json`` is fetched from an
IPFS gateway block by block from the tag's root CID (:func:`.gateway.client
.fetch_verified`: a gateway that lies can only fail), and the bytes must also have the
tag's manifest CID under its profile.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import DownloadError, ReleaseError
from ..gateway.client import fetch_verified
from ..publish.browse import SITE_DIR, STATE_NAME
from ..publish.manifest import MANIFEST_NAME
from ..publish.previous import Previous, read_previous
from ..unixfs import DagBuilder
from .signatures import verify_signature
from .tag import ReleaseInfo, read_release, release_tags

__all__ = ["last_release", "release_site"]


def last_release(repo: Path, gateway: str, allowed_signers: Path | None = None
                 ) -> tuple[ReleaseInfo, Previous] | None:
    """The newest release tag of *repo* and its manifest, checked; None if there is none."""
    tags = release_tags(repo)
    if not tags:
        return None
    tag = tags[0]
    info = read_release(repo, tag)
    verify_signature(repo, tag, allowed_signers)
    data = fetch_verified(gateway, info.root_cid, MANIFEST_NAME)
    got = str(DagBuilder(info.profile).add_file(io.BytesIO(data)).cid)
    if got != info.manifest_cid:
        raise ReleaseError(f"tag {tag!r} names manifest CID {info.manifest_cid} but "
                           f"{info.root_cid}/{MANIFEST_NAME} has CID {got}")
    return info, read_previous(data, f"{tag}:{MANIFEST_NAME}")


def release_site(gateway: str, info: ReleaseInfo) -> bytes | None:
    """The release's ``_browse/site.json`` (the next publish links the pages it did not
    change by CID), fetched through *gateway* and verified from the tag's root CID; None
    when it cannot be had (a release made before the site, or a gateway that fails: the
    publish then makes the whole site again)."""
    try:
        return fetch_verified(gateway, info.root_cid, f"{SITE_DIR}/{STATE_NAME}")
    except DownloadError:
        return None

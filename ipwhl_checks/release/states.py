"""Where a state of the repository comes from, for ``ipwhl diff`` and release notes: a
release tag (or any commit), a ``manifest.json`` file, or a root CID fetched through an
IPFS gateway (verified block by block)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import IpwhlError
from ..gateway.client import fetch_verified
from ..ipld.cid import parse_cid
from ..publish.committed import committed_tree
from ..publish.manifest import MANIFEST_NAME, load_manifest, parse_manifest
from ..publish.scan import scan_tree
from ..repo.settings import Settings, load_settings
from .diff import ProjectState, from_declarations, from_manifest

if TYPE_CHECKING:
    from ..sources.fetch import Client

__all__ = ["state_at_commit", "state_of"]


def state_at_commit(root: Path, rev: str) -> dict[str, ProjectState]:
    """The state of the data tree *root* as committed at *rev* (read from git's objects)."""
    tree = committed_tree(root, rev)
    scan = scan_tree(tree, None, reuse=False)
    if scan.problems:
        first = sorted(scan.problems)[0]
        raise IpwhlError(f"{rev}: the data tree has problems ({first})")
    return from_declarations((d for ds in scan.declarations.values() for d in ds),
                             scan.settings)


def _local_settings(root: Path) -> Settings | None:
    try:
        return load_settings(root) if root.is_dir() else None
    except IpwhlError:
        return None


def state_of(operand: str, root: Path, gateway: str, client: Client | None = None
             ) -> dict[str, ProjectState]:
    """The state *operand* names: an existing file (a ``manifest.json``), a CID (its
    ``manifest.json`` fetched through *gateway*, with *client*), else a release tag or
    commit of the data tree *root*'s repository."""
    path = Path(operand)
    if path.is_file():
        return from_manifest(load_manifest(path), _local_settings(root))
    try:
        parse_cid(operand)
    except ValueError:
        return state_at_commit(root, operand)
    data = fetch_verified(gateway, operand, MANIFEST_NAME, client=client)
    url = f"{gateway.rstrip('/')}/ipfs/{operand}/{MANIFEST_NAME}"
    return from_manifest(parse_manifest(data, url), _local_settings(root))

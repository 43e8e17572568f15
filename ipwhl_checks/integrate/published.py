"""The published tree integrated: its manifest, and its wheels as verified local files.

Three ways to reach it, one interface (:class:`Published`):

* ``--site DIR``: a tree ``ipwhl publish --out`` wrote; each wheel taken from the wheel
  cache, else used in place, once its sha256 is the manifest's;
* ``--car FILE.car``: read through the verifying block store (every block checked against
  its CID, :class:`~ipwhl_checks.gateway.store.BlockStore`), from the root the CAR names
  or ``--cid``;
* ``--gateway URL --cid CID``: the manifest and each wheel fetched as trustless CARs and
  verified from the CID down (:func:`~ipwhl_checks.gateway.client.fetch_verified`), all
  through one HTTP client (:attr:`Published.client`: one session, a deadline for each
  transfer, :meth:`Published.cancel` to stop them on a signal).

Wheels taken from a CAR or a gateway go into the wheel cache under their CID
(:mod:`ipwhl_checks.sources.cache`), which is looked at first: a wheel is fetched once,
whatever the run, and a cached one is used when its sha256 is the manifest's.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import DownloadError, IpwhlError, UsageError
from ..gateway.client import fetch_verified
from ..gateway.content import file_size, iter_file
from ..gateway.paths import NotFoundError, resolve
from ..gateway.store import BlockStore
from ..ipld.cid import cid_text, parse_cid
from ..publish.manifest import MANIFEST_NAME, Manifest, WheelEntry, load_manifest, parse_manifest
from ..sources import cache
from ..sources.fetch import Client, FetchOptions
from ..unixfs import DagBuilder

__all__ = ["Published", "open_published"]

_WHEEL_READ_TIMEOUT = 300.0  # seconds: a gateway may look for a wheel's blocks that long


def _sha256(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class Published:
    """A published tree: ``manifest``, ``manifest_cid``, and :meth:`wheel_file`."""

    def __init__(self, manifest: Manifest, manifest_cid: str, where: str) -> None:
        self.manifest, self.manifest_cid, self.where = manifest, manifest_cid, where
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._files: dict[str, Path] = {}
        self.client: Client | None = None  # the downloads' client, if any (a gateway)

    def wheel_file(self, project: str, wheel: WheelEntry) -> Path:
        """The wheel as a local file whose sha256 is the manifest's (fetched at most once)."""
        with self._lock:
            lock = self._locks.setdefault(wheel.filename, threading.Lock())
        with lock:
            found = self._files.get(wheel.filename)
            if found is None:
                found = self._files[wheel.filename] = self._verified(project, wheel)
            return found

    def _verified(self, project: str, wheel: WheelEntry) -> Path:
        cached = Path(cache.wheel_path(wheel.cid, wheel.filename))
        if cached.is_file() and _sha256(cached) == wheel.sha256:
            return cached
        with cache.staged_file(wheel.filename) as (tmp, out):
            for chunk in self._fetch(project, wheel):
                out.write(chunk)
            out.flush()
            if _sha256(tmp) != wheel.sha256:
                raise DownloadError(f"{self.where}: {project}/{wheel.filename} is not the "
                                    "wheel the manifest names (sha256 differs)")
            return cache.store(tmp, wheel.cid, wheel.filename)

    def _fetch(self, project: str, wheel: WheelEntry) -> Iterator[bytes | memoryview]:
        raise DownloadError(f"{self.where}: no {project}/{wheel.filename}")

    def cancel(self) -> None:
        """Stop the downloads now (a signal): they raise
        :class:`~ipwhl_checks.sources.fetch.Cancelled`."""
        if self.client is not None:
            self.client.cancel()

    def close(self) -> None:
        """Release what the tree holds open."""
        if self.client is not None:
            self.client.close()


class _Site(Published):
    def __init__(self, root: Path) -> None:
        path = root / MANIFEST_NAME
        manifest = load_manifest(path)
        data = path.read_bytes()
        cid = cid_text(DagBuilder(manifest.profile).add_bytes(data).raw)
        super().__init__(manifest, cid, str(root))
        self.root = root

    def _verified(self, project: str, wheel: WheelEntry) -> Path:
        # the wheel cache's copy first (publish read the wheels from there): its path is the
        # same whatever the tree, so uv's cache of unpacked wheels serves every run
        cached = Path(cache.wheel_path(wheel.cid, wheel.filename))
        if cached.is_file() and _sha256(cached) == wheel.sha256:
            return cached
        path = self.root / project / wheel.filename
        if not path.is_file():
            raise DownloadError(f"{self.where}: no {project}/{wheel.filename}")
        if _sha256(path) != wheel.sha256:
            raise DownloadError(f"{path}: not the wheel the manifest names (sha256 differs)")
        return path


class _Car(Published):
    def __init__(self, car: Path, cid: str | None) -> None:
        self.store = BlockStore([car])
        try:
            if cid is None:
                if len(self.store.roots) != 1:
                    raise UsageError(f"{car} has {len(self.store.roots)} roots: give --cid")
                self.root = self.store.roots[0]
            else:
                self.root = _parse(cid)
            data = b"".join(self._read([MANIFEST_NAME], str(car)))
            manifest = parse_manifest(data, f"{car}:{MANIFEST_NAME}")
            manifest_cid = cid_text(DagBuilder(manifest.profile).add_bytes(data).raw)
            super().__init__(manifest, manifest_cid, str(car))
        except BaseException:
            self.store.close()
            raise

    def _read(self, segments: list[str], where: str) -> Iterator[bytes | memoryview]:
        try:
            found = resolve(self.store, self.root, segments)
        except NotFoundError as e:
            raise DownloadError(f"{where}: {e}") from None
        size = file_size(self.store, found.cid, found.node)
        yield from iter_file(self.store, found.cid, found.node, 0, size)

    def _fetch(self, project: str, wheel: WheelEntry) -> Iterator[bytes | memoryview]:
        return self._read([project, wheel.filename], self.where)

    def close(self) -> None:
        self.store.close()


class _Gateway(Published):
    def __init__(self, gateway: str, cid: str, jobs: int | None) -> None:
        self.gateway, self.cid = gateway.rstrip("/"), cid
        overrides: dict[str, object] = {"jobs": jobs} if jobs else {}
        if not os.environ.get("IPWHL_TIMEOUT", "").strip():  # (else the user's)
            overrides["read_timeout"] = _WHEEL_READ_TIMEOUT
        client = Client(FetchOptions.from_env(**overrides))
        try:
            data = fetch_verified(self.gateway, cid, MANIFEST_NAME, client=client)
            where = f"{self.gateway}/ipfs/{cid}/"
            manifest = parse_manifest(data, where + MANIFEST_NAME)
        except BaseException:
            client.close()
            raise
        super().__init__(manifest, cid_text(DagBuilder(manifest.profile).add_bytes(data).raw),
                         where)
        self.client = client

    def _fetch(self, project: str, wheel: WheelEntry) -> Iterator[bytes | memoryview]:
        yield fetch_verified(self.gateway, self.cid, f"{project}/{wheel.filename}",
                             client=self.client)


def _parse(cid: str) -> bytes:
    try:
        return parse_cid(cid, strict=False)
    except ValueError as e:
        raise UsageError(f"--cid: {cid!r} is not a CID ({e})") from None


def open_published(*, site: Path | None = None, car: Path | None = None,
                   gateway: str | None = None, cid: str | None = None,
                   jobs: int | None = None) -> Published:
    """The published tree at one of *site*, *car* or *gateway* (with *cid*; *jobs*:
    downloads at once, default the client's)."""
    if sum(x is not None for x in (site, car, gateway)) != 1:
        raise UsageError("give one of --site DIR, --car FILE.car, --gateway URL")
    try:
        if site is not None:
            if not site.is_dir():
                raise UsageError(f"--site: not a directory: {str(site)!r}")
            return _Site(site)
        if car is not None:
            if not car.is_file():
                raise UsageError(f"--car: no such file: {str(car)!r}")
            return _Car(car, cid)
        assert gateway is not None
        if cid is None:
            raise UsageError("--gateway needs --cid CID, the published root")
        _parse(cid)
        return _Gateway(gateway, cid, jobs)
    except OSError as e:
        raise IpwhlError(f"cannot read the published tree ({e.strerror or e})") from None

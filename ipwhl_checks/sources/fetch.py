"""Wheels by content: downloads verified against their CID, and the cache that keeps them.

Wheels are streamed (through :class:`Client`, the one place that talks to the network,
:mod:`ipwhl_checks.sources.http`) into the content-addressed wheel cache
(:mod:`ipwhl_checks.sources.cache`, the owner of its layout): their CID and sha256 are
computed in the same pass as the bytes arrive (the DAG builder reads the stream, and
writes it out as it goes), so a download is verified the moment it ends; a cached wheel
is verified again whenever it is read.
:func:`fetch_wheel` gives the declared wheel or raises; :func:`download_wheel` fetches a
wheel whose CID is not known yet (``ipwhl add``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, cast

from ..errors import DownloadError
from ..ipld.cid import cid_text, parse_cid
from ..repo.declaration import Declaration
from ..repo.settings import Settings
from ..repo.source import parse_source
from ..unixfs import DagBuilder
from . import cache
from .http import Cancelled, Client, FetchOptions, Stream, TransferError, check_url

__all__ = [
    "CacheEntry",
    "Cancelled",
    "Client",
    "ContentMismatch",
    "FetchOptions",
    "Stream",
    "TransferError",
    "check_url",
    "download_wheel",
    "fetch_wheel",
]


class ContentMismatch(DownloadError):
    """The bytes downloaded are not the ones declared (their CID differs)."""

    def __init__(self, url: str, declared: str, actual: str) -> None:
        super().__init__(f"content-id: declared {declared!r} but {url} gives {actual!r}")
        self.url, self.declared, self.actual = url, declared, actual


@dataclass(frozen=True)
class CacheEntry:
    """A verified wheel in the cache: where it is, its CID (under the profile), its sha256."""

    path: Path
    cid: str
    sha256: str


def _profile_name(settings_or_profile: Settings | str) -> str:
    return settings_or_profile if isinstance(settings_or_profile, str) \
        else settings_or_profile.profile


def _cid(path: Path, profile: str) -> str:
    """The CID of a file of ours (in the cache, or a download being staged): mapped, not
    read (nothing truncates it meanwhile; see :meth:`DagBuilder.add_file`)."""
    with open(path, "rb") as f:
        return cid_text(DagBuilder(profile).add_file(f, mapped=True).raw)


def _same_cid(a: str, b: str) -> bool:
    """Whether CID texts *a* and *b* name the same CID (False if either is not one)."""
    try:
        return a == b or parse_cid(a) == parse_cid(b)
    except ValueError:
        return False


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _stream_into(client: Client, url: str, out: IO[bytes], profile: str) -> tuple[str, str]:
    """Download *url* into *out*, its CID (under *profile*) and sha256 computed in the same
    pass: (CID text, sha256 hex)."""
    def consume(stream: Stream) -> tuple[str, str]:
        out.seek(0)  # (a new attempt starts over)
        out.truncate()
        sha256 = hashlib.sha256()

        def observe(view: memoryview) -> None:
            out.write(view)
            sha256.update(view)
        node = DagBuilder(profile).add_file(cast(BinaryIO, stream), observe=observe)
        return cid_text(node.raw), sha256.hexdigest()
    found = client.read(url, consume)
    out.flush()
    return found


def fetch_wheel(declaration: Declaration, settings_or_profile: Settings | str, *,
                index_url: str | None = None, allow_file: bool = False,
                client: Client | None = None) -> Path:
    """The declared wheel as a verified file in the cache, downloading it if needed.

    The file's CID under the repository profile equals ``declaration.content_id`` (checked
    on every call, also for a cache hit).  Raises :class:`ContentMismatch` for the wrong
    bytes, :class:`DownloadError` when the source cannot be read, and
    :class:`DeclarationError` for an invalid source.
    """
    profile = _profile_name(settings_or_profile)
    cached = Path(cache.wheel_path(declaration.content_id, declaration.filename))
    if cached.is_file():
        if _same_cid(_cid(cached, profile), declaration.content_id):
            return cached
        cached.unlink(missing_ok=True)  # damaged in the cache: fetch it again
    source = parse_source(declaration.source)
    own = client or Client(FetchOptions.from_env(allow_file=allow_file))
    try:
        url, _entry = own.resolve(source, index_url)
        with cache.staged_file(declaration.filename) as (tmp, out):
            actual, _digest = _stream_into(own, url, out, profile)
            if not _same_cid(actual, declaration.content_id):
                raise ContentMismatch(url, declaration.content_id, actual)
            return cache.store(tmp, declaration.content_id, declaration.filename)
    finally:
        if client is None:
            own.close()


def download_wheel(source: str, settings_or_profile: Settings | str, *,
                   index_url: str | None = None, allow_file: bool = False,
                   client: Client | None = None) -> CacheEntry:
    """Download *source* (no CID known yet), cache it under its CID and return the entry.

    When the index lists a sha256 for the file, the download must match it, and a file
    already in the cache with that sha256 is not downloaded again (its bytes are hashed
    again to be sure).
    """
    profile = _profile_name(settings_or_profile)
    parsed = parse_source(source)
    own = client or Client(FetchOptions.from_env(allow_file=allow_file))
    try:
        url, entry = own.resolve(parsed, index_url)
        listed = (entry.hashes.get("sha256") or "").lower() if entry else ""
        if listed and (hit := _known(profile, listed, parsed.filename)):
            return hit
        with cache.staged_file(parsed.filename) as (tmp, out):
            cid, digest = _stream_into(own, url, out, profile)
            if listed and listed != digest:
                raise DownloadError(f"{url}: the index lists sha256 {listed} but the "
                                    f"download gives {digest}")
            stored = cache.store(tmp, cid, parsed.filename)
        cache.remember_cid(profile, digest, cid)
        return CacheEntry(stored, cid, digest)
    finally:
        if client is None:
            own.close()


def _known(profile: str, sha256: str, filename: str) -> CacheEntry | None:
    """The cached file whose sha256 is *sha256*, if it is there and still has those bytes."""
    cid = cache.remembered_cid(profile, sha256)
    if cid is None:
        return None
    try:
        path = Path(cache.wheel_path(cid, filename))
        if path.is_file() and _sha256(path) == sha256:
            return CacheEntry(path, cid, sha256)
    except (OSError, DownloadError):
        pass
    return None

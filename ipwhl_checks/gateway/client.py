"""Read a file from any IPFS gateway without trusting it: fetch a CAR, verify, walk.

Trustless gateway spec (ipfs/specs, http-gateways/trustless-gateway.md): ``GET
/ipfs/{cid}/{path}?format=car`` with ``Accept: application/vnd.ipld.car`` answers the
blocks from ``{cid}`` down to the path's target and the target's whole DAG; the client
must check the answer's ``Content-Type`` (a CAR, version 1) before reading it.  The CAR
is streamed to a temporary file (each wait bounded, and the whole transfer:
:mod:`._fetch`), then read through :class:`BlockStore`, which checks every block against
its CID; the walk starts at the CID the caller trusts, so a gateway that lies cannot make
this return other bytes (it can only fail).  Errors name the URL, never the temporary
file, which is gone when this returns or raises (Ctrl-C included).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from ..errors import CarError, DownloadError, IpwhlError, UnixFSError
from ..ipld.cid import cid_text, parse_cid
from ._fetch import get_to_file
from .content import file_size, iter_file
from .paths import NotFoundError, resolve
from .store import BlockStore, CorruptBlockError

__all__ = ["fetch_verified"]

_CAR = "application/vnd.ipld.car"
_LIMIT = 256 << 20  # a manifest of a million wheels is far smaller


def _check_type(url: str, kind: str) -> None:
    """Trustless gateway spec: a CAR answer says so, and its version is 1."""
    media, _, params = kind.partition(";")
    version = re.search(r"(?:^|;)\s*version\s*=\s*\"?([^\s;\"]*)", params)
    if media.strip().lower() != _CAR or (version and version.group(1) != "1"):
        raise DownloadError(f"{url}: the gateway answered {kind or 'no Content-Type'!r}, "
                            f"not a CAR v1 ({_CAR}; version=1)")


def fetch_verified(gateway: str, cid: str, path: str, *, timeout: float = 60.0,
                   deadline: float | None = None) -> bytes:
    """The bytes of ``/ipfs/<cid>/<path>``, verified block by block from *cid* down.

    *timeout* bounds each wait (connecting, each read), *deadline* the whole transfer
    (default: five times *timeout*)."""
    try:
        root = parse_cid(cid, strict=False)
    except ValueError as e:
        raise IpwhlError(f"{cid!r} is not a CID") from e
    url = f"{gateway.rstrip('/')}/ipfs/{cid}/{path}"
    total = deadline if deadline is not None else 5 * timeout
    with tempfile.TemporaryDirectory(prefix="ipwhl-car-") as tmp:
        car = Path(tmp) / "path.car"
        got = get_to_file(f"{url}?format=car", car, label=url, accept=_CAR, timeout=timeout,
                          total=total, limit=_LIMIT)
        _check_type(url, got.content_type)
        if got.size == 0:
            raise DownloadError(f"{url}: the gateway answered 200 with an empty body, not a CAR")
        try:
            store = BlockStore([car], label=url)
        except CarError as e:
            raise DownloadError(f"{e} (the gateway's answer is not a valid CAR)") from None
        try:
            if root not in store:
                raise DownloadError(f"{url}: the gateway's CAR lacks the root block {cid}")
            try:
                found = resolve(store, root, [p for p in path.split("/") if p])
                size = file_size(store, found.cid, found.node)
                return b"".join(iter_file(store, found.cid, found.node, 0, size))
            except NotFoundError as e:
                raise DownloadError(f"{url}: {e}") from e
            except CorruptBlockError as e:
                raise DownloadError(f"{url}: block {cid_text(e.cid)} does not match its CID "
                                    "(the gateway's answer was altered)") from e
            except (CarError, UnixFSError) as e:
                raise DownloadError(f"{url}: {e}") from e
        finally:
            store.close()

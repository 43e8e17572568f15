"""Read a file from any IPFS gateway without trusting it: fetch a CAR, verify, walk.

Trustless gateway spec (ipfs/specs, http-gateways/trustless-gateway.md): ``GET
/ipfs/{cid}/{path}?format=car`` with ``Accept: application/vnd.ipld.car`` answers the
blocks from ``{cid}`` down to the path's target and the target's whole DAG.  The CAR is
streamed to a temporary file, then read through :class:`BlockStore`, which checks every
block against its CID; the walk starts at the CID the caller trusts, so a gateway that
lies cannot make this return other bytes (it can only fail).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import requests

from ..errors import DownloadError, IpwhlError
from ..ipld.cid import parse_cid
from ..sources.http import request_failure
from .content import file_size, iter_file
from .paths import NotFoundError, resolve
from .store import BlockStore

__all__ = ["fetch_verified"]

_CAR = "application/vnd.ipld.car"
_LIMIT = 256 << 20  # a manifest of a million wheels is far smaller


def fetch_verified(gateway: str, cid: str, path: str, *, timeout: float = 60.0) -> bytes:
    """The bytes of ``/ipfs/<cid>/<path>``, verified block by block from *cid* down."""
    try:
        root = parse_cid(cid, strict=False)
    except ValueError as e:
        raise IpwhlError(f"{cid!r} is not a CID") from e
    url = f"{gateway.rstrip('/')}/ipfs/{cid}/{path}"
    with tempfile.TemporaryDirectory(prefix="ipwhl-car-") as tmp:
        car = Path(tmp) / "path.car"
        try:
            with requests.get(url, params={"format": "car"}, headers={"Accept": _CAR},
                              stream=True, timeout=timeout) as response:
                if response.status_code != 200:
                    first = response.text.strip().splitlines()[:1]
                    raise DownloadError(f"{url}: HTTP {response.status_code}"
                                        + (f" ({first[0][:200]})" if first else ""))
                written = 0
                with car.open("wb") as f:
                    for chunk in response.iter_content(1 << 16):
                        written += len(chunk)
                        if written > _LIMIT:
                            raise DownloadError(f"{url}: CAR larger than {_LIMIT} bytes")
                        f.write(chunk)
        except requests.RequestException as e:
            why = request_failure(e, timeout, timeout)
            raise DownloadError(f"{url}: cannot fetch ({why})") from e
        except OSError as e:  # the temporary directory is full, say
            raise DownloadError(f"{url}: cannot keep the CAR in {tmp} ({e.strerror or e})") \
                from e
        store = BlockStore([car])
        try:
            if root not in store:
                raise DownloadError(f"{url}: the gateway's CAR lacks the root block {cid}")
            try:
                found = resolve(store, root, [p for p in path.split("/") if p])
            except NotFoundError as e:
                raise DownloadError(f"{url}: {e}") from e
            size = file_size(store, found.cid, found.node)
            return b"".join(iter_file(store, found.cid, found.node, 0, size))
        finally:
            store.close()

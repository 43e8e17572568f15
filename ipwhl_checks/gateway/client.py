"""Read a file from any IPFS gateway without trusting it: fetch a CAR, verify, walk.

Trustless gateway spec (ipfs/specs, http-gateways/trustless-gateway.md): ``GET
/ipfs/{cid}/{path}?format=car`` with ``Accept: application/vnd.ipld.car`` answers the
blocks from ``{cid}`` down to the path's target and the target's whole DAG.  The CAR is
streamed to a temporary file, then read through :class:`BlockStore`, which checks every
block against its CID; the walk starts at the CID the caller trusts, so a gateway that
lies cannot make this return other bytes (it can only fail).

The request goes through the command's HTTP client
(:class:`~ipwhl_checks.sources.fetch.Client`): its timeouts, retries, a deadline for the
whole transfer (a gateway that trickles is stopped), and cancellation by a signal.  Plain
http is read from any host (every byte is verified).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import DownloadError, IpwhlError
from ..ipld.cid import parse_cid
from ..sources.fetch import Client, FetchOptions, Stream, TransferError
from .content import file_size, iter_file
from .paths import NotFoundError, resolve
from .store import BlockStore

__all__ = ["fetch_verified"]

_CAR = "application/vnd.ipld.car"


def fetch_verified(gateway: str, cid: str, path: str, *, client: Client | None = None) -> bytes:
    """The bytes of ``/ipfs/<cid>/<path>``, verified block by block from *cid* down;
    through *client* (else one of its own)."""
    try:
        root = parse_cid(cid, strict=False)
    except ValueError as e:
        raise IpwhlError(f"{cid!r} is not a CID") from e
    url = f"{gateway.rstrip('/')}/ipfs/{cid}/{path}"
    own = client or Client(FetchOptions.from_env())
    try:
        with tempfile.TemporaryDirectory(prefix="ipwhl-car-") as tmp:
            car = Path(tmp) / "path.car"
            try:
                with car.open("wb") as f:
                    def copy(stream: Stream) -> None:
                        f.seek(0)
                        f.truncate()
                        while chunk := stream.read(1 << 18):
                            f.write(chunk)
                    own.read(url + "?format=car", copy, accept=_CAR, verified=True)
            except TransferError as e:  # (said as before the client: the URL first)
                detail = f" ({e.detail})" if e.status is not None and e.detail else ""
                what = f"HTTP {e.status}" if e.status is not None \
                    else f"cannot fetch ({e.reason})"
                raise DownloadError(f"{url}: {what}{detail}") from None
            except OSError as e:  # the temporary directory is full, say
                raise DownloadError(f"{url}: cannot keep the CAR in {tmp} "
                                    f"({e.strerror or e})") from e
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
    finally:
        if client is None:
            own.close()

"""Read a file from any IPFS gateway without trusting it: fetch a CAR, verify, walk.

Trustless gateway spec (ipfs/specs, http-gateways/trustless-gateway.md): ``GET
/ipfs/{cid}/{path}?format=car`` with ``Accept: application/vnd.ipld.car`` answers the
blocks from ``{cid}`` down to the path's target and the target's whole DAG; the client
must check the answer's ``Content-Type`` (a CAR, version 1) before reading it.  The CAR
is streamed to a temporary file, then read through :class:`BlockStore`, which checks
every block against its CID; the walk starts at the CID the caller trusts, so a gateway
that lies cannot make this return other bytes (it can only fail).  Errors name the URL,
never the temporary file, which is gone when this returns or raises (Ctrl-C included).

The request goes through the command's HTTP client
(:class:`~ipwhl_checks.sources.http.Client`): its timeouts, retries, a deadline for the
whole transfer (a gateway that trickles is stopped), and cancellation by a signal.  Plain
http is read from any host (every byte is verified).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from ..errors import CarError, DownloadError, IpwhlError, UnixFSError
from ..ipld.cid import cid_text, parse_cid
from ..sources.fetch import Client, FetchOptions, Stream, TransferError
from .content import file_size, iter_file
from .paths import NotFoundError, resolve
from .store import BlockStore, CorruptBlockError

__all__ = ["fetch_verified"]

_CAR = "application/vnd.ipld.car"


def _check_type(url: str, kind: str) -> None:
    """Trustless gateway spec: a CAR answer says so, and its version is 1."""
    media, _, params = kind.partition(";")
    version = re.search(r"(?:^|;)\s*version\s*=\s*\"?([^\s;\"]*)", params)
    if media.strip().lower() != _CAR or (version and version.group(1) != "1"):
        raise DownloadError(f"{url}: the gateway answered {kind or 'no Content-Type'!r}, "
                            f"not a CAR v1 ({_CAR}; version=1)")


def _walk(store: BlockStore, url: str, root: bytes, cid: str, path: str) -> bytes:
    """The file at *path* under *root* in *store*, each failure one line naming *url*."""
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


def fetch_verified(gateway: str, cid: str, path: str, *, client: Client | None = None) -> bytes:
    """The bytes of ``/ipfs/<cid>/<path>``, verified block by block from *cid* down;
    through *client* (else one of its own, with the ``IPWHL_*`` settings)."""
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
                    def copy(stream: Stream) -> int:
                        _check_type(url, stream.content_type)
                        f.seek(0)
                        f.truncate()
                        while chunk := stream.read(1 << 18):
                            f.write(chunk)
                        return f.tell()
                    size = own.read(url + "?format=car", copy, accept=_CAR, verified=True)
            except TransferError as e:  # (said as before the client: the URL first)
                detail = f" ({e.detail})" if e.status is not None and e.detail else ""
                what = f"HTTP {e.status}" if e.status is not None \
                    else f"cannot fetch ({e.reason})"
                raise DownloadError(f"{url}: {what}{detail}") from None
            except OSError as e:  # the temporary directory is full, say
                raise DownloadError(f"{url}: cannot keep the CAR in {tmp} "
                                    f"({e.strerror or e})") from e
            if size == 0:
                raise DownloadError(f"{url}: the gateway answered 200 with an empty body, "
                                    "not a CAR")
            try:
                store = BlockStore([car], label=url)
            except CarError as e:
                raise DownloadError(f"{e} (the gateway's answer is not a valid CAR)") from None
            try:
                return _walk(store, url, root, cid, path)
            finally:
                store.close()
    finally:
        if client is None:
            own.close()

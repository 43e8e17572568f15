"""One HTTP GET into a file, with a deadline on the whole transfer.

A per-read timeout alone lets a server that trickles one byte a second hold a client for
ever; here every wait (connect, each read) is bounded by *timeout* and the whole exchange
by *total* seconds: a watchdog shuts the socket down when the total runs out, which ends
any read in progress, headers included.  Redirects (up to five, http and https only) are
followed; ``http_proxy``/``https_proxy``/``no_proxy`` are honoured as urllib reads them
(never for this machine).  Errors are :class:`~ipwhl_checks.errors.DownloadError`, one
line naming *label* (the URL the user knows).  Ctrl-C or SIGTERM in the main thread
interrupt a read at once; the caller's ``finally`` clauses clean up.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .. import __version__
from ..errors import DownloadError

__all__ = ["Fetched", "get_to_file"]

_REDIRECTS = (301, 302, 303, 307, 308)
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class Fetched:
    """What came back: the final URL, the ``Content-Type`` and the body's length."""

    def __init__(self, url: str, content_type: str, size: int) -> None:
        self.url, self.content_type, self.size = url, content_type, size


def _context() -> ssl.SSLContext:
    try:  # the CA bundle requests uses, where it is installed
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection for *url* (through a proxy if the environment names one) and the
    request target to send on it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and host not in _LOOPBACK and not urllib.request.proxy_bypass(host):
        via = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        conn = http.client.HTTPConnection(via.hostname or "", via.port or 80, timeout=timeout)
        if parts.scheme == "https":  # a CONNECT tunnel, TLS to the server through it
            conn = http.client.HTTPSConnection(via.hostname or "", via.port or 80,
                                               timeout=timeout, context=_context())
            conn.set_tunnel(host, parts.port or 443)
            return conn, target
        return conn, url
    if parts.scheme == "https":
        return http.client.HTTPSConnection(host, parts.port or 443, timeout=timeout,
                                           context=_context()), target
    return http.client.HTTPConnection(host, parts.port or 80, timeout=timeout), target


def _stop(conn: http.client.HTTPConnection, fired: threading.Event) -> None:
    fired.set()
    if conn.sock is not None:
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_RDWR)


def get_to_file(url: str, dest: Path, *, label: str, accept: str, timeout: float,
                total: float, limit: int) -> Fetched:
    """GET *url* into *dest*: each wait at most *timeout* seconds, all of it at most
    *total*, at most *limit* bytes; a status other than 200 is an error."""
    deadline = time.monotonic() + total
    for _hop in range(6):
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise DownloadError(f"{label}: refusing a redirect to {url!r} (not http or https)")
        left = deadline - time.monotonic()
        if left <= 0:
            raise DownloadError(f"{label}: no complete answer within {total:g} s")
        conn, target = _connection(url, min(timeout, left))
        fired = threading.Event()
        watchdog = threading.Timer(left, _stop, (conn, fired))
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.request("GET", target, headers={"Accept": accept,
                                                 "User-Agent": f"ipwhl/{__version__}"})
            response = conn.getresponse()
            if response.status in _REDIRECTS and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location", ""))
                continue
            if response.status != 200:
                first = response.read(1000).decode("utf-8", "replace").strip().splitlines()[:1]
                raise DownloadError(f"{label}: HTTP {response.status}"
                                    + (f" ({first[0][:200]})" if first else ""))
            size = _save(response, conn, dest, label, timeout, deadline, limit)
            if fired.is_set():  # (the watchdog's shutdown looks like the end of the body)
                raise DownloadError(f"{label}: no complete answer within {total:g} s")
            return Fetched(url, response.getheader("Content-Type") or "", size)
        except DownloadError:
            raise
        except (OSError, http.client.HTTPException) as e:
            if fired.is_set() or time.monotonic() >= deadline:
                raise DownloadError(f"{label}: no complete answer within {total:g} s") from e
            if isinstance(e, TimeoutError):
                raise DownloadError(f"{label}: cannot fetch (no answer within {timeout:g} s)") \
                    from e
            if isinstance(e, http.client.IncompleteRead | http.client.RemoteDisconnected):
                why = "the connection closed before the end of the answer"
            else:
                why = e.strerror if isinstance(e, OSError) and e.strerror else \
                    (str(e) or type(e).__name__)
                why = f"connection failed: {why}"
            raise DownloadError(f"{label}: cannot fetch ({why})") from e
        finally:
            watchdog.cancel()
            conn.close()
    raise DownloadError(f"{label}: more than 5 redirects")


def _save(response: http.client.HTTPResponse, conn: http.client.HTTPConnection, dest: Path,
          label: str, timeout: float, deadline: float, limit: int) -> int:
    written = 0
    try:
        f = dest.open("wb")
    except OSError as e:
        raise DownloadError(f"{label}: cannot keep the answer in {dest.parent} "
                            f"({e.strerror or e})") from e
    with f:
        while True:
            if conn.sock is not None:  # each read: at most timeout, and not past the end
                conn.sock.settimeout(max(0.001, min(timeout, deadline - time.monotonic())))
            chunk = response.read1(1 << 16)
            if not chunk:
                if response.length:  # (read1 does not say when a sized body is cut short)
                    raise http.client.IncompleteRead(b"", response.length)
                return written
            written += len(chunk)
            if written > limit:
                raise DownloadError(f"{label}: answer larger than {limit} bytes")
            try:
                f.write(chunk)
            except OSError as e:  # the temporary directory is full, say
                raise DownloadError(f"{label}: cannot keep the answer in {dest.parent} "
                                    f"({e.strerror or e})") from e

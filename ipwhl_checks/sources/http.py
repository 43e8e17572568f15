"""The HTTP client: our download policy on top of one requests session.

Policy (issue 4): only ``https``, plain ``http`` to loopback hosts (which pip also treats
as secure origins), ``file`` only when explicitly allowed; every redirect is checked again
and a redirect to ``file`` is always refused.  Connect and read timeouts, a deadline for
each whole transfer (after the timeouts' grace it must average ``min_rate`` bytes a second,
:mod:`ipwhl_checks.sources._transfer`), retries with exponential backoff on connection
errors, timeouts, slow or truncated bodies and 5xx answers, and a size cap.

One :class:`Client` per command: one session (its connections kept alive), pip's index
read once, each project page fetched at most once, and :meth:`Client.map` to run a
download loop on a few threads, stopped at once by a signal
(:mod:`ipwhl_checks.sources.pool`).  The bytes it moves are counted on its
:attr:`Client.progress` display, if any.

Tunable from the environment (tests use short values): ``IPWHL_TIMEOUT`` (seconds, both
timeouts; more than 0, at most a day), ``IPWHL_RETRIES`` (0 to 100), ``IPWHL_MAX_SIZE``
(bytes, more than 0).  Public through :mod:`ipwhl_checks.sources.fetch`.
"""

from __future__ import annotations

import ipaddress
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TypeVar
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import requests

from .. import __version__
from ..errors import DownloadError
from ..repo.source import Source
from ..util.progress import Progress, human_bytes
from ._transfer import CANCELLED, Transfer, Watch, WatchedAdapter
from .pipconfig import default_index_url
from .pool import DEFAULT_JOBS, run_all
from .simple_index import IndexFile, project_files, project_url

__all__ = ["Cancelled", "Client", "FetchOptions", "HttpStatusError", "Stream", "TransferError",
           "check_url", "request_failure"]

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_HOPS = 10
_CHUNK = 1 << 18
_MAX_TIMEOUT = 86400.0  # a day: more is no bound (and overflows the socket's timeval)
_MAX_RETRIES = 100
_MAX_BACKOFF = 30.0  # seconds: the longest wait between two attempts

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class FetchOptions:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3  # further attempts after the first
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    max_size: int = 4 << 30  # bytes; the largest wheels in use are a few GB
    allow_file: bool = False
    jobs: int = DEFAULT_JOBS  # downloads at once in Client.map
    # after the timeouts' grace, a transfer slower than this on average is stopped:
    # its deadline is grace + size / min_rate (a byte-a-second trickle stops at the grace)
    min_rate: float = 16_000.0  # bytes a second
    page_max: int = 64 << 20  # bytes: the largest project page read (held in memory)

    @classmethod
    def from_env(cls, **overrides: object) -> FetchOptions:
        """Defaults, then IPWHL_TIMEOUT, IPWHL_RETRIES, IPWHL_MAX_SIZE, then *overrides*."""
        options = cls()
        if (value := os.environ.get("IPWHL_TIMEOUT", "")).strip():
            seconds = _number(value, float, "IPWHL_TIMEOUT", "a number of seconds greater "
                              f"than 0 and at most {_MAX_TIMEOUT:g}")
            if not (math.isfinite(seconds) and 0 < seconds <= _MAX_TIMEOUT):
                raise _invalid("IPWHL_TIMEOUT", value, "a number of seconds greater than 0 "
                               f"and at most {_MAX_TIMEOUT:g}")
            options = replace(options, connect_timeout=seconds, read_timeout=seconds)
        if (value := os.environ.get("IPWHL_RETRIES", "")).strip():
            retries = int(_number(value, int, "IPWHL_RETRIES",
                                  f"a whole number from 0 to {_MAX_RETRIES}"))
            if not 0 <= retries <= _MAX_RETRIES:
                raise _invalid("IPWHL_RETRIES", value, f"a whole number from 0 to {_MAX_RETRIES}")
            options = replace(options, retries=retries)
        if (value := os.environ.get("IPWHL_MAX_SIZE", "")).strip():
            size = int(_number(value, int, "IPWHL_MAX_SIZE", "a number of bytes greater than 0"))
            if size <= 0:
                raise _invalid("IPWHL_MAX_SIZE", value, "a number of bytes greater than 0")
            options = replace(options, max_size=size)
        return replace(options, **overrides)  # type: ignore[arg-type]


def _invalid(name: str, value: str, expected: str) -> DownloadError:
    return DownloadError(f"invalid {name} {value!r}: expected {expected}")


def _number(value: str, kind: Callable[[str], float], name: str, expected: str) -> float:
    try:
        return kind(value)
    except (ValueError, OverflowError):
        raise _invalid(name, value, expected) from None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_file: bool = False, any_http: bool = False) -> None:
    """Refuse a URL our policy does not download (see the module docstring); *any_http*:
    plain http to any host too (for bytes verified against a CID as they are read: an
    IPFS gateway's CARs)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as e:  # a bad IPv6 literal, a bad port
        raise DownloadError(f"refusing {url!r}: not a valid URL ({e})") from None
    scheme = parts.scheme.lower()
    if scheme == "https" and host:
        return
    if scheme == "http" and host and (any_http or _is_loopback(host)):
        return
    if scheme == "http":
        raise DownloadError(f"refusing {url!r}: plain http is only allowed to this machine, "
                            "use https")
    if scheme == "file":
        if allow_file:
            return
        raise DownloadError(f"refusing {url!r}: file URLs are only read when allowed")
    raise DownloadError(f"refusing {url!r}: only https (and http to this machine) is downloaded")


class Cancelled(BaseException):
    """The client was cancelled (a signal) while this transfer ran or waited.

    A BaseException, like KeyboardInterrupt: no ``except Exception`` turns it into a
    problem report while the command unwinds."""


class Stream:
    """The body of one attempt, read as a file (``read``, ``readinto``): counted against
    the size cap and the deadline, shown on the progress display, and checked against
    its Content-Length at its end (:class:`_Truncated`)."""

    def __init__(self, chunks: Iterator[bytes], url: str, cap: int, expected: int | None,
                 transfer: Transfer | None, progress: Progress | None,
                 too_large: str, content_type: str = "") -> None:
        self._chunks, self.url, self.cap, self.expected = chunks, url, cap, expected
        self.content_type = content_type  # and url: the final URL, after redirects
        self._transfer, self._progress, self._too_large = transfer, progress, too_large
        self._pending = memoryview(b"")
        self.received = 0
        self.ended = False

    def _next(self) -> bool:
        if self.ended:
            return False
        for chunk in self._chunks:
            if not chunk:
                continue
            self.received += len(chunk)
            if self.received > self.cap:
                raise DownloadError(self._too_large)
            if self._transfer is not None:
                self._transfer.received = self.received
            if self._progress is not None:
                self._progress.add_bytes(len(chunk))
            self._pending = memoryview(chunk)
            return True
        self.ended = True
        if self.expected is not None and self.received != self.expected:
            raise _Truncated(self.received, self.expected)
        return False

    def readinto(self, buffer: memoryview | bytearray) -> int:
        if not self._pending and not self._next():
            return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            pieces = [bytes(self._pending)]
            self._pending = memoryview(b"")
            while self._next():
                pieces.append(bytes(self._pending))
                self._pending = memoryview(b"")
            return b"".join(pieces)
        if not self._pending and not self._next():
            return b""
        data = bytes(self._pending[:size])
        self._pending = self._pending[size:]
        return data


class Client:
    """A requests session with our timeouts, deadlines, retries, size cap and URL policy."""

    def __init__(self, options: FetchOptions | None = None) -> None:
        self.options = options or FetchOptions.from_env()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"ipwhl/{__version__}"
        adapter = WatchedAdapter(pool_connections=4, pool_maxsize=max(10, self.options.jobs))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.progress: Progress | None = None  # where the bytes moved are counted
        self.watch = Watch()
        self._stopping = threading.Event()
        self._pages: dict[str, list[IndexFile]] = {}
        self._page_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._index: str | None = None  # pip's index, asked once
        self._index_lock = threading.Lock()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def cancel(self) -> None:
        """Stop every transfer now (their sockets are shut down) and refuse new ones:
        they raise :class:`Cancelled`.  For a signal: the threads reading stop at once."""
        self._stopping.set()
        self.watch.cancel()

    def map(self, fn: Callable[[T], R], items: Iterable[T], *,
            name: Callable[[T], str] = str) -> list[R]:
        """``[fn(item) for item in items]`` on up to ``options.jobs`` threads, in order.

        The first error (in the items' order) is raised once the running calls are done,
        and no call starts after an error.  On a signal (KeyboardInterrupt, SIGTERM's
        exception) the client is cancelled and the exception raised within a second.
        Each item is shown on :attr:`progress` by its *name* while it runs."""
        return run_all(fn, list(items), jobs=self.options.jobs, cancel=self.cancel,
                       progress=self.progress, name=name)

    # -- one GET, with the policy on every hop --------------------------------------
    def _open(self, url: str, accept: str | None, any_http: bool) -> requests.Response:
        # A wheel is fetched as is (pip does the same): no transfer compression to undo.
        headers = {"Accept": accept} if accept else {"Accept-Encoding": "identity"}
        timeout = (self.options.connect_timeout, self.options.read_timeout)
        for _hop in range(_MAX_HOPS):
            response = self.session.get(url, headers=headers, stream=True, timeout=timeout,
                                        allow_redirects=False)
            if response.status_code not in _REDIRECTS or "Location" not in response.headers:
                return response
            target = urljoin(url, response.headers["Location"])
            response.close()
            try:  # a redirect never leads to a local file, whatever the caller allows
                check_url(target, allow_file=False, any_http=any_http)
            except DownloadError as e:
                why = ("a redirect never leads to a local file" if target.lower().startswith(
                    "file:") else str(e).split(": ", 1)[-1])
                raise DownloadError(f"refusing redirect from {url} to {target!r}: {why}") \
                    from None
            url = target
        raise DownloadError(f"cannot download {url}: more than {_MAX_HOPS} redirects")

    def _attempt(self, url: str, accept: str | None, cap: int, what: str,
                 consume: Callable[[Stream], R], any_http: bool) -> R:
        """One attempt: *consume* reads the body of *url*."""
        options = self.options
        with self.watch.transfer(options.connect_timeout + options.read_timeout,
                                 options.min_rate) as transfer:
            try:
                if transfer.why is not None:
                    raise Cancelled(url)
                with self._open(url, accept, any_http) as response:
                    if response.status_code >= 400:
                        raise _HttpStatus(response.status_code, response.reason or "",
                                          _first_line(response))
                    length = response.headers.get("Content-Length")
                    expected = int(length) if length and length.isdigit() else None
                    if expected is not None and expected > cap:
                        raise DownloadError(f"refusing {url}: {expected} bytes is larger than "
                                            f"{what}")
                    encoded = response.headers.get("Content-Encoding", "identity") != "identity"
                    stream = Stream(response.iter_content(_CHUNK), response.url or url, cap,
                                    None if encoded else expected, transfer, self.progress,
                                    f"refusing {url}: larger than {what}",
                                    response.headers.get("Content-Type", ""))
                    result = consume(stream)
                    stream.read()  # (to its end: a truncated body is an error)
                    return result
            except Exception as e:
                if transfer.why == CANCELLED:
                    raise Cancelled(url) from None
                if transfer.why is not None:
                    raise _TooSlow(transfer, self.options) from None
                if isinstance(e, DownloadError | _HttpStatus | _Truncated
                              | requests.RequestException):
                    raise
                if isinstance(e, OSError | ValueError):  # a socket error requests let through
                    raise requests.ConnectionError(e) from e
                raise

    def _with_retries(self, url: str, accept: str | None, cap: int, what: str,
                      consume: Callable[[Stream], R], any_http: bool = False) -> R:
        attempts = self.options.retries + 1
        for attempt in range(1, attempts + 1):
            if self._stopping.is_set():
                raise Cancelled(url)
            try:
                return self._attempt(url, accept, cap, what, consume, any_http)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.
                    ChunkedEncodingError, requests.exceptions.ContentDecodingError, _Truncated,
                    _HttpStatus, _TooSlow) as e:
                reason = _reason(e, self.options)
                status, detail = (e.status, e.detail) if isinstance(e, _HttpStatus) else (None, "")
                if status is not None and status < 500:
                    raise HttpStatusError(url, reason, status, detail) from None
                if attempt == attempts:
                    raise TransferError(url, reason, attempts=attempts, status=status,
                                        detail=detail) from None
                if self._stopping.wait(min(self.options.backoff * 2 ** (attempt - 1),
                                           _MAX_BACKOFF)):
                    raise Cancelled(url) from None
            except requests.RequestException as e:
                raise TransferError(url, str(e)) from None
        raise AssertionError("unreachable: there is at least one attempt")

    # -- public -----------------------------------------------------------------------
    def read(self, url: str, consume: Callable[[Stream], R], *, accept: str | None = None,
             cap: tuple[int, str] | None = None, verified: bool = False) -> R:
        """Give the file at *url* to *consume* as a stream, following our policy: called
        again from the start for each new attempt.  Its result.

        *accept*: the Accept header (default: the file as is, no transfer encoding);
        *cap*: (bytes, what they are) instead of ``IPWHL_MAX_SIZE``; *verified*: the
        caller checks every byte against a CID as it reads (an IPFS gateway's CAR), so
        plain http to any host is read too."""
        check_url(url, allow_file=self.options.allow_file, any_http=verified)
        limit, what = cap or (self.options.max_size,
                              f"the {self.options.max_size}-byte size cap (IPWHL_MAX_SIZE)")
        if urlsplit(url).scheme.lower() == "file":
            return self._read_file(url, consume, what)
        return self._with_retries(url, accept, limit, what, consume, verified)

    def download(self, url: str, out: IO[bytes]) -> None:
        """Stream the file at *url* into *out*, following our policy."""
        def copy(stream: Stream) -> None:
            out.seek(0)
            out.truncate()
            while chunk := stream.read(_CHUNK):
                out.write(chunk)
        self.read(url, copy)

    def get_page(self, url: str, accept: str) -> tuple[str, str, bytes]:
        """GET a (small) page: (final URL, Content-Type, body), held in memory."""
        check_url(url, allow_file=False)
        cap = self.options.page_max
        return self._with_retries(url, accept, cap, f"the {human_bytes(cap)} a page may be",
                                  lambda s: (s.url, s.content_type, s.read()))

    def index_files(self, index_url: str, project: str) -> list[IndexFile]:
        """The files on *project*'s page of the index (read once per client)."""
        key = project_url(index_url, project)
        with self._lock:
            page_lock = self._page_locks.setdefault(key, threading.Lock())
        with page_lock:  # one request per page, while other threads read other pages
            if key not in self._pages:
                try:
                    self._pages[key] = project_files(self, index_url, project)
                except HttpStatusError as e:
                    if e.status not in (404, 410):
                        raise
                    raise DownloadError(f"no project {project!r} on {index_url} "
                                        f"(HTTP {e.status} for {key})") from None
            return self._pages[key]

    def resolve(self, source: Source, index_url: str | None = None) -> tuple[str, IndexFile | None]:
        """The URL *source* refers to (and its index entry when it is an index reference)."""
        if source.url is not None:
            return source.url, None
        assert source.project is not None
        index = index_url or self.default_index()
        for entry in self.index_files(index, source.project):
            if entry.filename == source.filename:
                return entry.url, entry
        raise DownloadError(f"{source.filename} is not listed on "
                            f"{project_url(index, source.project)}")

    def default_index(self) -> str:
        """pip's index (read once: ``pip config`` costs ~0.5 s of CPU a call)."""
        with self._index_lock:
            if self._index is None:
                self._index = default_index_url()
            return self._index

    def _read_file(self, url: str, consume: Callable[[Stream], R], what: str) -> R:
        path = Path(url2pathname(urlsplit(url).path))
        try:
            with path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size > self.options.max_size:
                    raise DownloadError(f"refusing {url}: {size} bytes is larger than {what}")
                chunks = iter(lambda: f.read(_CHUNK), b"")
                return consume(Stream(chunks, url, self.options.max_size, None, None,
                                      self.progress, f"refusing {url}: larger than {what}"))
        except OSError as e:
            raise DownloadError(f"cannot read {url}: {e.strerror or e}") from None


class _TooSlow(Exception):
    def __init__(self, transfer: Transfer, options: FetchOptions) -> None:
        grace = options.connect_timeout + options.read_timeout
        super().__init__(
            f"too slow: {transfer.received} bytes in {transfer.elapsed():.1f} s (a transfer "
            f"must average {human_bytes(options.min_rate)}/s after its first {grace:g} s)")


class TransferError(DownloadError):
    """A download that failed: ``cannot download URL: REASON (after N attempts)``.

    ``reason`` is a few words (``HTTP 503 Service Unavailable``, ``connection failed:
    Connection refused``); ``status`` the HTTP status that ended it, if one did, and
    ``detail`` the first line of the server's error page (a gateway says there why)."""

    def __init__(self, url: str, reason: str, *, attempts: int = 0, status: int | None = None,
                 detail: str = "") -> None:
        tries = f" (after {attempts} attempt{'s' if attempts > 1 else ''})" if attempts else ""
        super().__init__(f"cannot download {url}: {reason}{tries}")
        self.url, self.reason, self.status, self.detail = url, reason, status, detail


class HttpStatusError(TransferError):
    """The server answered with an HTTP error status (4xx; 5xx only after the retries)."""

    status: int

    def __init__(self, url: str, reason: str, status: int, detail: str = "") -> None:
        super().__init__(url, reason, status=status, detail=detail)


class _HttpStatus(Exception):
    def __init__(self, status: int, reason: str, detail: str = "") -> None:
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status, self.detail = status, detail


def _first_line(response: requests.Response) -> str:
    """The first line of an error page (its first 4 kB read), cut to 200 characters."""
    try:
        head = next(response.iter_content(4096), b"")
    except (requests.RequestException, OSError):
        return ""
    lines = head.decode("utf-8", "replace").strip().splitlines()
    return lines[0][:200] if lines else ""


class _Truncated(Exception):
    def __init__(self, done: int, expected: int) -> None:
        super().__init__(f"the connection closed after {done} of {expected} bytes")


def _reason(e: BaseException, options: FetchOptions) -> str:
    if isinstance(e, _HttpStatus | _Truncated | _TooSlow):
        return str(e)
    return request_failure(e, options.connect_timeout, options.read_timeout)


def request_failure(e: BaseException, connect_timeout: float, read_timeout: float) -> str:
    """A few words for a failed request, for people: ``connection failed: Connection
    refused``, not the three nested exceptions requests and urllib3 wrap it in."""
    if isinstance(e, requests.ConnectTimeout):
        return f"no connection within {connect_timeout:g} s"
    if isinstance(e, requests.Timeout) or "timed out" in str(e).lower():
        return f"no answer within {read_timeout:g} s"
    text = str(e)
    if "IncompleteRead" in text or "Connection broken" in text:
        return "the connection closed before the end of the file"
    if isinstance(e, requests.ConnectionError):
        why = _os_reason(e)
        return f"connection failed: {why}" if why else "connection failed"
    return text or type(e).__name__


def _os_reason(e: BaseException) -> str | None:
    """The operating system's words for the error under *e* ("Connection refused", "Name
    or service not known"), found through the exceptions requests and urllib3 wrap."""
    seen: set[int] = set()
    stack = [e]
    while stack:
        error = stack.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, OSError) and error.strerror:
            return str(error.strerror)
        for inner in (*error.args, getattr(error, "reason", None), error.__cause__,
                      error.__context__):
            if isinstance(inner, BaseException):
                stack.append(inner)
    return None

"""The HTTP client: our download policy on top of a requests session.

Policy (issue 4): only ``https``, plain ``http`` to loopback hosts (which pip also treats
as secure origins), ``file`` only when explicitly allowed; every redirect is checked again
and a redirect to ``file`` is always refused.  Connect and read timeouts, retries with
exponential backoff on connection errors, timeouts, truncated bodies and 5xx answers, and a
size cap.  A progress line on stderr when it is a terminal.

Tunable from the environment (tests use short values): ``IPWHL_TIMEOUT`` (seconds, both
timeouts), ``IPWHL_RETRIES``, ``IPWHL_MAX_SIZE`` (bytes).  Public through
:mod:`ipwhl_checks.sources.fetch`.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import requests

from .. import __version__
from ..errors import DownloadError
from ..repo.source import Source
from .pipconfig import default_index_url
from .simple_index import IndexFile, project_files, project_url

__all__ = ["Client", "FetchOptions", "HttpStatusError", "check_url", "request_failure"]

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_HOPS = 10
_CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchOptions:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3  # further attempts after the first
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    max_size: int = 4 << 30  # bytes; the largest wheels in use are a few GB
    allow_file: bool = False
    progress: bool | None = None  # None: only when stderr is a terminal

    @classmethod
    def from_env(cls, **overrides: object) -> FetchOptions:
        """Defaults, then IPWHL_TIMEOUT, IPWHL_RETRIES, IPWHL_MAX_SIZE, then *overrides*."""
        options = cls()
        try:
            if value := os.environ.get("IPWHL_TIMEOUT"):
                options = replace(options, connect_timeout=float(value), read_timeout=float(value))
            if value := os.environ.get("IPWHL_RETRIES"):
                options = replace(options, retries=int(value))
            if value := os.environ.get("IPWHL_MAX_SIZE"):
                options = replace(options, max_size=int(value))
        except ValueError as e:
            raise DownloadError(f"invalid IPWHL_TIMEOUT/IPWHL_RETRIES/IPWHL_MAX_SIZE ({e})") from e
        return replace(options, **overrides)  # type: ignore[arg-type]


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_file: bool = False) -> None:
    """Refuse a URL our policy does not download (see the module docstring)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return
    if scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    if scheme == "http":
        raise DownloadError(f"refusing {url!r}: plain http is only allowed to this machine, "
                            "use https")
    if scheme == "file":
        if allow_file:
            return
        raise DownloadError(f"refusing {url!r}: file URLs are only read when allowed")
    raise DownloadError(f"refusing {url!r}: only https (and http to this machine) is downloaded")


class Client:
    """A requests session with our timeouts, retries, size cap and URL policy."""

    def __init__(self, options: FetchOptions | None = None) -> None:
        self.options = options or FetchOptions.from_env()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"ipwhl/{__version__}"
        self._pages: dict[str, list[IndexFile]] = {}
        self._page_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._index: str | None = None  # pip's index, asked once: it may run `pip config`
        self._index_lock = threading.Lock()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # -- one GET, with the policy on every hop --------------------------------------
    def _open(self, url: str, accept: str | None) -> requests.Response:
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
                check_url(target, allow_file=False)
            except DownloadError as e:
                why = ("a redirect never leads to a local file" if target.lower().startswith(
                    "file:") else str(e).split(": ", 1)[-1])
                raise DownloadError(f"refusing redirect from {url} to {target!r}: {why}") \
                    from None
            url = target
        raise DownloadError(f"cannot download {url}: more than {_MAX_HOPS} redirects")

    def _stream(self, url: str, out: IO[bytes], accept: str | None) -> tuple[str, str]:
        """Write the body of *url* to *out* (one attempt): (final URL, Content-Type)."""
        with self._open(url, accept) as response:
            if response.status_code >= 400:
                raise _HttpStatus(response.status_code, response.reason or "")
            cap = self.options.max_size
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            if expected is not None and expected > cap:
                raise DownloadError(f"refusing {url}: {expected} bytes is larger than the "
                                    f"{cap}-byte size cap (IPWHL_MAX_SIZE)")
            done = 0
            with _progress(url, expected, self.options.progress) as tick:
                for chunk in response.iter_content(_CHUNK):
                    done += len(chunk)
                    if done > cap:
                        raise DownloadError(f"refusing {url}: larger than the {cap}-byte "
                                            "size cap (IPWHL_MAX_SIZE)")
                    out.write(chunk)
                    tick(done)
            encoded = response.headers.get("Content-Encoding", "identity") != "identity"
            if expected is not None and done != expected and not encoded:
                raise _Truncated(done, expected)
            return response.url or url, response.headers.get("Content-Type", "")

    def _with_retries(self, url: str, out: IO[bytes], accept: str | None) -> tuple[str, str]:
        attempts = self.options.retries + 1
        for attempt in range(1, attempts + 1):
            out.seek(0)
            out.truncate()
            try:
                return self._stream(url, out, accept)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.
                    ChunkedEncodingError, _Truncated, _HttpStatus) as e:
                reason = _reason(e, self.options)
                if isinstance(e, _HttpStatus) and e.status < 500:
                    raise HttpStatusError(f"cannot download {url}: {reason}", e.status) \
                        from None
                if attempt == attempts:
                    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
                    raise DownloadError(f"cannot download {url}: {reason} (after {tries})") \
                        from None
                time.sleep(self.options.backoff * 2 ** (attempt - 1))
            except requests.RequestException as e:
                raise DownloadError(f"cannot download {url}: {e}") from None
        raise AssertionError("unreachable")

    # -- public -----------------------------------------------------------------------
    def download(self, url: str, out: IO[bytes]) -> None:
        """Stream the file at *url* into *out*, following our policy."""
        check_url(url, allow_file=self.options.allow_file)
        if urlsplit(url).scheme.lower() == "file":
            self._copy_file(url, out)
            return
        self._with_retries(url, out, None)

    def get_page(self, url: str, accept: str) -> tuple[str, str, bytes]:
        """GET a (small) page: (final URL, Content-Type, body)."""
        check_url(url, allow_file=False)
        with tempfile.SpooledTemporaryFile(1 << 22) as buf:
            final, content_type = self._with_retries(url, buf, accept)
            buf.seek(0)
            return final, content_type, buf.read()

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
        index = index_url or self._default_index()
        for entry in self.index_files(index, source.project):
            if entry.filename == source.filename:
                return entry.url, entry
        raise DownloadError(f"{source.filename} is not listed on "
                            f"{project_url(index, source.project)}")

    def _default_index(self) -> str:
        """pip's index, read once per client (``pip config`` costs ~0.5 s of CPU a call)."""
        with self._index_lock:
            if self._index is None:
                self._index = default_index_url()
            return self._index

    def _copy_file(self, url: str, out: IO[bytes]) -> None:
        path = Path(url2pathname(urlsplit(url).path))
        try:
            with path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size > self.options.max_size:
                    raise DownloadError(f"refusing {url}: {size} bytes is larger than the "
                                        f"{self.options.max_size}-byte size cap (IPWHL_MAX_SIZE)")
                shutil.copyfileobj(f, out, _CHUNK)
        except OSError as e:
            raise DownloadError(f"cannot read {url}: {e.strerror or e}") from None


class HttpStatusError(DownloadError):
    """The server answered with an HTTP error status (4xx; 5xx only after the retries)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class _HttpStatus(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status = status


class _Truncated(Exception):
    def __init__(self, done: int, expected: int) -> None:
        super().__init__(f"the connection closed after {done} of {expected} bytes")


def _reason(e: BaseException, options: FetchOptions) -> str:
    if isinstance(e, _HttpStatus | _Truncated):
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


@contextmanager
def _progress(url: str, total: int | None,
              enabled: bool | None) -> Iterator[Callable[[int], None]]:
    show = sys.stderr.isatty() if enabled is None else enabled
    last = [0.0]
    name = url.rsplit("/", 1)[-1][:40]

    def tick(done: int) -> None:
        now = time.monotonic()
        if show and now - last[0] > 0.1:
            last[0] = now
            of = f"/{total / 1e6:.1f}" if total else ""
            print(f"\r{name} {done / 1e6:.1f}{of} MB", end="", file=sys.stderr, flush=True)

    yield tick
    if show and last[0]:
        print(file=sys.stderr)

"""Downloads: the one module that talks to the network.

Policy (issue 4): only ``https``, plain ``http`` to loopback hosts (which pip also treats
as secure origins), ``file`` only when explicitly allowed; every redirect is checked again
and a redirect to ``file`` is always refused.  Connect and read timeouts, retries with
exponential backoff on connection errors, timeouts, truncated bodies and 5xx answers, and a
size cap.  Wheels are streamed into a content-addressed cache,
``$XDG_CACHE_HOME/ipwhl/wheels/<cid>/<filename>``, and re-verified whenever they are read.

Tunable from the environment (tests use short values): ``IPWHL_TIMEOUT`` (seconds, both
timeouts), ``IPWHL_RETRIES``, ``IPWHL_MAX_SIZE`` (bytes).
"""

from __future__ import annotations

import hashlib
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

from . import __version__
from .declaration import Declaration
from .errors import DownloadError
from .settings import Settings
from .simple_index import IndexFile, project_files, project_url
from .sources import Source, default_index_url, parse_source
from .unixfs import file_cid

__all__ = [
    "CacheEntry",
    "Client",
    "ContentMismatch",
    "FetchOptions",
    "cache_dir",
    "check_url",
    "download_wheel",
    "fetch_wheel",
]

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_HOPS = 10
_CHUNK = 1 << 16


class ContentMismatch(DownloadError):
    """The bytes downloaded are not the ones declared (their CID differs)."""

    def __init__(self, url: str, declared: str, actual: str) -> None:
        super().__init__(f"content-id: declared {declared!r} but {url} gives {actual!r}")
        self.url, self.declared, self.actual = url, declared, actual


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


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/ipwhl`` (XDG base directory spec: default ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "ipwhl"


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
                    raise DownloadError(f"cannot download {url}: {reason}") from None
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
                self._pages[key] = project_files(self, index_url, project)
            return self._pages[key]

    def resolve(self, source: Source, index_url: str | None = None) -> tuple[str, IndexFile | None]:
        """The URL *source* refers to (and its index entry when it is an index reference)."""
        if source.url is not None:
            return source.url, None
        assert source.project is not None
        index = index_url or default_index_url()
        for entry in self.index_files(index, source.project):
            if entry.filename == source.filename:
                return entry.url, entry
        raise DownloadError(f"{source.filename} is not listed on "
                            f"{project_url(index, source.project)}")

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


class _HttpStatus(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status = status


class _Truncated(Exception):
    def __init__(self, done: int, expected: int) -> None:
        super().__init__(f"the connection closed after {done} of {expected} bytes")


def _reason(e: BaseException, options: FetchOptions) -> str:
    if isinstance(e, requests.ConnectTimeout):
        return f"no connection within {options.connect_timeout:g} s"
    if isinstance(e, requests.Timeout) or "timed out" in str(e).lower():
        return f"no answer within {options.read_timeout:g} s"
    if isinstance(e, _HttpStatus | _Truncated):
        return str(e)
    text = str(e)
    if "IncompleteRead" in text or "Connection broken" in text:
        return "the connection closed before the end of the file"
    if isinstance(e, requests.ConnectionError):
        return "connection failed"
    return text or type(e).__name__


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


# -- the content-addressed cache ----------------------------------------------------------
@dataclass(frozen=True)
class CacheEntry:
    path: Path
    cid: str
    sha256: str


def _profile_name(settings_or_profile: Settings | str) -> str:
    return settings_or_profile if isinstance(settings_or_profile, str) \
        else settings_or_profile.profile


def _cid(path: Path, profile: str) -> str:
    cid, _size = file_cid(path, profile)
    return cid


def _same_cid(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        from multiformats import CID
        return bool(CID.decode(a) == CID.decode(b))
    except (ValueError, KeyError):
        return False


def _cache_path(cid: str, filename: str) -> Path:
    if not cid.isalnum() or "/" in filename or filename.startswith("."):
        raise DownloadError(f"cannot cache {filename!r} under content-id {cid!r}")
    return cache_dir() / "wheels" / cid / filename


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def _staging(filename: str) -> Iterator[tuple[Path, IO[bytes]]]:
    tmp_root = cache_dir() / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="dl-", suffix="-" + filename, dir=tmp_root)
    path = Path(name)
    try:
        with os.fdopen(fd, "w+b") as out:
            yield path, out
    finally:
        path.unlink(missing_ok=True)


def _store(tmp: Path, cid: str, filename: str) -> Path:
    target = _cache_path(cid, filename)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    return target


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
    cached = _cache_path(declaration.content_id, declaration.filename)
    if cached.is_file():
        if _same_cid(_cid(cached, profile), declaration.content_id):
            return cached
        cached.unlink(missing_ok=True)  # damaged in the cache: fetch it again
    source = parse_source(declaration.source)
    own = client or Client(FetchOptions.from_env(allow_file=allow_file))
    try:
        url, _entry = own.resolve(source, index_url)
        with _staging(declaration.filename) as (tmp, out):
            own.download(url, out)
            out.flush()
            actual = _cid(tmp, profile)
            if not _same_cid(actual, declaration.content_id):
                raise ContentMismatch(url, declaration.content_id, actual)
            return _store(tmp, declaration.content_id, declaration.filename)
    finally:
        if client is None:
            own.close()


def download_wheel(source: str, settings_or_profile: Settings | str, *,
                   index_url: str | None = None, allow_file: bool = False,
                   client: Client | None = None) -> CacheEntry:
    """Download *source* (no CID known yet), cache it under its CID and return the entry.

    When the index lists a sha256 for the file, the download must match it.
    """
    profile = _profile_name(settings_or_profile)
    parsed = parse_source(source)
    own = client or Client(FetchOptions.from_env(allow_file=allow_file))
    try:
        url, entry = own.resolve(parsed, index_url)
        with _staging(parsed.filename) as (tmp, out):
            own.download(url, out)
            out.flush()
            digest = _sha256(tmp)
            listed = entry.hashes.get("sha256") if entry else None
            if listed and listed.lower() != digest:
                raise DownloadError(f"{url}: the index lists sha256 {listed} but the "
                                    f"download gives {digest}")
            cid = _cid(tmp, profile)
            return CacheEntry(_store(tmp, cid, parsed.filename), cid, digest)
    finally:
        if client is None:
            own.close()


"""The wheel cache's layout: where it is and what goes where (its one owner).

The cache root is platformdirs' user cache directory for ``ipwhl``: ``$XDG_CACHE_HOME/ipwhl``
(else ``~/.cache/ipwhl``) on Linux, ``~/Library/Caches/ipwhl`` on macOS,
``%LOCALAPPDATA%\\ipwhl\\Cache`` on Windows.  Under it::

    wheels/<cid>/<filename>       a wheel, by its CID under the repository's profile
    tmp/                          downloads being staged (renamed into wheels/ once verified)
    sha256/<profile>/<sha256>     the CID (text) of the cached wheel with that sha256
    uv/                           uv's cache for ``ipwhl integrate`` (its unpacked wheels)

A wheel is checked against its CID whenever it is read (by the fetcher or by publish), so
a damaged file is found and replaced.  Files are staged privately (``mkstemp``: 0600) and
get the permissions a plain ``open`` gives under the umask when they enter the cache, as
the directories do.  This module neither reads nor verifies wheels, and it imports no
HTTP client: publish looks wheels up here without loading one.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import platformdirs

from ..errors import DownloadError
from ..util.atomic import OutputFile, atomic_write, failing_as, plain_mode

__all__ = [
    "cache_dir",
    "integrate_uv_cache",
    "remember_cid",
    "remembered_cid",
    "remove_staged",
    "staged_file",
    "store",
    "unwritable",
    "wheel_path",
    "wheels_dir",
]

_SEPARATORS = frozenset(s for s in ("/", os.sep, os.altsep) if s)
_staged: set[Path] = set()  # the files staged_file made and has not removed yet
_staged_lock = threading.Lock()


def cache_dir() -> Path:
    """The cache root: platformdirs' user cache directory for ``ipwhl``."""
    return Path(platformdirs.user_cache_dir("ipwhl", appauthor=False))


def wheels_dir() -> str:
    """``<root>/wheels``, the directory :func:`wheel_path` takes."""
    return os.path.join(cache_dir(), "wheels")


def integrate_uv_cache() -> Path:
    """``<root>/uv``: the uv cache ``ipwhl integrate`` installs from (its own, so that no
    other use of uv's cache, a ``uv cache clean`` say, pulls files from under a run)."""
    return cache_dir() / "uv"


def wheel_path(cid: str, filename: str, wheels: str | None = None) -> str:
    """Where the wheel *filename* of CID *cid* is cached: ``<wheels>/<cid>/<filename>``.

    *wheels* is :func:`wheels_dir` (publish, which looks up every wheel, passes it once
    computed).  :class:`DownloadError` for a CID or file name that would leave its place
    (a path separator, a leading dot).
    """
    if not cid.isalnum() or not filename or filename[0] == "." \
            or not _SEPARATORS.isdisjoint(filename):
        raise DownloadError(f"cannot cache {filename!r} under content-id {cid!r}")
    return os.path.join(wheels_dir() if wheels is None else wheels, cid, filename)


def unwritable(e: OSError) -> DownloadError:
    """A full disk, say, names the cache: not the source being read, which the callers'
    messages would otherwise blame."""
    return DownloadError(f"cannot write to the wheel cache {cache_dir()} ({e.strerror or e})")


@contextmanager
def staged_file(filename: str) -> Iterator[tuple[Path, IO[bytes]]]:
    """A new private file in ``<root>/tmp`` for a download of *filename*, open for writing
    and reading back: (its path, the file).  A failed write names the cache.  The file is
    closed and removed on the way out, unless :func:`store` moved it into the cache."""
    tmp_root = cache_dir() / "tmp"
    with failing_as(unwritable):
        tmp_root.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="dl-", suffix="-" + filename, dir=tmp_root)
    path = Path(name)
    with _staged_lock:
        _staged.add(path)
    try:
        with io.BufferedRandom(OutputFile(fd, "w+b", failed=unwritable)) as out:
            yield path, out
    finally:
        path.unlink(missing_ok=True)
        with _staged_lock:
            _staged.discard(path)


def remove_staged() -> None:
    """Remove every file :func:`staged_file` has staged and not yet removed (a signal
    stops the process while a thread is stuck writing one)."""
    with _staged_lock:
        paths = list(_staged)
    for path in paths:
        path.unlink(missing_ok=True)


def store(staged: Path, cid: str, filename: str) -> Path:
    """Move the verified file *staged* into the cache as the wheel *filename* of CID *cid*,
    with the permissions the umask gives (not mkstemp's 0600); where it now is."""
    target = Path(wheel_path(cid, filename))
    with failing_as(unwritable):
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged, plain_mode())
        os.replace(staged, target)
    return target


def _digest_file(profile: str, sha256: str) -> Path:
    return cache_dir() / "sha256" / profile / sha256


def remember_cid(profile: str, sha256: str, cid: str) -> None:
    """Note that the cached wheel with this *sha256* has CID *cid* under *profile*."""
    path = _digest_file(profile, sha256)
    with failing_as(unwritable):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, cid)


def remembered_cid(profile: str, sha256: str) -> str | None:
    """The CID :func:`remember_cid` noted for *sha256* under *profile*, if any (the file
    may since have left the cache, or changed: the caller checks)."""
    if not sha256.isalnum():
        return None
    try:
        return _digest_file(profile, sha256).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None

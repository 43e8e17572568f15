"""Replace a file at once: a reader sees the old file or the new one, never half of one.

The new content goes to a temporary file in the target's directory (same file system),
which is then renamed over the target with :func:`os.replace` (atomic on POSIX and
Windows).  On any failure the temporary file is removed and the target is untouched.

Outputs too large to hold in memory (a CAR, a published tree's files, a download) are
streamed into such a temporary file by their own writers, through :class:`OutputFile`:
a write that fails, on a full disk say, raises an error that names the output.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import WriteError

__all__ = ["OutputFile", "atomic_write", "failing_as", "plain_mode"]


def plain_mode(directory: bool = False) -> int:
    """The permissions a plain ``open`` (or ``mkdir``) gives under the current umask.

    ``tempfile`` makes private files (0600) and directories (0700); a staged output that
    is renamed into place gets these instead, as if it had been written directly.
    """
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def _mode(path: Path) -> int:
    """The target's permissions if it exists, else what a plain ``open`` would give."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return plain_mode()


def atomic_write(path: Path, content: str | bytes) -> None:
    """Replace *path* with *content* (text is written as UTF-8 with LF line ends).

    :class:`~ipwhl_checks.errors.WriteError` ("PATH: cannot write (reason)") when it
    cannot; *path* is then as it was."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    mode = _mode(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise WriteError(f"{path}: cannot write ({e.strerror or e})") from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise WriteError(f"{path}: cannot write ({e.strerror or e})") from e
        raise


class OutputFile(io.FileIO):
    """A file written for an output (a CAR, a published tree): a failed write, a full disk
    say, raises what *failed* makes of the OSError (an error that names the output), also
    when a buffer above it flushes.  It is not an OSError, so no reader's ``except OSError``
    on the way up takes it for its own file's."""

    def __init__(self, file: int | str | os.PathLike[str], mode: str, *,
                 failed: Callable[[OSError], Exception]) -> None:
        super().__init__(file, mode)
        self.failed = failed

    def write(self, data: Any, /) -> int:
        try:
            return super().write(data)
        except OSError as e:
            raise self.failed(e) from e


@contextmanager
def failing_as(failed: Callable[[OSError], Exception]) -> Iterator[None]:
    """An OSError in the block raises what *failed* makes of it (an error naming the
    output being written), as :class:`OutputFile` does for its writes."""
    try:
        yield
    except OSError as e:
        raise failed(e) from e

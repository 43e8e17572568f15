"""Read only regular files where the data tree holds files, and where a CAR must be.

A FIFO in the data tree, or given as a CAR, would block ``open()`` or ``read()`` until
some writer came along, so a check or a publish would hang with no word.  These open
without blocking, look at what they opened, and refuse anything but a regular file with
an :class:`OSError` (``strerror`` "not a regular file", or :class:`IsADirectoryError`)
that the callers already report like any other unreadable file.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

__all__ = ["open_regular", "read_regular"]


def open_regular(path: str | os.PathLike[str], buffering: int = -1) -> BinaryIO:
    """*path* open for reading in binary mode, if it is a regular file (symlinks followed)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", os.fspath(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=buffering)
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the regular file *path* (see :func:`open_regular`)."""
    with open_regular(path) as f:
        return f.read()

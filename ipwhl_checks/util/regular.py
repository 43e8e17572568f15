"""Read only regular files where the data tree holds files, and where a CAR must be.

A FIFO in the data tree, or given as a CAR, would block ``open()`` or ``read()`` until
some writer came along, so a check or a publish would hang with no word.  These open
without blocking, look at what they opened, and refuse anything but a regular file with
an :class:`OSError` (``strerror`` "not a regular file", or :class:`IsADirectoryError`)
that the callers already report like any other unreadable file.

The data tree's files are read without following symbolic links: git commits a link, not
the file it points to, so a publish from the commit (:mod:`ipwhl_checks.publish.committed`)
refuses one, and the checks that run before the commit must refuse it too.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

__all__ = ["open_regular", "read_regular"]


def _open(path: str | os.PathLike[str], follow_symlinks: bool) -> tuple[int, int]:
    """(file descriptor, size) of the regular file *path*, open for reading.  O_NONBLOCK
    keeps a FIFO from blocking the open; it changes nothing for a regular file's reads."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if not follow_symlinks and e.errno in (errno.ELOOP, errno.EMLINK) \
                and os.path.islink(path):
            raise OSError(errno.ELOOP, "is a symbolic link", os.fspath(path)) from e
        raise
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", os.fspath(path))
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def open_regular(path: str | os.PathLike[str], buffering: int = -1, *,
                 follow_symlinks: bool = True) -> BinaryIO:
    """*path* open for reading in binary mode, if it is a regular file.  Without
    *follow_symlinks*, a symbolic link is refused too ("is a symbolic link")."""
    fd, _size = _open(path, follow_symlinks)
    try:
        return os.fdopen(fd, "rb", buffering=buffering)
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], *, follow_symlinks: bool = True) -> bytes:
    """The bytes of the regular file *path* (see :func:`open_regular`)."""
    fd, size = _open(path, follow_symlinks)
    try:
        first = os.read(fd, size + 1)
        if len(first) == size:  # fstat's size, and nothing after it: the whole file
            return first
        chunks = [first]  # it grew or shrank meanwhile, or is too large for one read
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)

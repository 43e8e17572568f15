"""A UnixFS file or directory as a tar stream (``?format=tar``, path gateway spec).

Entries are named ``<top>/<path>`` (``<top>`` is the CID as the URL names it), in the
POSIX.1-2001 (pax) format, so UTF-8 names survive; a directory's entries follow their
directory, depth-first in DAG order.  Names are cleaned as ``path.Clean`` does, and a
DAG with an entry whose cleaned name leaves ``<top>/`` (``../x``) is refused before the
response starts (:func:`check_names` walks the directories first): extracting such a tar
would write outside the target directory.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Callable, Iterator

from ..errors import UnixFSError
from ..ipld.dagpb import DataType, PBNode
from .content import file_size, iter_file
from .paths import entries, load_node
from .store import BlockStore

__all__ = ["TarNameError", "check_names", "write_tar"]

_DIRECTORIES = (DataType.DIRECTORY, DataType.HAMT_SHARD)
_MAX_DEPTH = 512


class TarNameError(ValueError):
    """An entry's name would leave the archive's top directory."""


def _walk(store: BlockStore, cid: bytes, node: PBNode | None, name: str, top: str,
          depth: int = 0) -> Iterator[tuple[str, bytes, PBNode | None]]:
    clean = posixpath.normpath(name)
    if clean != top and not clean.startswith(top + "/"):
        raise TarNameError(f"entry {name[len(top) + 1:]!r} leaves the archive's top "
                           f"directory {top!r}")
    if depth > _MAX_DEPTH:
        raise UnixFSError(f"directories nested more than {_MAX_DEPTH} deep under {top!r}")
    yield clean, cid, node
    if node is not None and node.type in _DIRECTORIES:
        for link in entries(store, node):
            child = load_node(store, link.cid)
            yield from _walk(store, link.cid, child, f"{clean}/{link.name}", top, depth + 1)


def check_names(store: BlockStore, cid: bytes, node: PBNode | None, top: str) -> None:
    """Raise :class:`TarNameError` if an entry of the DAG would leave *top*."""
    for _ in _walk(store, cid, node, top, top):
        pass


class _FileReader(io.RawIOBase):
    """The bytes of a UnixFS file, read block by block as tarfile copies them."""

    def __init__(self, chunks: Iterator[memoryview]) -> None:
        self._chunks = chunks
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = chunk
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


class _Sink:
    def __init__(self, write: Callable[[bytes], None]) -> None:
        self.write = write


def write_tar(store: BlockStore, cid: bytes, node: PBNode | None, top: str,
              write: Callable[[bytes], None]) -> None:
    """Write the tar of the DAG *cid* through *write* (call :func:`check_names` first)."""
    with tarfile.open(fileobj=_Sink(write), mode="w|",  # type: ignore[call-overload]
                      format=tarfile.PAX_FORMAT) as tar:
        for name, entry, entry_node in _walk(store, cid, node, top, top):
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if entry_node is not None and entry_node.type in _DIRECTORIES:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif entry_node is not None and entry_node.type == DataType.SYMLINK:
                info.type, info.mode = tarfile.SYMTYPE, 0o777
                info.linkname = entry_node.data.decode("utf-8", "surrogateescape")
                tar.addfile(info)
            else:
                info.size, info.mode = file_size(store, entry, entry_node), 0o644
                reader = _FileReader(iter_file(store, entry, entry_node, 0, info.size))
                tar.addfile(info, io.BufferedReader(reader, 1 << 16))

"""The DAG builder: files, known files, directories and whole paths, as ``ipfs add`` does.

Pure core: it turns bytes into blocks and hands every block (once) to an optional sink;
writing them somewhere (a CAR file) is the caller's business.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import BinaryIO

from multiformats import CID

from ..errors import UnixFSError
from ..ipld.cid import cid_bytes, cid_text, to_cid
from ..ipld.dagpb import DataType, encode_pbnode, encode_unixfs
from ..ipld.multicodec import DAG_PB, RAW
from ._directory import build_directory, is_sharded
from ._file import Observe, build_file
from ._node import Node
from .profiles import Profile, get_profile

__all__ = ["DagBuilder", "RawSink", "Sink", "file_cid"]

Sink = Callable[[CID, bytes], None]
RawSink = Callable[[bytes, bytes], None]  # (binary CID, block: bytes, or a memoryview of
# a file being read, valid only during the call)


class DagBuilder:
    """Builds UnixFS DAGs under one :class:`Profile`, passing each new block to *sink*.

    Every block is given to *sink* exactly once, even when two files share chunks.  A
    ``multiformats.CID`` costs about a quarter of a millisecond to make, so a caller that
    only stores blocks (a CAR writer: ``CarWriter.add`` takes either) can pass *raw_sink*
    instead, which gets the binary CID (``bytes(cid)``).
    """

    def __init__(
        self, profile: Profile | str, sink: Sink | None = None, *, raw_sink: RawSink | None = None
    ) -> None:
        if sink is not None and raw_sink is not None:
            raise TypeError("give sink or raw_sink, not both")
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self._sink = sink
        self._raw_sink = raw_sink
        self._seen: set[bytes] = set()
        self._emit = self._emit_block if sink is not None or raw_sink is not None else None

    def _emit_block(self, raw: bytes, block: bytes) -> None:
        if raw not in self._seen:
            self._seen.add(raw)
            if self._raw_sink is not None:
                self._raw_sink(raw, block)
            elif self._sink is not None:
                self._sink(to_cid(raw), block)

    def add_file(self, stream: BinaryIO, *, observe: Observe | None = None,
                 mapped: bool = False) -> Node:
        """A file from a binary stream, read to its end in chunk-size pieces.

        *observe* sees the bytes as they are read; *mapped* maps a file nobody truncates
        meanwhile instead of reading it (see :func:`~ipwhl_checks.unixfs._file.build_file`).
        """
        return build_file(stream, self.profile, self._emit, observe=observe, mapped=mapped)

    def add_bytes(self, data: bytes | memoryview) -> Node:
        """A (small) file given as bytes."""
        if len(data) <= self.one_block_limit:
            return self.add_one_block(data)
        return self.add_file(io.BytesIO(data))

    @property
    def one_block_limit(self) -> int:
        """The size of the largest file whose DAG is one raw block (-1 if none is): with raw
        leaves, a file of at most one chunk is that chunk (the empty file too)."""
        return self.profile.chunk_size if self.profile.raw_leaves else -1

    def add_one_block(self, data: bytes | memoryview) -> Node:
        """A file of at most :attr:`one_block_limit` bytes: its one raw block, made with one
        hash call (no chunker buffers).  The same node :meth:`add_file` gives."""
        if len(data) > self.one_block_limit:
            raise ValueError(f"{len(data)} bytes is more than one raw block")
        cid = cid_bytes(self.profile.cid_version, RAW, hashlib.sha256(data).digest())
        if self._emit is not None:
            self._emit(cid, data)  # type: ignore[arg-type]  # (a sink may get a view)
        return Node(cid, len(data), "file")

    def add_known(self, cid: CID | str | bytes, size: int) -> Node:
        """A file known only by its CID and cumulative size; no block is made for it."""
        try:
            parsed = CID.decode(cid) if not isinstance(cid, CID) else cid
        except (ValueError, KeyError) as e:
            raise UnixFSError(f"invalid CID {cid!r}: {e}") from e
        if not isinstance(size, int) or size < 0:
            raise UnixFSError(f"invalid cumulative size {size!r} for {parsed} (expected >= 0)")
        return Node(bytes(parsed), size, "file")

    def add_symlink(self, target: str | bytes) -> Node:
        """A symbolic link: UnixFS ``{Type: Symlink, Data: target}``."""
        raw = target if isinstance(target, bytes) else os.fsencode(target)
        block = encode_pbnode((), encode_unixfs(DataType.SYMLINK, data=raw))
        cid = cid_bytes(self.profile.cid_version, DAG_PB, hashlib.sha256(block).digest())
        if self._emit is not None:
            self._emit(cid, block)
        return Node(cid, len(block), "symlink")

    def add_directory(self, children: Mapping[str, Node],
                      changed: Collection[str] | None = None) -> Node:
        """A directory of named children; a HAMT shard exactly when kubo makes one.

        *changed*: the names added, removed or relinked since a previous version of this
        directory, sharded the same way (see :meth:`is_sharded`): only the blocks that
        version lacks go to the sink."""
        return build_directory(children, self.profile, self._emit, changed)

    def is_sharded(self, children: Mapping[str, Node]) -> bool:
        """Whether :meth:`add_directory` makes a HAMT of *children* (as kubo would)."""
        return is_sharded(children, self.profile)

    def add_path(self, path: str | os.PathLike[str], *, hidden: bool = False) -> Node:
        """A file, symlink or directory tree (recursively; dot-files only if *hidden*)."""
        return self._add(Path(path), hidden)

    def _add(self, path: Path, hidden: bool) -> Node:
        try:
            st = path.lstat()
        except FileNotFoundError:
            raise UnixFSError(f"{path}: no such file or directory") from None
        except OSError as e:
            raise UnixFSError(f"{path}: cannot read ({e.strerror})") from e
        if stat.S_ISLNK(st.st_mode):
            return self.add_symlink(os.readlink(path))
        if stat.S_ISDIR(st.st_mode):
            try:
                names = sorted(os.listdir(path))
            except OSError as e:
                raise UnixFSError(f"{path}: cannot read directory ({e.strerror})") from e
            children = {
                name: self._add(path / name, hidden)
                for name in names
                if hidden or not name.startswith(".")
            }
            return self.add_directory(children)
        if stat.S_ISREG(st.st_mode):
            try:
                with path.open("rb", buffering=0) as f:
                    return self.add_file(f)
            except OSError as e:
                raise UnixFSError(f"{path}: cannot read ({e.strerror})") from e
        raise UnixFSError(
            f"{path}: is a special file (fifo, socket or device); only regular files, "
            "directories and symlinks can be added"
        )


def file_cid(
    path_or_stream: str | os.PathLike[str] | BinaryIO, profile: Profile | str
) -> tuple[str, int]:
    """(CID string in the profile's base, cumulative size) of a file path or binary stream."""
    builder = DagBuilder(profile)
    if isinstance(path_or_stream, (str, os.PathLike)):
        node = builder.add_path(path_or_stream)
    else:
        node = builder.add_file(path_or_stream)
    return cid_text(node.raw), node.size  # (str(node.cid) costs milliseconds)

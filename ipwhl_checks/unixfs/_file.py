"""Files: the fixed-size chunker and boxo's balanced layout (``importer/balanced``).

Layout, as boxo builds it: a file of at most one chunk is that single leaf (the empty file
is one empty leaf).  Otherwise the first leaf becomes the root; while data remains, the
root becomes the first child of a new root one level deeper, which is filled left to right
with up to ``max_links`` children, each a full subtree of the level below (leaves at level
1) as long as data lasts.  An internal node is a dag-pb node whose UnixFS Data is
``File`` with ``filesize`` and one ``blocksizes`` entry per child; its links carry an
empty name and the child's cumulative size.

Leaves: with ``raw_leaves`` the chunk itself (codec raw); otherwise a dag-pb node whose
Data is UnixFS ``{Type: File, Data: chunk, filesize: len(chunk)}``.

Hot path: whole chunks are read with ``readinto`` into preallocated buffers (or, for a
file the caller vouches for, mapped a window at a time), never copied unless a block sink
wants the bytes; for a dag-pb leaf the protobuf header, the chunk and
the trailer are fed to the hash separately.  With :func:`hash_threads` above 0, that many
threads hash batches of chunks (``hashlib`` releases the GIL) while the calling thread reads
the next ones; with 0 the calling thread hashes them itself.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import stat
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

from ..errors import UnixFSError
from ..ipld.cid import cid_bytes
from ..ipld.dagpb import DataType, encode_pblink, encode_pbnode, encode_unixfs
from ..ipld.multicodec import DAG_PB, RAW
from ..ipld.varint import varint, varint_len
from ..util.threads import block_signals
from ._node import Node
from .profiles import Profile

__all__ = ["Emit", "Observe", "build_file"]

Emit = Callable[[bytes, bytes], None]  # (binary CID, block)
Observe = Callable[[memoryview], None]  # the file's bytes, in order, a piece at a time

HASH_THREADS_VARIABLE = "IPWHL_HASH_THREADS"
_MAX_THREADS = 32  # a bound on memory: each thread keeps a 2 MiB batch buffer


def default_hash_threads(cpus: int) -> int:
    """The hashing threads for a machine with *cpus* CPUs: 2, or 0 on a single CPU.

    Measured with benchmarks/cid.py on a 2-CPU machine shared with other jobs (512 MiB,
    three runs): two threads hash up to 1.75x as fast as the calling thread alone when a
    CPU is free, and about as fast (0.94x-1.03x) when none is, for 3-10% more CPU time
    (cache lines cross cores, threads wake up); one thread is never faster than two and
    costs as much CPU time.  More threads are unmeasured: IPWHL_HASH_THREADS sets them.
    """
    return 2 if cpus >= 2 else 0


def _cpus() -> int:
    """The CPUs this process may run on (its affinity mask, else every CPU)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - no affinity mask on this system


def hash_threads() -> int:
    """Threads that hash a file's chunks beside the calling thread (0: none).

    ``IPWHL_HASH_THREADS`` when set (a whole number from 0 to 32; anything else is a
    :class:`~ipwhl_checks.errors.UnixFSError`), else :func:`default_hash_threads` of the
    CPU count.  A fixed choice for a machine, never its current load: the same command does
    the same work on a busy machine as on an idle one.
    """
    value = os.environ.get(HASH_THREADS_VARIABLE, "").strip()
    if not value:
        return default_hash_threads(_cpus())
    if not (value.isascii() and value.isdigit()) or int(value) > _MAX_THREADS:
        raise UnixFSError(f"{HASH_THREADS_VARIABLE}={value!r}: expected a whole number of "
                          f"hashing threads from 0 to {_MAX_THREADS}")
    return int(value)


_BATCH = 2 * 1024 * 1024  # with threads: bytes read and hashed per task (whole chunks)
_INLINE_BATCH = 1024 * 1024  # without threads: one buffer of whole chunks
_pools: dict[int, ThreadPoolExecutor] = {}  # by thread count
_pool_lock = threading.Lock()


def _executor(threads: int) -> ThreadPoolExecutor:
    with _pool_lock:
        pool = _pools.get(threads)
        if pool is None:
            pool = _pools[threads] = ThreadPoolExecutor(max_workers=threads,
                                                        thread_name_prefix="ipwhl-hash",
                                                        initializer=block_signals)
        return pool


# The empty file's single leaf: UnixFS {Type: File, filesize: 0}, no Data field.
_EMPTY_PB_LEAF = encode_pbnode((), encode_unixfs(DataType.FILE, filesize=0))


def _hash_leaf(view: memoryview, raw: bool, want_block: bool) -> tuple[bytes, int, bytes | None]:
    """(sha2-256 digest, block length, block if wanted) of the leaf holding *view*."""
    n = len(view)
    if raw:
        return hashlib.sha256(view).digest(), n, bytes(view) if want_block else None
    # PBNode{Data(1): UnixFS{Type(1)=File, Data(2)=chunk, filesize(3)=n}}
    inner_len = 2 + 1 + varint_len(n) + n + 1 + varint_len(n)
    head = b"\x0a" + varint(inner_len) + b"\x08\x02\x12" + varint(n)
    tail = b"\x18" + varint(n)
    h = hashlib.sha256(head)
    h.update(view)
    h.update(tail)
    block = head + bytes(view) + tail if want_block else None
    return h.digest(), len(head) + n + len(tail), block


Leaf = tuple[bytes, int, bytes | None]  # (digest, block length, block if wanted)


def _hash_batch(views: list[memoryview], raw: bool, want_block: bool) -> list[Leaf]:
    return [_hash_leaf(view, raw, want_block) for view in views]


class _Child:
    __slots__ = ("cid", "filesize", "tsize")

    def __init__(self, cid: bytes, tsize: int, filesize: int) -> None:
        self.cid, self.tsize, self.filesize = cid, tsize, filesize


class _Batch:
    """Consecutive chunks read in one go into one buffer and hashed by one task."""

    __slots__ = ("children", "future", "results", "slot")

    def __init__(self, slot: int) -> None:
        self.slot = slot
        self.future: Future[list[Leaf]] | None = None
        self.results: list[Leaf] | None = None
        self.children: list[tuple[int, _Child]] = []  # leaves made before hashing ended


class _Builder:
    def __init__(self, stream: BinaryIO, profile: Profile, emit: Emit | None,
                 observe: Observe | None = None, mapped: bool = False) -> None:
        self.stream = stream
        self.profile = profile
        self.emit = emit
        self.observe = observe
        self.version = profile.cid_version
        self.leaf_codec = RAW if profile.raw_leaves else DAG_PB
        self.threads = hash_threads()
        # Read (and hash) about _BATCH bytes at a time: fewer, larger tasks.
        batch = _BATCH if self.threads else _INLINE_BATCH
        self.per_batch = max(1, batch // profile.chunk_size)
        # Batch buffers: one being read or consumed, one waiting and one per thread hashing.
        self.ring = self.threads + 2 if self.threads else 1
        self.bufs: list[bytearray] = []
        self.next_slot = 0
        self.in_flight: deque[_Batch] = deque()
        self.queue: deque[tuple[_Batch, int, int]] = deque()  # (batch, index, length)
        self.eof = False
        # mapped: (file descriptor, size, offset of the next window), else None
        self.window: list[int] | None = _mappable(stream, self.per_batch * profile.chunk_size) \
            if mapped else None

    # -- chunker ---------------------------------------------------------------------------

    def _readinto(self, buf: memoryview) -> int:
        readinto = getattr(self.stream, "readinto", None)
        got, size = 0, len(buf)
        while got < size:
            if readinto is not None:
                n = readinto(buf[got:])
            else:
                data = self.stream.read(size - got)
                n = len(data)
                buf[got : got + n] = data
            if not n:
                self.eof = True
                break
            got += n
        return got

    def _read_batch(self) -> None:
        slot = self.next_slot
        self.next_slot = (slot + 1) % self.ring
        # in_flight holds the newest unresolved batches, oldest first; once at most
        # ring - 1 remain, the one that read into this buffer `ring` reads ago is done.
        while len(self.in_flight) >= self.ring:
            self._resolve(self.in_flight.popleft())
        buf = self._map_window() if self.window is not None else None
        if buf is not None:
            got = len(buf)
        elif self.eof:
            return
        else:
            while len(self.bufs) <= slot:
                self.bufs.append(bytearray(self.per_batch * self.profile.chunk_size))
            buf = memoryview(self.bufs[slot])
            got = self._readinto(buf)
            if not got:
                return
        if self.observe is not None:
            self.observe(buf[:got])
        size = self.profile.chunk_size
        views = [buf[i : min(i + size, got)] for i in range(0, got, size)]
        batch = _Batch(slot)
        want = self.emit is not None
        small = self.eof and len(views) == 1 and not self.in_flight  # no thread hop
        if small or not self.threads:
            batch.results = _hash_batch(views, self.profile.raw_leaves, want)
        else:
            batch.future = _executor(self.threads).submit(_hash_batch, views,
                                                          self.profile.raw_leaves, want)
            self.in_flight.append(batch)
        self.queue.extend((batch, i, len(v)) for i, v in enumerate(views))

    def _map_window(self) -> memoryview | None:
        """The next window of a mapped file (unmapped once its views are gone, when its
        batch is resolved); None at its end (eof set) or when it cannot be mapped (then
        the rest is read from the stream, positioned where the windows stopped)."""
        assert self.window is not None
        fd, size, offset = self.window
        length = min(self.per_batch * self.profile.chunk_size, size - offset)
        if length <= 0:
            self.eof = True
            return None
        try:
            window = mmap.mmap(fd, length, offset=offset, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # a file system that cannot map files: read them
            self.window = None
            self.stream.seek(offset)
            return None
        self.window[2] = offset + length
        self.eof = offset + length >= size
        return memoryview(window)

    def done(self) -> bool:
        if not self.queue and not self.eof:
            self._read_batch()
        return not self.queue

    def _finish(self, child: _Child, leaf: Leaf) -> None:
        digest, tsize, block = leaf
        child.cid = cid_bytes(self.version, self.leaf_codec, digest)
        child.tsize = tsize
        if self.emit is not None and block is not None:
            self.emit(child.cid, block)

    def _resolve(self, batch: _Batch) -> None:
        if batch.results is None:
            assert batch.future is not None
            batch.results = batch.future.result()
            batch.future = None
        for index, child in batch.children:
            self._finish(child, batch.results[index])
        batch.children.clear()

    def _drain(self) -> None:
        while self.in_flight:
            self._resolve(self.in_flight.popleft())

    def leaf(self) -> _Child:
        """The leaf of the next chunk (``done()`` must have been False)."""
        batch, index, n = self.queue.popleft()
        child = _Child(b"", 0, n)
        if batch.results is not None:
            self._finish(child, batch.results[index])
        else:
            batch.children.append((index, child))
        return child

    # -- balanced layout --------------------------------------------------------------------

    def internal(self, children: list[_Child]) -> _Child:
        self._drain()
        filesize = sum(c.filesize for c in children)
        data = encode_unixfs(DataType.FILE, filesize=filesize,
                             blocksizes=[c.filesize for c in children])
        block = encode_pbnode((encode_pblink(c.cid, b"", c.tsize) for c in children), data)
        cid = cid_bytes(self.version, DAG_PB, hashlib.sha256(block).digest())
        if self.emit is not None:
            self.emit(cid, block)
        return _Child(cid, len(block) + sum(c.tsize for c in children), filesize)

    def fill(self, children: list[_Child], depth: int) -> _Child:
        while len(children) < self.profile.max_links and not self.done():
            children.append(self.leaf() if depth == 1 else self.fill([], depth - 1))
        return self.internal(children)

    def build(self) -> Node:
        if self.done():  # the empty file: one empty leaf
            block = b"" if self.profile.raw_leaves else _EMPTY_PB_LEAF
            cid = cid_bytes(self.version, self.leaf_codec, hashlib.sha256(block).digest())
            if self.emit is not None:
                self.emit(cid, block)
            return Node(cid, len(block), "file")
        root = self.leaf()
        depth = 1
        while not self.done():
            root = self.fill([root], depth)
            depth += 1
        self._drain()
        return Node(root.cid, root.tsize, "file")


def _mappable(stream: BinaryIO, window: int) -> list[int] | None:
    """[file descriptor, size, 0] when *stream* is a non-empty regular file read from its
    start whose windows of *window* bytes can be mapped; else None (read it instead)."""
    try:
        fd = stream.fileno()
        info = os.fstat(fd)
        at = stream.tell()
    except (AttributeError, OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size == 0 or at != 0 \
            or window % mmap.ALLOCATIONGRANULARITY:
        return None
    return [fd, info.st_size, 0]


def build_file(stream: BinaryIO, profile: Profile, emit: Emit | None = None, *,
               observe: Observe | None = None, mapped: bool = False) -> Node:
    """The UnixFS DAG of everything *stream* yields; each block goes to *emit* if given.

    *observe* is given the file's bytes in order, a piece at a time (a view valid only
    during the call), for a whole-file hash or a copy made in the same pass.

    *mapped*: *stream* is a regular file that nobody truncates while it is read (a
    content-addressed cache file, replaced only by rename): its windows are mapped
    (``mmap``) and hashed in place rather than copied into buffers, which saves the
    kernel's copy (about 0.5 s of system time per GB).  The file is read from the size it
    has now; its position does not move.  (A file truncated while mapped would stop the
    process with SIGBUS: hence only on request.)  Other streams are read as usual, and so
    is the rest of a file whose file system refuses to map it.
    """
    return _Builder(stream, profile, emit, observe, mapped).build()

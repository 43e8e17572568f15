"""A download loop on a few threads that a signal stops within a second.

Imports no HTTP client: the commands read :data:`DEFAULT_JOBS` from here.

``concurrent.futures`` waits for its running calls as the caller unwinds (its threads
are joined, also at exit), so a Ctrl-C or SIGTERM arriving while a worker waits on a slow
server waits for that server; a second signal then kills the process and leaves the
half-written downloads behind.  Here the workers are daemon threads: on a signal the
client is cancelled (every socket shut down, :meth:`~ipwhl_checks.sources.http.Client.cancel`),
the workers are given a second to unwind (their ``finally`` blocks remove their staged
files), the files still staged are removed (:func:`~ipwhl_checks.sources.cache.remove_staged`)
and the signal's exception goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from ..util import threads
from ..util.progress import Progress
from . import cache

__all__ = ["DEFAULT_JOBS", "WAKE", "run_all"]

# Downloads at once unless --jobs says otherwise: enough streams to fill a CI runner's
# link from an index whose every stream is capped, few enough to keep memory small (a
# download holds about 1-8 MB of buffers).
DEFAULT_JOBS = 8

T = TypeVar("T")
R = TypeVar("R")
_GRACE = 1.0  # seconds the workers get to unwind after a signal
# The waiting thread wakes this often: a signal the kernel hands to another thread (any
# thread that does not block it may take it) only sets a flag, and the main thread runs
# Python's handler once it is back in the interpreter, not while it sleeps in a lock.
WAKE = 0.2


def run_all(fn: Callable[[T], R], items: Sequence[T], *, jobs: int,
            cancel: Callable[[], None], progress: Progress | None = None,
            name: Callable[[T], str] = str) -> list[R]:
    """``[fn(item) for item in items]`` on up to *jobs* threads (see
    :meth:`~ipwhl_checks.sources.http.Client.map`)."""
    if not items:
        return []
    if progress is not None:
        progress.add_total(len(items))
    results: dict[int, R] = {}
    errors: dict[int, BaseException] = {}
    cond = threading.Condition()
    state = {"next": 0, "running": 0}
    stop = threading.Event()  # no new call: an error, or a signal

    def work() -> None:
        while True:
            with cond:
                index = state["next"]
                if stop.is_set() or index >= len(items):
                    state["running"] -= 1
                    cond.notify_all()
                    return
                state["next"] = index + 1
            item = items[index]
            label = name(item)
            if progress is not None:
                progress.started(label)
            try:
                result = fn(item)
            except BaseException as e:  # (handed to the caller's thread)
                with cond:
                    errors[index] = e
                stop.set()
            else:
                with cond:
                    results[index] = result
                if progress is not None:
                    progress.finished(label)

    try:  # (a signal may come while the threads start: the first ones already download)
        for i in range(max(1, min(jobs, len(items)))):
            with cond:
                state["running"] += 1  # (a thread interrupted as it starts runs all the same)
            threads.start(threading.Thread(target=work, name=f"ipwhl-download-{i}",
                                           daemon=True))
        with cond:
            while state["running"]:
                cond.wait(WAKE)
    except BaseException:  # a signal: stop everything, now
        stop.set()
        cancel()
        deadline = time.monotonic() + _GRACE
        try:
            with cond:
                while state["running"] and time.monotonic() < deadline:
                    cond.wait(max(0.0, deadline - time.monotonic()))
        finally:
            cache.remove_staged()  # those of workers still stuck (connecting, say)
        raise
    if errors:
        raise errors[min(errors)]
    return [results[i] for i in range(len(items))]

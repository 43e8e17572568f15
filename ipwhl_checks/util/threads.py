"""Threads that leave the process's signals to the main thread.

Python runs a signal's handler in the main thread only, but the kernel hands a process's
signal to any of its threads that does not block it.  A helper thread that takes SIGINT or
SIGTERM only sets a flag, and the main thread runs the handler once it is back in the
interpreter: not while it sleeps in a socket read (until the read timeout) or in a lock
(until what it waits for ends).  So every thread the tool starts blocks the signals a
command stops on, and the kernel gives them to the main thread; the main thread's waits
also wake every few tenths of a second (:data:`ipwhl_checks.sources.pool.WAKE`), for
threads started by others.
"""

from __future__ import annotations

import signal
import threading

__all__ = ["block_signals", "start"]

_SIGNALS = frozenset(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


def block_signals() -> None:
    """Block the stopping signals in the calling thread (an executor's initializer)."""
    if hasattr(signal, "pthread_sigmask"):  # (POSIX)
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)


def start(thread: threading.Thread) -> threading.Thread:
    """Start *thread* with the stopping signals blocked from its first instruction on (a
    new thread inherits its creator's mask, which is restored at once)."""
    if not hasattr(signal, "pthread_sigmask"):
        thread.start()
        return thread
    saved = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, saved)
    return thread

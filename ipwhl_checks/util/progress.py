"""What a command shows while it works on the network: one progress line, then a summary.

On a terminal (standard error is a tty) a command that downloads shows one line, redrawn
in place at most ten times a second by whichever thread has news, under one lock (threads
never interleave)::

    ipwhl publish: downloading 312/1150 wheels, 1.02 GB, 41.3 MB/s, ETA 0:58, numpy-2.4...

It always names the command, the work, done/total, the bytes, the rate, the time left and
the item started last, cut to the terminal's width.  When the work ends the line is
cleared and one summary line is printed (also when standard error is not a terminal, then
alone): ``ipwhl publish: downloaded 1150 wheels (3.44 GB) in 2:31, 22.8 MB/s``.  Nothing
is printed for work that moved no bytes.  ``-q`` prints neither; ``-v`` adds one line per
item done.

The verbosity and the command's name are process-wide, set once by the entry point
(:func:`configure`); library callers get the defaults (``ipwhl``, normal).  Our own code
rather than rich or tqdm: it is one line, costs nothing to import (the per-file hooks
never load it), and keeps the line free of another library's layout.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

__all__ = ["NORMAL", "QUIET", "VERBOSE", "Progress", "configure", "human_bytes",
           "human_time"]

QUIET, NORMAL, VERBOSE = 0, 1, 2


class _Settings:
    command = "ipwhl"
    verbosity = NORMAL


_REDRAW = 0.1  # seconds between two redraws of the line


def configure(command: str | None = None, verbosity: int | None = None) -> None:
    """Set the command's name (``ipwhl publish``) and the verbosity, once per process."""
    if command is not None:
        _Settings.command = command
    if verbosity is not None:
        _Settings.verbosity = verbosity


def human_bytes(n: float) -> str:
    """``512 B``, ``12.3 kB``, ``200 kB``, ``1.02 GB`` (SI units, as pip shows them)."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            digits = 0 if unit == "B" or n >= 100 else 1 if n >= 10 else 2
            return f"{n:.{digits}f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def human_time(seconds: float) -> str:
    """``0:07``, ``2:31``, ``1:02:03``."""
    s = max(0, round(seconds))
    h, m, s = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02}:{s:02}" if h else f"{m}:{s:02}"


class Progress:
    """The progress of one piece of work: *verb* (``downloading``) *total* *unit*
    (``wheels``); *done_verb* (``downloaded``) words the summary.

    Thread-safe; use as a context manager (or call :meth:`close`) so the line is cleared
    and the summary printed.  *stream* and *tty* are for tests.
    """

    def __init__(self, verb: str, unit: str, total: int = 0, *, done_verb: str | None = None,
                 stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.verb, self.unit, self.total = verb, unit, total
        self.done_verb = done_verb or verb
        self.stream = stream if stream is not None else sys.stderr
        self.verbosity = _Settings.verbosity
        self.command = _Settings.command
        if tty is None:
            try:
                tty = self.stream.isatty()
            except (AttributeError, ValueError):
                tty = False
        self.live = bool(tty) and self.verbosity > QUIET and os.environ.get("TERM") != "dumb"
        self.done = 0
        self.bytes = 0
        self.current = ""
        self.start = time.monotonic()
        self._lock = threading.Lock()
        self._drawn = 0.0  # when the line was last drawn (0: not on screen)
        self._closed = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(summary=kind is None)

    # -- news, from any thread -------------------------------------------------------------
    def add_total(self, n: int) -> None:
        with self._lock:
            self.total += n

    def started(self, name: str) -> None:
        with self._lock:
            self.current = name
            self._draw_if_due()

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes += n
            self._draw_if_due()

    def finished(self, name: str, note: str = "") -> None:
        """One item done (*note*: what -v says of it, such as its size)."""
        with self._lock:
            self.done += 1
            if self.verbosity >= VERBOSE:
                self._print(f"{self.command}: {name}{': ' + note if note else ''}")
            self._draw_if_due()

    def message(self, text: str) -> None:
        """A line of its own (a warning), printed above the progress line."""
        with self._lock:
            self._print(text)

    # -- drawing (under the lock) --------------------------------------------------------
    def _print(self, text: str) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        self.stream.flush()
        if self._drawn:
            self._draw(time.monotonic())

    def _draw_if_due(self) -> None:
        if self.live and not self._closed:
            now = time.monotonic()
            if now - self._drawn >= _REDRAW:
                self._draw(now)

    def line(self, now: float | None = None) -> str:
        """The progress line as it would be drawn now (without the terminal's codes)."""
        now = time.monotonic() if now is None else now
        elapsed = max(now - self.start, 1e-9)
        parts = [f"{self.command}: {self.verb} {self.done}/{self.total} {self.unit}"]
        if self.bytes:
            parts.append(human_bytes(self.bytes))
            if elapsed >= 0.5:
                parts.append(f"{human_bytes(self.bytes / elapsed)}/s")
        if 0 < self.done < self.total:
            parts.append(f"ETA {human_time(elapsed / self.done * (self.total - self.done))}")
        elif self.done < self.total:
            parts.append("ETA -:--")
        if self.current:
            parts.append(self.current)
        return ", ".join(parts)

    def _columns(self) -> int:
        """The terminal's width: $COLUMNS, else the terminal's own (no shutil to import)."""
        try:
            return int(os.environ.get("COLUMNS", "")) or 80
        except ValueError:
            pass
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or 80
        except (AttributeError, OSError, ValueError):
            return 80

    def _draw(self, now: float) -> None:
        width = self._columns() - 1
        text = self.line(now)
        if len(text) > width > 3:
            text = text[:width - 3] + "..."
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self._drawn = now

    def _unit(self) -> str:
        """*unit*, singular for one item done (``1 wheel``)."""
        return self.unit[:-1] if self.done == 1 and self.unit.endswith("s") else self.unit

    def summary(self) -> str:
        seconds = time.monotonic() - self.start
        rate = f", {human_bytes(self.bytes / seconds)}/s" if seconds >= 0.5 else ""
        moved = human_bytes(self.bytes) + ("" if self.done_verb == "downloaded"
                                           else " downloaded")
        return (f"{self.command}: {self.done_verb} {self.done} {self._unit()} ({moved}) "
                f"in {human_time(seconds)}{rate}")

    def close(self, summary: bool = True) -> None:
        """Clear the line; print the summary (if *summary* and bytes moved, unless -q)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._drawn:
                self.stream.write("\r\x1b[K")
                self._drawn = 0.0
            if summary and self.bytes and self.verbosity > QUIET:
                self.stream.write(self.summary() + "\n")
            self.stream.flush()

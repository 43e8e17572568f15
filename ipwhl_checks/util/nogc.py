"""The cyclic garbage collector: paused once per command, at its entry point.

Why: a loaded tree holds hundreds of thousands of objects, and each collection the many
small allocations of loading, checking or publishing trigger walks all of them; that costs
more than the work itself (the collector took a third of the time of a full check on
30,000 declarations).  What the loader, the checks and the publish allocate holds no
reference cycles, and reference counting still frees everything, so nothing is lost.

Policy: the collector is a process-wide knob, so only entry points touch it, never the
library.  :func:`ipwhl_checks.cli.main` runs each command inside :func:`paused_gc`, and so
do the pre-commit hooks' mains (:mod:`ipwhl_checks.commands.hooks`).  A command that may
run for hours sets ``KEEP_GC = True`` in its module and runs with the collector on:
``ipwhl serve``, a server, whose requests would otherwise leave their cyclic garbage
(exceptions and their tracebacks, closed connections) behind for good.  Code that calls the
library directly (tests, ``benchmarks/``) runs with the collector on unless it pauses it
itself.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block (re-enabled after, if it was on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

"""The wheels a publish lacks, downloaded in the background while it builds the tree.

A cold publish is network-bound: the wheels missing from the cache are downloaded
``--jobs`` at a time (:meth:`~ipwhl_checks.sources.fetch.Client.map`, one client, each
wheel verified against its CID as it streams in), in the order the tree is built, on a
thread of their own; the builder takes each wheel from the cache as soon as it is there
(:meth:`Prefetch.wait`), so the DAG, the CAR and the ``--out`` copy are made while the
later wheels still download.  A failed download is the builder's error when it comes to
that wheel.  :meth:`Prefetch.close` (on the way out, a signal included) cancels what still
runs within about a second and removes the half-written downloads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..repo.declaration import Declaration
from ..sources import cache
from ..sources.pool import WAKE
from ..util import threads
from ..util.progress import Progress

if TYPE_CHECKING:
    from ..sources.fetch import Client

__all__ = ["Prefetch"]

_JOIN = 2.0  # seconds to wait for the downloads to stop once cancelled


def _key(decl: Declaration) -> tuple[str, str]:
    return decl.content_id, decl.filename


class Prefetch:
    """Download *decls* with *fetch* (which raises for a failed one) through *client*."""

    def __init__(self, client: Client, decls: Sequence[Declaration],
                 fetch: Callable[[Declaration], object]) -> None:
        self.client, self.fetch = client, fetch
        self.decls = list(decls)
        self._done = {_key(d): threading.Event() for d in self.decls}
        self._errors: dict[tuple[str, str], BaseException] = {}
        self._progress = Progress("downloading", "wheels", done_verb="downloaded")
        self._thread = threading.Thread(target=self._run, name="ipwhl-prefetch", daemon=True)
        self._cancelled = False

    def start(self) -> Prefetch:
        self.client.progress = self._progress
        threads.start(self._thread)
        return self

    def _one(self, decl: Declaration) -> None:
        try:
            self.fetch(decl)
        except BaseException as e:
            self._errors[_key(decl)] = e
            raise
        finally:
            self._done[_key(decl)].set()

    def _run(self) -> None:
        failed = False
        try:
            self.client.map(self._one, self.decls, name=lambda d: d.filename)
        except BaseException:  # each error is the builder's, at its wheel
            failed = True
        finally:
            for event in self._done.values():  # (those never started: an error stopped them)
                event.set()
            self._progress.close(summary=not failed and not self._cancelled)
            self.client.progress = None

    def wait(self, decl: Declaration) -> None:
        """Return once *decl*'s wheel is in the cache (or was never to be downloaded here);
        raise its download's error if it failed."""
        event = self._done.get(_key(decl))
        if event is None:
            return
        while not event.wait(WAKE):  # (a signal is handled within WAKE seconds)
            pass
        if (error := self._errors.get(_key(decl))) is not None:
            raise error

    def close(self, kind: type[BaseException] | None = None, *exc: object) -> None:
        """On the way out of the publish (an ``__exit__``): wait for the downloads to
        end, or, when it fails (*kind*: an error, a signal), stop those still running."""
        if not self._thread.is_alive():
            return
        if kind is None:
            while self._thread.is_alive():  # (all done: the builder waited for every wheel)
                self._thread.join(WAKE)
        else:
            self._cancelled = True
            self.client.cancel()
            self._thread.join(_JOIN)
            cache.remove_staged()

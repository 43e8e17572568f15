"""The interpreter integrated for: its tags and markers, asked of it (``--python PY``).

Which wheels apply is the interpreter's business (PEP 425 tags in its order of
preference, PEP 508 markers), so it is asked: ``packaging.tags.sys_tags()`` and
``packaging.markers.default_environment()`` run in that interpreter, with this process's
``packaging`` (pure Python) on its path and nothing else; no package code runs.  The
environment's name is ``<interpreter tag>-<its most specific platform tag>``, e.g.
``cp311-manylinux_2_36_x86_64``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import packaging
from packaging.tags import Tag, parse_tag

from ..errors import UsageError

__all__ = ["Interpreter", "probe"]

_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from packaging.markers import default_environment
from packaging.tags import sys_tags
print(json.dumps({"tags": [str(t) for t in sys_tags()],
                  "markers": {k: v for k, v in default_environment().items()
                              if isinstance(v, str)},
                  "executable": sys.executable}))
"""
_TIMEOUT = 60.0


@dataclass(frozen=True)
class Interpreter:
    """A Python interpreter as a resolver target (:class:`~ipwhl_checks.install.resolve.Target`)."""

    executable: str
    tags: tuple[Tag, ...]  # most preferred first
    markers: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``<interpreter>-<platform>`` of the most preferred tag whose platform is a
        standard one (``manylinux_2_36_x86_64`` rather than the local ``linux_x86_64``)."""
        first = next((t for t in self.tags if not t.platform.startswith("linux_")),
                     self.tags[0])
        return f"{first.interpreter}-{first.platform}"

    @property
    def python(self) -> str:
        return self.markers.get("python_full_version", "")

    @cached_property
    def _rank(self) -> dict[Tag, int]:
        return {tag: i for i, tag in enumerate(self.tags)}

    def rank(self, tags: frozenset[Tag]) -> int | None:
        ranks = [self._rank[t] for t in tags if t in self._rank]
        return min(ranks) if ranks else None


def probe(python: str) -> Interpreter:
    """Ask the interpreter *python* (a path or a command on PATH) for its tags and markers."""
    found = shutil.which(python) if os.sep not in python else python
    if found is None or not Path(found).is_file():
        raise UsageError(f"--python: no interpreter {python!r}")
    here = str(Path(packaging.__file__).resolve().parent.parent)
    try:
        done = subprocess.run([found, "-I", "-S", "-c", _PROBE, here], capture_output=True,
                              text=True, timeout=_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise UsageError(f"--python: cannot run {found!r} ({e})") from None
    try:
        answer = json.loads(done.stdout)
        tags = tuple(t for text in answer["tags"] for t in sorted(parse_tag(text), key=str))
        markers = {str(k): str(v) for k, v in answer["markers"].items()}
        executable = str(answer["executable"]) or found
    except (ValueError, KeyError, TypeError):
        lines = done.stderr.strip().splitlines() or ["no answer"]
        raise UsageError(f"--python: {found!r} is not a Python interpreter this can use "
                         f"({lines[-1]})") from None
    if not tags:
        raise UsageError(f"--python: {found!r} installs no wheel tag")
    return Interpreter(executable, tags, markers)

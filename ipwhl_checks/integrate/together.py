"""``ipwhl integrate --together``: every project that has a wheel, in one environment.

The install set of all of them together (:func:`ipwhl_checks.install.lock.lock`), installed
as one (:mod:`.environments`), then ``pip check`` there (pip's own when pip is in the set,
else uv's), and the installed distributions' RECORD files compared: two listing one path
wrote the same file, the second over the first.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import IpwhlError, ResolutionError
from ..install.lock import lock
from .environments import (
    Options,
    Workspace,
    first_error,
    installable,
    last_line,
    python_of,
    requirement,
)
from .published import Published
from .sandbox import Completed, Sandbox
from .target import Interpreter

__all__ = ["Together", "installed_clashes", "run_together"]


@dataclass(frozen=True)
class Together:
    outcome: str  # passed, install-failed, failed
    detail: str = ""
    projects: int = 0
    seconds: float = 0.0



def run_together(published: Published, target: Interpreter, names: Sequence[str],
                 options: Options, sandbox: Sandbox, workdir: Path) -> Together:
    """Every project of *names* that has a wheel here, installed into one environment."""
    start = time.monotonic()
    wanted = []
    for name in names:
        entry = published.manifest.project(name)
        assert entry is not None
        wheel = installable(entry, target)
        if wheel is not None:
            wanted.append(requirement(name, wheel))
    if not wanted:
        return Together("passed", "no project has a wheel for this environment")
    runner = Workspace(published, target, replace(options, jobs=1), sandbox, workdir)
    try:
        locked = lock(published.manifest, "", target, wanted)
    except ResolutionError as e:
        return Together("install-failed", str(e), len(wanted))
    deadline = start + max(options.timeout, 600.0)
    with runner.slot("together") as (env, home):
        def done(outcome: str, detail: str = "") -> Together:
            return Together(outcome, detail, len(wanted), round(time.monotonic() - start, 3))
        try:
            result = runner.create(env, home, deadline)
            if not result.returncode:
                result = runner.install(env, home, locked, deadline)
        except IpwhlError as e:
            return done("install-failed", str(e))
        if result.returncode or result.timed_out:
            return done("install-failed", first_error(result) if not result.timed_out
                        else "installing took too long")
        problems = installed_clashes(env)
        if any(item.project == "pip" for item in locked):
            check = runner.python(env, home, ["-m", "pip", "check"], deadline)
        elif runner.uv:
            check = runner.sandbox.run([runner.uv, "pip", "check", "--no-config", "--python",
                                        str(python_of(env))], cwd=home,
                                       env=runner.env_vars(home, env), deadline=deadline)
        else:
            check = Completed(0, "", "", 0.0)
        if check.returncode or check.timed_out:
            problems.append("pip check: " + (last_line(check.stdout) or first_error(check)))
        return done("failed" if problems else "passed", "; ".join(problems))


def installed_clashes(env: Path) -> list[str]:
    """The files two installed distributions' RECORDs both list (one was overwritten)."""
    writers: dict[str, list[str]] = defaultdict(list)
    records = {p.resolve() for pattern in ("lib*/python*/site-packages/*.dist-info/RECORD",
                                           "Lib/site-packages/*.dist-info/RECORD")
               for p in env.glob(pattern)}  # (lib64 is a link to lib)
    for record in sorted(records):
        dist = record.parent.name.removesuffix(".dist-info")
        try:
            rows = csv.reader(io.StringIO(record.read_text("utf-8")))
            for row in rows:
                if row and row[0] and ".dist-info/" not in row[0] and "__pycache__" not in row[0]:
                    writers[os.path.normpath(row[0])].append(dist)
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
    return [f"{path!r} is written by {' and '.join(dists)}"
            for path, dists in sorted(writers.items()) if len(dists) > 1]

"""The environments of a run: made, filled and used in the sandbox, at one path per worker.

A worker takes a slot; the slot's environment is made (``uv venv``, or ``python -m venv``),
filled from a requirements file that names each wheel's local file and sha256 (``uv pip
install --no-deps --require-hashes --offline``, linking from a uv cache of its own in the
wheel cache's directory, :func:`ipwhl_checks.sources.cache.integrate_uv_cache`, or ``pip
install --no-index --no-deps --require-hashes``), then used (``python -I``), and removed
before the slot's next job.  Each worker builds its environments at one path in turn, so
the bytecode Python compiles for one project (``-X pycache_prefix``, shared by the run) is
valid for the next: a file at a given path is always the same file of the same wheel
within a run (the repository gives one version of each project per environment).
matplotlib's font cache (``MPLCONFIGDIR``) is shared by the run's projects the same way.
"""

from __future__ import annotations

import os
import queue
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from ..install.lock import Locked
from ..publish.manifest import ProjectEntry, WheelEntry
from ..sources import cache
from ..sources.pool import DEFAULT_JOBS
from .published import Published
from .sandbox import Completed, Sandbox
from .target import Interpreter

__all__ = ["Options", "Workspace", "bin_dir", "first_error", "installable", "last_line",
           "python_of", "requirement"]


@dataclass(frozen=True)
class Options:
    """How to integrate."""

    timeout: float = 300.0  # seconds for one project (install and imports)
    test_timeout: float = 900.0  # seconds for a test suite that declares none
    memory_mb: int = 4096
    jobs: int = 2  # projects at a time
    downloads: int = DEFAULT_JOBS  # wheels fetched at a time
    tests: bool = False
    keep: Path | None = None  # where to keep the environments (default: removed)


def installable(project: ProjectEntry, target: Interpreter) -> WheelEntry | None:
    """The project's wheel *target* installs (newest version, then preferred tags), if any."""
    python = Version(target.markers["python_full_version"])
    best: tuple[Version, int, WheelEntry] | None = None
    for wheel in project.wheels:
        _name, version, _build, tags = parse_wheel_filename(wheel.filename)
        rank = target.rank(frozenset(tags))
        rp = wheel.requires_python
        if rank is None or (rp and not SpecifierSet(rp).contains(python, prereleases=True)):
            continue
        key = (version, -rank, wheel)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else best[2]


def requirement(project: str, wheel: WheelEntry) -> Requirement:
    """``project[its declared extras]==version`` of *wheel*."""
    extras = f"[{','.join(sorted(wheel.extras))}]" if wheel.extras else ""
    return Requirement(f"{project}{extras}=={wheel.version}")


class Workspace:
    """The environments of one run: where they are built (one path per worker, in
    turn), the caches they share, and the steps that make and use them, in the sandbox."""

    def __init__(self, published: Published, target: Interpreter, options: Options,
                 sandbox: Sandbox, workdir: Path) -> None:
        self.published, self.target, self.options = published, target, options
        self.sandbox, self.workdir = sandbox, workdir
        self.uv = shutil.which("uv") or _beside_python("uv")
        self.pycache = workdir / "pycache"
        self.pycache.mkdir()
        self.mplconfig = workdir / "matplotlib"  # its font cache, built once a run
        self.uv_cache = str(cache.integrate_uv_cache())
        self.slots: queue.Queue[int] = queue.Queue()
        for slot in range(max(1, options.jobs)):
            self.slots.put(slot)

    @contextmanager
    def slot(self, name: str) -> Iterator[tuple[Path, Path]]:
        """(the environment's path, the job's own directory), both empty."""
        slot = self.slots.get()
        env = self.workdir / f"slot-{slot}" / "env"
        home = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.workdir))
        try:
            shutil.rmtree(env, ignore_errors=True)
            yield env, home
        finally:
            if self.options.keep is not None and env.exists():
                kept = self.options.keep / name
                shutil.rmtree(kept, ignore_errors=True)
                shutil.copytree(env, kept, symlinks=True)
            shutil.rmtree(env, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)
            self.slots.put(slot)

    def env_vars(self, home: Path, env: Path) -> dict[str, str]:
        extra = {"VIRTUAL_ENV": str(env), "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never",
                 "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                 "GIT_PYTHON_REFRESH": "quiet", "MPLCONFIGDIR": str(self.mplconfig),
                 "UV_CACHE_DIR": self.uv_cache}
        return self.sandbox.environment(home, [bin_dir(env)], extra)

    def create(self, env: Path, home: Path, deadline: float) -> Completed:
        environ = self.env_vars(home, env)
        if self.uv:
            return self.sandbox.run([self.uv, "venv", "--quiet", "--no-config", "--python",
                                     self.target.executable, str(env)],
                                    cwd=home, env=environ, deadline=deadline)
        return self.sandbox.run([self.target.executable, "-m", "venv", "--without-pip",
                                 str(env)], cwd=home, env=environ, deadline=deadline)

    def install(self, env: Path, home: Path, locked: Sequence[Locked],
                deadline: float) -> Completed:
        lines = []
        for item in locked:
            path = self.published.wheel_file(item.project, item.wheel)
            lines.append(f"{item.project} @ {path.resolve().as_uri()} "
                         f"--hash=sha256:{item.wheel.sha256}")
        requirements = home / "requirements.txt"
        requirements.write_text("\n".join(lines) + "\n")
        environ = self.env_vars(home, env)
        if self.uv:
            argv = [self.uv, "pip", "install", "--quiet", "--no-config", "--offline",
                    "--no-deps", "--require-hashes", "--link-mode", "hardlink",
                    "--python", str(python_of(env)), "-r", str(requirements)]
        else:
            argv = [sys.executable, "-m", "pip", "--isolated", "--python", str(python_of(env)),
                    "install", "--quiet", "--no-index", "--no-deps", "--require-hashes",
                    "--no-compile", "-r", str(requirements)]
        return self.sandbox.run(argv, cwd=home, env=environ, deadline=deadline)

    def python(self, env: Path, home: Path, args: Sequence[str], deadline: float) -> Completed:
        argv = [str(python_of(env)), "-I", "-X", f"pycache_prefix={self.pycache}", *args]
        return self.sandbox.run(argv, cwd=home, env=self.env_vars(home, env),
                                deadline=deadline)


def bin_dir(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def python_of(env: Path) -> Path:
    return bin_dir(env) / ("python.exe" if os.name == "nt" else "python")


def _beside_python(name: str) -> str | None:
    found = Path(sys.executable).parent / name
    return str(found) if found.is_file() else None


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def first_error(result: Completed) -> str:
    """The line that says what went wrong: a traceback's last line, else uv's or pip's
    ``error:`` line (with uv's last ``Caused by:``), else the last line of the output."""
    lines = [line.rstrip() for line in result.stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line and not line[0].isspace() and (
                "Error" in line.split(":", 1)[0] or line.split(":", 1)[0].endswith("Exception")):
            return line.strip()[:300]
    for line in lines:
        if line.strip().lower().startswith("error"):
            causes = [c.strip() for c in lines if c.strip().startswith("Caused by:")]
            return (line.strip()[:300] + (f" ({causes[-1][:300]})" if causes else ""))
    return (last_line(result.stderr) or last_line(result.stdout)
            or f"exit status {result.returncode}")

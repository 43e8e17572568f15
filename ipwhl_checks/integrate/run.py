"""Integrate: install each project of a published tree in a fresh environment and import it.

For one interpreter (:mod:`.target`) and each project: the install set the repository
gives for the project with its declared extras (:func:`ipwhl_checks.install.lock.lock`,
the logic of ``ipwhl lock``), installed into a new environment without client-side
resolution and hash-checked (``uv pip install --no-deps --require-hashes --offline``, or
pip's equivalent when uv is missing), then each of the project's top-level modules
(:mod:`.modules`) imported in a fresh interpreter.  Every step runs in the sandbox
(:mod:`.sandbox`) under the project's deadline, in the project's own temporary directory.

Speed: the wheels are made local once (:mod:`.published`, into the wheel cache), uv links
them from its own cache, and each worker builds its environments at one path in turn, so
the bytecode Python compiles for one project (``-X pycache_prefix``, shared by the run) is
valid for the next: a file at a given path is always the same file of the same wheel
within a run (the repository gives one version of each project per environment).
matplotlib's font cache (``MPLCONFIGDIR``) is shared by the run's projects the same way.

``--together`` installs every project that has a wheel into one environment, then runs
``pip check`` there and compares the installed RECORD files: two distributions listing one
path wrote the same file.  ``--tests`` runs the test suites the integration file declares
(:mod:`ipwhl_checks.repo.integration`) in each project's environment, with what they
require installed beside it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import queue
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from ..errors import IpwhlError, ResolutionError
from ..install.lock import Locked, lock
from ..publish.manifest import ProjectEntry, WheelEntry
from ..repo.integration import Integration, TestSuite
from ..sources.record import installed_paths
from .modules import top_level_modules
from .published import Published
from .sandbox import Completed, Sandbox
from .target import Interpreter

__all__ = ["Options", "Outcome", "TestOutcome", "Together", "integrate", "run_together"]

_IMPORT = "import importlib, sys; importlib.import_module(sys.argv[1])"


@dataclass(frozen=True)
class Options:
    """How to integrate."""

    timeout: float = 300.0  # seconds for one project (install and imports)
    test_timeout: float = 900.0  # seconds for a test suite that declares none
    memory_mb: int = 4096
    jobs: int = 2
    tests: bool = False
    isolate_network: bool = True
    keep: Path | None = None  # where to keep the environments (default: removed)


@dataclass(frozen=True)
class TestOutcome:
    outcome: str  # passed, tests-failed, timed-out
    detail: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Outcome:
    """What happened to one project (an outcome of
    :data:`ipwhl_checks.release.integration.OUTCOMES`)."""

    project: str
    outcome: str
    version: str | None = None
    detail: str = ""
    modules: tuple[str, ...] = ()
    seconds: float = 0.0
    tests: TestOutcome | None = None


@dataclass(frozen=True)
class Together:
    outcome: str  # passed, install-failed, failed
    detail: str = ""
    projects: int = 0
    seconds: float = 0.0


@dataclass
class _Plan:
    project: str
    wheel: WheelEntry | None = None  # the project's own wheel on the target
    locked: list[Locked] = field(default_factory=list)
    test_locked: list[Locked] = field(default_factory=list)
    suite: TestSuite | None = None
    error: str = ""  # the install set cannot be had


def _installable(project: ProjectEntry, target: Interpreter) -> WheelEntry | None:
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


def _requirement(project: str, wheel: WheelEntry) -> Requirement:
    extras = f"[{','.join(sorted(wheel.extras))}]" if wheel.extras else ""
    return Requirement(f"{project}{extras}=={wheel.version}")


def plan(published: Published, target: Interpreter, names: Sequence[str],
         integration: Integration, tests: bool) -> list[_Plan]:
    """What to install for each project of *names* (resolved as ``ipwhl lock`` does)."""
    plans = []
    for name in names:
        entry = published.manifest.project(name)
        assert entry is not None
        p = _Plan(name, _installable(entry, target))
        if p.wheel is not None:
            wanted = [_requirement(name, p.wheel)]
            try:
                p.locked = lock(published.manifest, "", target, wanted)
                suite = integration.tests.get(name) if tests else None
                if suite is not None:
                    p.suite = suite
                    p.test_locked = lock(published.manifest, "", target,
                                         [*wanted, *suite.requires])
            except ResolutionError as e:
                p.error = str(e)
        plans.append(p)
    return plans


class _Runner:
    """Runs the jobs of one integration: the environments, the shared caches, the slots."""

    def __init__(self, published: Published, target: Interpreter, options: Options,
                 sandbox: Sandbox, workdir: Path) -> None:
        self.published, self.target, self.options = published, target, options
        self.sandbox, self.workdir = sandbox, workdir
        self.uv = shutil.which("uv") or _beside_python("uv")
        self.pycache = workdir / "pycache"
        self.pycache.mkdir()
        self.mplconfig = workdir / "matplotlib"  # its font cache, built once a run
        self.uv_cache = _uv_cache_dir(self.uv) if self.uv else None
        self.slots: queue.Queue[int] = queue.Queue()
        for slot in range(max(1, options.jobs)):
            self.slots.put(slot)

    @property
    def installer(self) -> str:
        return "uv" if self.uv else "pip"

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
                 "GIT_PYTHON_REFRESH": "quiet", "MPLCONFIGDIR": str(self.mplconfig)}
        if self.uv_cache is not None:
            extra["UV_CACHE_DIR"] = self.uv_cache
        return self.sandbox.environment(home, [_bin(env)], extra)

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
                    "--python", str(_python(env)), "-r", str(requirements)]
        else:
            argv = [sys.executable, "-m", "pip", "--isolated", "--python", str(_python(env)),
                    "install", "--quiet", "--no-index", "--no-deps", "--require-hashes",
                    "--no-compile", "-r", str(requirements)]
        return self.sandbox.run(argv, cwd=home, env=environ, deadline=deadline)

    def python(self, env: Path, home: Path, args: Sequence[str], deadline: float) -> Completed:
        argv = [str(_python(env)), "-I", "-X", f"pycache_prefix={self.pycache}", *args]
        return self.sandbox.run(argv, cwd=home, env=self.env_vars(home, env),
                                deadline=deadline)

    def project(self, p: _Plan, integration: Integration) -> Outcome:
        outcome = self._project(p)
        reason = integration.known_failures.get(p.project)
        if reason is None or outcome.outcome == "skipped":
            return outcome
        if outcome.outcome == "passed":
            return replace(outcome, outcome="unexpected-pass",
                           detail=f"listed as a known failure ({reason}) but it passed")
        return replace(outcome, outcome="expected-failure",
                       detail=f"{reason} ({outcome.outcome}: {outcome.detail})")

    def _project(self, p: _Plan) -> Outcome:
        if p.wheel is None:
            return Outcome(p.project, "skipped", detail="no wheel for this environment")
        version = p.wheel.version
        if p.error:
            return Outcome(p.project, "install-failed", version, p.error)
        start = time.monotonic()
        deadline = start + self.options.timeout
        try:
            own = self.published.wheel_file(p.project, p.wheel)
            modules = tuple(top_level_modules(installed_paths(own, p.wheel.filename)))
        except IpwhlError as e:
            return Outcome(p.project, "install-failed", version, str(e))
        with self.slot(p.project) as (env, home):
            def done(outcome: str, detail: str = "", tests: TestOutcome | None = None
                     ) -> Outcome:
                return Outcome(p.project, outcome, version, detail, modules,
                               round(time.monotonic() - start, 3), tests)
            try:
                result = self.create(env, home, deadline)
                if not result.returncode:
                    result = self.install(env, home, p.locked, deadline)
            except IpwhlError as e:
                return done("install-failed", str(e))
            if result.timed_out:
                return done("timed-out", f"installing took more than {self.options.timeout:g} s")
            if result.returncode:
                return done("install-failed", _first_error(result))
            for module in modules:
                result = self.python(env, home, ["-c", _IMPORT, module], deadline)
                if result.timed_out:
                    return done("timed-out", f"importing {module} took more than "
                                f"{self.options.timeout:g} s in all")
                if result.returncode:
                    return done("import-failed", f"{module}: {_first_error(result)}")
            tests = self.tests(p, env, home) if p.suite is not None else None
            return done("passed", tests=tests)

    def tests(self, p: _Plan, env: Path, home: Path) -> TestOutcome:
        suite = p.suite
        assert suite is not None
        timeout = suite.timeout or self.options.test_timeout
        start = time.monotonic()
        deadline = start + timeout
        try:
            result = self.install(env, home, p.test_locked, deadline)
        except IpwhlError as e:
            return TestOutcome("tests-failed", f"installing the test requirements: {e}")
        if result.returncode:
            return TestOutcome("tests-failed", "installing the test requirements: "
                               + _first_error(result))
        command = list(suite.command)
        exe = _bin(env) / command[0]
        argv = [str(_python(env)), "-X", f"pycache_prefix={self.pycache}", *command[1:]] \
            if command[0] == "python" else [str(exe), *command[1:]]
        if command[0] != "python" and not exe.exists():
            return TestOutcome("tests-failed", f"{command[0]!r} is not in the environment")
        tests_home = home / "tests"
        tests_home.mkdir()
        result = self.sandbox.run(argv, cwd=tests_home, env=self.env_vars(tests_home, env),
                                  deadline=deadline)
        seconds = round(time.monotonic() - start, 3)
        if result.timed_out:
            return TestOutcome("timed-out", f"the tests took more than {timeout:g} s", seconds)
        summary = _last_line(result.stdout) or _last_line(result.stderr)
        if result.returncode:
            first = next((line.strip()[:300] for line in result.stdout.splitlines()
                          if line.startswith(("FAILED ", "ERROR ", "FAIL: ", "ERROR: "))), "")
            return TestOutcome("tests-failed", f"exit status {result.returncode}: {summary}"
                               + (f" (first: {first})" if first else ""), seconds)
        return TestOutcome("passed", summary, seconds)


def _bin(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def _python(env: Path) -> Path:
    return _bin(env) / ("python.exe" if os.name == "nt" else "python")


def _beside_python(name: str) -> str | None:
    found = Path(sys.executable).parent / name
    return str(found) if found.is_file() else None


def _uv_cache_dir(uv: str) -> str | None:
    """uv's own cache directory, as it would use it (``uv cache dir``)."""
    import subprocess
    try:
        done = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = done.stdout.strip()
    return found if done.returncode == 0 and found else None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _first_error(result: Completed) -> str:
    """The line that says what went wrong: a traceback's last line, else uv's or pip's
    ``error:`` line, else the last line of the output."""
    lines = [line.rstrip() for line in result.stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line and not line[0].isspace() and (
                "Error" in line.split(":", 1)[0] or line.split(":", 1)[0].endswith("Exception")):
            return line.strip()[:300]
    for line in lines:
        if line.strip().lower().startswith("error"):
            return line.strip()[:300]
    return (_last_line(result.stderr) or _last_line(result.stdout)
            or f"exit status {result.returncode}")


def integrate(published: Published, target: Interpreter, names: Sequence[str],
              integration: Integration, options: Options, sandbox: Sandbox, workdir: Path,
              progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """The outcome of each project of *names*, in that order."""
    plans = plan(published, target, names, integration, options.tests)
    runner = _Runner(published, target, options, sandbox, workdir)
    _prefetch(published, plans)
    # the longest install sets first: the last jobs to start are short ones
    order = sorted(plans, key=lambda p: -len(p.test_locked or p.locked))
    results: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max(1, options.jobs)) as pool:
        futures = {p.project: pool.submit(runner.project, p, integration) for p in order}
        try:
            for p in order:
                results[p.project] = futures[p.project].result()
                if progress is not None:
                    progress(results[p.project])
        except BaseException:
            for future in futures.values():
                future.cancel()
            sandbox.stop()
            raise
    return [results[name] for name in names]


def _prefetch(published: Published, plans: Sequence[_Plan]) -> None:
    """Make every wheel of the run local once, a few at a time."""
    wanted = {item.wheel.filename: item for p in plans for item in (*p.locked, *p.test_locked)}
    pool = ThreadPoolExecutor(4)
    try:
        for future in [pool.submit(published.wheel_file, i.project, i.wheel)
                       for i in wanted.values()]:
            with contextlib.suppress(IpwhlError):  # the project that needs it says so
                future.result()
    finally:
        pool.shutdown(cancel_futures=True)  # (Ctrl-C: no new download starts)


def run_together(published: Published, target: Interpreter, names: Sequence[str],
                 options: Options, sandbox: Sandbox, workdir: Path) -> Together:
    """Every project of *names* that has a wheel here, installed into one environment."""
    start = time.monotonic()
    wanted = []
    for name in names:
        entry = published.manifest.project(name)
        assert entry is not None
        wheel = _installable(entry, target)
        if wheel is not None:
            wanted.append(_requirement(name, wheel))
    if not wanted:
        return Together("passed", "no project has a wheel for this environment")
    runner = _Runner(published, target, replace(options, jobs=1), sandbox, workdir)
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
            return done("install-failed", _first_error(result) if not result.timed_out
                        else "installing took too long")
        problems = installed_clashes(env)
        if any(item.project == "pip" for item in locked):
            check = runner.python(env, home, ["-m", "pip", "check"], deadline)
        elif runner.uv:
            check = runner.sandbox.run([runner.uv, "pip", "check", "--no-config", "--python",
                                        str(_python(env))], cwd=home,
                                       env=runner.env_vars(home, env), deadline=deadline)
        else:
            check = Completed(0, "", "", 0.0)
        if check.returncode or check.timed_out:
            problems.append("pip check: " + (_last_line(check.stdout) or _first_error(check)))
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

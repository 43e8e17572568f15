"""Integrate: install each project of a published tree in a fresh environment and import it.

For one interpreter (:mod:`.target`) and each project: the install set the repository
gives for the project with its declared extras (:func:`ipwhl_checks.install.lock.lock`,
the logic of ``ipwhl lock``), installed into a new environment without client-side
resolution and hash-checked (:mod:`.environments`), then each of the project's top-level
modules (:mod:`.modules`) imported in a fresh interpreter.  Every step runs in the sandbox
(:mod:`.sandbox`) under the project's deadline, in the project's own temporary directory.
The wheels are made local once, before the first job (:mod:`.published`, into the wheel
cache).  ``--tests`` then runs the test suite the integration file declares for the
project (:mod:`ipwhl_checks.repo.integration`) in its environment, with what the suite
requires installed beside it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import IpwhlError, ResolutionError
from ..install.lock import Locked, lock
from ..publish.manifest import WheelEntry
from ..repo.integration import Integration, TestSuite
from ..sources.pool import WAKE, run_all
from ..sources.record import installed_paths
from ..util.progress import Progress
from ..util.threads import block_signals
from .environments import (
    Options,
    Workspace,
    bin_dir,
    first_error,
    installable,
    last_line,
    python_of,
    requirement,
)
from .modules import top_level_modules
from .published import Published
from .sandbox import Sandbox
from .target import Interpreter

__all__ = ["Options", "Outcome", "TestOutcome", "integrate", "plan"]

_IMPORT = "import importlib, sys; importlib.import_module(sys.argv[1])"


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



@dataclass
class _Plan:
    project: str
    wheel: WheelEntry | None = None  # the project's own wheel on the target
    locked: list[Locked] = field(default_factory=list)
    test_locked: list[Locked] = field(default_factory=list)
    suite: TestSuite | None = None
    error: str = ""  # the install set cannot be had



def plan(published: Published, target: Interpreter, names: Sequence[str],
         integration: Integration, tests: bool) -> list[_Plan]:
    """What to install for each project of *names* (resolved as ``ipwhl lock`` does)."""
    plans = []
    for name in names:
        entry = published.manifest.project(name)
        assert entry is not None
        p = _Plan(name, installable(entry, target))
        if p.wheel is not None:
            wanted = [requirement(name, p.wheel)]
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



class _Runner(Workspace):
    """The jobs of one run, each in a slot of the workspace."""

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
                return done("install-failed", first_error(result))
            for module in modules:
                result = self.python(env, home, ["-c", _IMPORT, module], deadline)
                if result.timed_out:
                    return done("timed-out", f"importing {module} took more than "
                                f"{self.options.timeout:g} s in all")
                if result.returncode:
                    return done("import-failed", f"{module}: {first_error(result)}")
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
                               + first_error(result))
        command = list(suite.command)
        exe = bin_dir(env) / command[0]
        argv = [str(python_of(env)), "-X", f"pycache_prefix={self.pycache}", *command[1:]] \
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
        summary = last_line(result.stdout) or last_line(result.stderr)
        if result.returncode:
            first = next((line.strip()[:300] for line in result.stdout.splitlines()
                          if line.startswith(("FAILED ", "ERROR ", "FAIL: ", "ERROR: "))), "")
            return TestOutcome("tests-failed", f"exit status {result.returncode}: {summary}"
                               + (f" (first: {first})" if first else ""), seconds)
        return TestOutcome("passed", summary, seconds)



def integrate(published: Published, target: Interpreter, names: Sequence[str],
              integration: Integration, options: Options, sandbox: Sandbox, workdir: Path,
              progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """The outcome of each project of *names*, in that order."""
    plans = plan(published, target, names, integration, options.tests)
    runner = _Runner(published, target, options, sandbox, workdir)
    _prefetch(published, plans, options.downloads)
    # the longest install sets first: the last jobs to start are short ones
    order = sorted(plans, key=lambda p: -len(p.test_locked or p.locked))
    results: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max(1, options.jobs), initializer=block_signals) as pool:
        futures = [pool.submit(runner.project, p, integration) for p in order]
        try:
            pending = set(futures)
            while pending:  # (said as they end; awake every WAKE seconds for a signal)
                done, pending = wait(pending, WAKE, FIRST_COMPLETED)
                for future in sorted(done, key=futures.index):
                    outcome = future.result()
                    results[outcome.project] = outcome
                    if progress is not None:
                        progress(outcome)
        except BaseException:
            for future in futures:
                future.cancel()
            sandbox.stop()
            raise
    return [results[name] for name in names]


def _prefetch(published: Published, plans: Sequence[_Plan], jobs: int) -> None:
    """Make every wheel of the run local once, *jobs* at a time, on one progress display;
    a signal stops the downloads within a second (:func:`~ipwhl_checks.sources.pool.run_all`)."""
    wanted = {item.wheel.filename: item for p in plans for item in (*p.locked, *p.test_locked)}

    def one(item: Locked) -> None:
        with contextlib.suppress(IpwhlError):  # the project that needs it says so
            published.wheel_file(item.project, item.wheel)
    with Progress("fetching", "wheels", done_verb="fetched") as progress:
        if published.client is not None:
            published.client.progress = progress
        try:
            run_all(one, list(wanted.values()), jobs=jobs, cancel=published.cancel,
                    progress=progress, name=lambda i: i.wheel.filename)
        finally:
            if published.client is not None:
                published.client.progress = None

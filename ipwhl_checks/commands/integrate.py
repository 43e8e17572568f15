"""``ipwhl integrate (--site DIR | --car FILE.car | --gateway URL --cid CID) [--python PY]
[--together] [--tests] [--json FILE] [PROJECT...]``.

For the interpreter ``--python`` (default: this one), each project of the published tree
(all by default) is installed with its dependency closure into a fresh environment and its
top-level modules are imported, each in a fresh interpreter, in a sandbox: a deadline, a
memory limit, its own temporary directory and no network (see
:mod:`ipwhl_checks.integrate`).  One line per project that did not simply pass, then a
summary; ``--json FILE`` writes the results (one file per environment, what ``ipwhl
release --integration`` publishes).  Known failures and test suites come from the data
tree's ``integration.toml`` (``--root``).  Exits 1 when anything unexpected happened (an
install or import failed, a project timed out, a known failure passed, a test suite
failed, ``--together`` failed), 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from packaging.utils import canonicalize_name

from ..errors import DeclarationError, UsageError
from ..integrate.published import open_published
from ..integrate.report import failed, line, results_document, summary_text
from ..integrate.run import Options, Outcome, integrate
from ..integrate.sandbox import Sandbox
from ..integrate.target import probe
from ..integrate.together import run_together
from ..release.integration import results_bytes
from ..repo.integration import INTEGRATION_FILE, Integration, load_integration
from ..sources.pool import DEFAULT_JOBS
from ..util.atomic import atomic_write
from ._common import MAX_JOBS

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("projects", nargs="*", metavar="PROJECT",
                        help="projects to integrate (default: every one)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--site", type=Path, metavar="DIR",
                       help="a published tree on disk (ipwhl publish --out DIR)")
    where.add_argument("--car", type=Path, metavar="FILE.car", help="a CAR of the tree")
    where.add_argument("--gateway", metavar="URL", help="an IPFS gateway serving --cid")
    parser.add_argument("--cid", help="the published root CID (with --gateway; with --car "
                                      "when the CAR has several roots)")
    parser.add_argument("--python", default=sys.executable, metavar="PY",
                        help="the interpreter to integrate for (default: this one)")
    parser.add_argument("--root", type=Path, metavar="DIR",
                        help=f"the data tree whose {INTEGRATION_FILE} lists known failures "
                             "and test suites (default: data, if it is there)")
    parser.add_argument("--together", action="store_true",
                        help="also install every project into one environment and run "
                             "pip check there")
    parser.add_argument("--tests", action="store_true",
                        help="also run the test suites the integration file declares")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results here")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                        help="for one project's install and imports (default: %(default)g)")
    parser.add_argument("--test-timeout", type=float, default=900.0, metavar="SECONDS",
                        help="for a test suite that sets none (default: %(default)g)")
    parser.add_argument("--memory", type=int, default=4096, metavar="MB",
                        help="address-space limit of each process (default: %(default)s)")
    parser.add_argument("-j", "--jobs", type=int, metavar="N",
                        help="projects at a time (default: the number of CPUs, "
                             f"{os.cpu_count() or 1} here), and wheels downloaded at a time "
                             f"(default: {DEFAULT_JOBS}, at most {MAX_JOBS})")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="copy each project's environment here (for a look)")


def _integration(root: Path | None) -> Integration:
    if root is None:
        root = Path("data")
        if not (root / INTEGRATION_FILE).is_file():
            return Integration()
    elif not root.is_dir():
        raise UsageError(f"the data root is not a directory: {str(root)!r}")
    integration, problems = load_integration(root)
    if problems:
        check, message = problems[0]
        raise DeclarationError(f"{root / INTEGRATION_FILE}: {message} ({check}; run "
                               "`ipwhl check`)")
    return integration


def run(args: argparse.Namespace) -> int:
    if args.timeout <= 0 or args.test_timeout <= 0 or (args.jobs is not None
                                                       and args.jobs < 1) or args.memory < 0:
        raise UsageError("--timeout, --test-timeout and --jobs must be positive")
    downloads = DEFAULT_JOBS if args.jobs is None else min(args.jobs, MAX_JOBS)
    if args.json is not None and not args.json.parent.is_dir():
        raise UsageError(f"--json: no directory {str(args.json.parent)!r}")
    target = probe(args.python)
    integration = _integration(args.root)
    options = Options(timeout=args.timeout, test_timeout=args.test_timeout,
                      memory_mb=args.memory, jobs=args.jobs or os.cpu_count() or 1,
                      downloads=downloads, tests=args.tests, keep=args.keep)
    published = open_published(site=args.site, car=args.car, gateway=args.gateway,
                               cid=args.cid, jobs=downloads)
    try:
        names = [p.name for p in published.manifest.projects]
        if args.projects:
            wanted = [canonicalize_name(p) for p in args.projects]
            missing = [p for p in wanted if p not in names]
            if missing:
                raise UsageError(f"not in the published tree: {', '.join(missing)}")
            names = list(dict.fromkeys(wanted))
        sandbox = Sandbox(options.memory_mb)
        print(f"integrating {len(names)} projects for {target.name} (Python {target.python}) "
              f"from {published.where}; sandbox: {sandbox.network}, memory "
              f"{options.memory_mb} MB, {options.timeout:g} s a project", flush=True)
        start = time.monotonic()
        workdir = Path(tempfile.mkdtemp(prefix="ipwhl-integrate-"))
        try:
            def show(outcome: Outcome) -> None:
                if outcome.outcome != "passed" or (outcome.tests is not None
                                                   and outcome.tests.outcome != "passed"):
                    print(line(outcome), flush=True)
            outcomes = integrate(published, target, names, integration, options, sandbox,
                                 workdir / "projects", show) \
                if _mkdir(workdir / "projects") else []
            together = None
            if args.together:
                together = run_together(published, target, names, options, sandbox,
                                        _mkdir(workdir / "together"))
        finally:
            sandbox.stop()
            shutil.rmtree(workdir, ignore_errors=True)
        tests = sum(1 for o in outcomes if o.tests is not None)
        print(summary_text(outcomes, together, tests))
        print(f"{time.monotonic() - start:.1f} s")
        if args.json is not None:
            document = results_document(outcomes, together, target, published.manifest_cid,
                                        sandbox.network)
            atomic_write(args.json, results_bytes(document))
        return 1 if failed(outcomes, together) else 0
    finally:
        published.close()


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path

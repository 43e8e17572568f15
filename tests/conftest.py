"""Shared fixtures: the repository root and helpers to run the real ``ipwhl`` command."""

from __future__ import annotations

import os
import re
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check values and errors, never timings: this machine is shared and noisy,
# so hypothesis' per-example deadline is off (tests that bound a pathological input's time
# say so themselves, with generous limits).
settings.register_profile("ipwhl", deadline=None)
settings.load_profile("ipwhl")

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / ".ci" / "wheelhouse"


@contextmanager
def running(server: socketserver.BaseServer) -> Iterator[int]:
    """Serve with *server* in a thread (bound to 127.0.0.1); yields its port, then stops it."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])  # type: ignore[index]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """Run the block (``cli.main`` in this process) under the umask *mask*."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def made_by_a_plain_open(*paths: Path, mask: int) -> dict[str, str]:
    """Every file and directory at or under *paths* whose permissions are not what a plain
    ``open`` (``mkdir``) gives under *mask*: {path: its mode in octal}; {} when they all
    are."""
    wrong = {}
    for top in paths:
        for path in [top, *top.rglob("*")] if top.is_dir() else [top]:
            mode = path.stat().st_mode & 0o777
            if mode != (0o777 if path.is_dir() else 0o666) & ~mask:
                wrong[str(path)] = oct(mode)
    return wrong


# Run in a small Python that sets up the process, then execs ``python -m ipwhl_checks``:
# what it sets (a signal disposition, a resource limit) outlives exec, and unlike
# subprocess's preexec_fn it is safe when the test process runs threads (its servers).
_SMALL_FILES = ("import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
                "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))")
_DEFAULT_SIGINT = "import signal; signal.signal(signal.SIGINT, signal.SIG_DFL)"
_EXEC = "; import os, sys; os.execv(sys.executable, [sys.executable, '-m', 'ipwhl_checks', " \
        "*sys.argv[1:]])"


def ipwhl_argv(*args: str, small_files: bool = False, default_sigint: bool = False
               ) -> list[str]:
    """The command line of ``ipwhl ARGS`` run as a user would (``python -m ipwhl_checks``).

    *small_files*: it can write no file beyond 1 KiB (RLIMIT_FSIZE, SIGXFSZ ignored): a
    write past that fails with EFBIG, as one on a full disk fails with ENOSPC.
    *default_sigint*: Ctrl-C (SIGINT) stops it even if the test runner ignores SIGINT.
    """
    setup = [code for code, wanted in ((_SMALL_FILES, small_files),
                                       (_DEFAULT_SIGINT, default_sigint)) if wanted]
    if not setup:
        return [sys.executable, "-m", "ipwhl_checks", *args]
    return [sys.executable, "-c", "; ".join(setup) + _EXEC, *args]


# The summary a command that downloaded prints on standard error when it ends
# (ipwhl_checks.util.progress): ``ipwhl add: downloaded 3 wheels (5.34 kB) in 0:00``.
SUMMARY = re.compile(r"ipwhl( \w+)?: \w+ \d+ [\w ]+ \([\d.]+ [kMG]?B( downloaded)?\) in \d+:\d\d"
                     r"(, [\d.]+ [kMG]?B/s)?")


def without_summary(err: str) -> str:
    """*err* less the download summary line."""
    return "".join(line for line in err.splitlines(keepends=True)
                   if not SUMMARY.fullmatch(line.rstrip("\n")))


def new_data_root(tmp_path: Path, settings: str) -> Path:
    """An empty data tree ``tmp_path/data`` with *settings* as its repository.toml."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "repository.toml").write_text(settings)
    return data


def offline_pip_env() -> dict[str, str]:
    """pip settings under which pre-commit builds this project's hook environment from
    ``.ci/wheelhouse`` (made by ``.ci/setup``) alone: no index, no machine configuration."""
    if not any(WHEELHOUSE.glob("setuptools-*.whl")):
        pytest.skip("no .ci/wheelhouse with setuptools: run 'bash .ci/setup' first")
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE),
            "PIP_CONFIG_FILE": os.devnull}


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def run_ipwhl(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ipwhl_checks ARGS`` as a user would, capturing text output."""
    return subprocess.run([sys.executable, "-m", "ipwhl_checks", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=check, timeout=600)


def online_check(root: Path, *paths: Path) -> int:
    """The online checks (IW5xx) alone of *paths* (default: every declaration) of the tree
    at *root*, printed as ``ipwhl check --online`` prints them: its exit code."""
    from ipwhl_checks.checks.online import check_online
    from ipwhl_checks.repo.tree import load_tree

    tree = load_tree(root, list(paths) or None, only_projects=bool(paths))
    wanted = {p.resolve() for p in paths}
    checked = [d for d in tree.declarations if not wanted or d.path.resolve() in wanted]
    problems = check_online(checked, tree.settings)
    for problem in problems:
        print(problem)
    return 1 if problems else 0

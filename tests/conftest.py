"""Shared fixtures: the repository root and helpers to run the real ``ipwhl`` command."""

from __future__ import annotations

import os
import resource
import signal
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

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


def small_files_only() -> None:
    """For ``preexec_fn``: the child can write no file beyond 1 KiB (RLIMIT_FSIZE); a write
    past it fails with EFBIG, as one on a full disk fails with ENOSPC."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # (else the signal kills the writer)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


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

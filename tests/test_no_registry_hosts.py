"""No tracked file may name the package index's host or its file host.

Both names are derived at run time from pip's own defaults, so this file names neither.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _registry_hosts() -> set[str]:
    code = ("from pip._internal.models.index import PyPI;"
            "print(PyPI.netloc); print(PyPI.file_storage_domain)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    hosts = {line.strip() for line in out.splitlines() if line.strip()}
    assert len(hosts) == 2, hosts  # the test itself must know what it looks for
    return hosts


def _tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                         check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_names_a_registry_host() -> None:
    hosts = _registry_hosts()
    offenders = []
    for path in _tracked_files():
        try:
            text = path.read_bytes().decode("utf-8", "replace").lower()
        except (FileNotFoundError, IsADirectoryError):
            continue
        offenders += [f"{path.relative_to(ROOT)}: {h}" for h in hosts if h in text]
    assert offenders == []

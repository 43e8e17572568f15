"""The package index pip would use, read from pip's own configuration at run time.

A declaration names no index host (``source = 'index:PROJECT/FILENAME'``): the index is
``--index-url``, else ``PIP_INDEX_URL``, else pip's configuration (``pip config``), else
pip's own default, which is read from pip at run time and never written in this project.

``pip config`` runs in a subprocess (about half a second): once per process for the
environment that decides what it reads (``PIP_*``, the home and configuration
directories, the virtual environment), however many clients ask.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from ..errors import DownloadError

__all__ = ["default_index_url"]


def default_index_url() -> str:
    """The simple index pip would use: ``PIP_INDEX_URL``, pip's configuration, pip's default."""
    if url := os.environ.get("PIP_INDEX_URL", "").strip():
        return url
    if configured := _pip_configured_index():
        return configured
    return _pip_default_index()


_ASKED: dict[tuple[tuple[str, str], ...], str | None] = {}  # environment -> answer
_ASKED_LOCK = threading.Lock()
_ENVIRONMENT = ("HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "APPDATA", "VIRTUAL_ENV")


def _pip_configured_index() -> str | None:
    """What pip's configuration says, asked once per process and environment."""
    key = tuple(sorted((k, v) for k, v in os.environ.items()
                       if k.startswith("PIP_") or k in _ENVIRONMENT))
    with _ASKED_LOCK:
        if key not in _ASKED:
            _ASKED[key] = _ask_pip()
        return _ASKED[key]


def _ask_pip() -> str | None:
    # pip's own reading of its configuration files (PIP_CONFIG_FILE, user, site, global);
    # a command section overrides [global], as it does for `pip install`.
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                             capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found: dict[str, str] = {}
    for line in out.splitlines():
        key, sep, value = line.partition("=")
        section, _, option = key.strip().rpartition(".")
        if sep and option == "index-url":
            found[section] = value.strip().strip("'\"").split()[0] if value.strip() else ""
    for section in ("install", "download", "global"):
        if found.get(section):
            return found[section]
    return None


def _pip_default_index() -> str:
    try:
        from pip._internal.models.index import PyPI  # pip's default, never written here
    except ImportError as e:
        raise DownloadError(
            "no package index configured: pass --index-url or set PIP_INDEX_URL") from e
    return str(PyPI.simple_url)

"""Where package code runs: a subprocess with a deadline, a memory limit, its own temporary
directory and no network.

The network is kept out by a network namespace where the machine allows one
(``unshare --net``, with ``--map-root-user`` for a user who is not root): the process
sees only a loopback interface that is down, so every connection fails at once.  Where
no namespace can be made, HTTP, HTTPS and SOCKS proxies are set to a port nothing listens
on (``127.0.0.1:9``): libraries that honour the usual ``*_PROXY`` variables fail to
connect, a raw socket does not.  :attr:`Sandbox.network` says which.

The memory limit is ``ulimit -v`` (RLIMIT_AS) set by ``sh`` before it executes the
command, so no Python code runs between fork and exec in this threaded process.  Each
process leads its own process group; at its deadline, or when :meth:`Sandbox.stop` is
called (Ctrl-C, SIGTERM), the whole group is killed.  The environment is built from
nothing: ``PATH``, ``HOME`` and ``TMPDIR`` (the job's own directory), a UTF-8 locale, one
thread per numeric library, matplotlib's non-interactive backend, and the variables the
caller adds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import IpwhlError

__all__ = ["Completed", "Sandbox", "Stopped"]

_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens there
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                    "ALL_PROXY")
_KEPT = ("LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT")
_OUTPUT = 64 << 10  # the tail of a process's output that is kept
_PROBE_TIMEOUT = 10.0


class Stopped(IpwhlError):
    """The sandbox was stopped (Ctrl-C, SIGTERM): no new process starts."""


@dataclass(frozen=True)
class Completed:
    """How a process ended: its exit status (None when killed at its deadline), the tails
    of its output, and how long it ran."""

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def _unshare_prefix() -> list[str] | None:
    """The command prefix that runs a process in a new network namespace, if it works."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    prefix = [unshare, "--net"]
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        prefix.append("--map-root-user")
    try:
        done = subprocess.run([*prefix, "--", "true"], capture_output=True,
                              timeout=_PROBE_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return [*prefix, "--"] if done.returncode == 0 else None


class Sandbox:
    """Runs commands as described in the module docstring; thread-safe."""

    def __init__(self, memory_mb: int, *, isolate_network: bool = True) -> None:
        self.memory_mb = memory_mb
        self._prefix = _unshare_prefix() if isolate_network else None
        self._sh = shutil.which("sh") if os.name == "posix" else None
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    @property
    def network(self) -> str:
        """How the network is kept out, in words."""
        if self._prefix is not None:
            return "network namespace"
        return f"proxies only ({_PROXY}; raw sockets are not blocked)"

    def environment(self, home: Path, path: Sequence[Path], extra: Mapping[str, str]
                    ) -> dict[str, str]:
        """The environment of a process whose own directory is *home*."""
        env = {k: os.environ[k] for k in _KEPT if k in os.environ}
        env.setdefault("LANG", "C.UTF-8")
        env.update({
            "PATH": os.pathsep.join([*map(str, path), *os.defpath.split(os.pathsep)[1:]]),
            "HOME": str(home), "TMPDIR": str(home), "TEMP": str(home), "TMP": str(home),
            "PYTHONNOUSERSITE": "1", "PYTHONUTF8": "1", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "NUMEXPR_NUM_THREADS": "1", "RAYON_NUM_THREADS": "1",
        })
        if self._prefix is None:
            env.update(dict.fromkeys(_PROXY_VARIABLES, _PROXY))
            env["no_proxy"] = env["NO_PROXY"] = ""
        env.update(extra)
        return env

    def _argv(self, argv: Sequence[str]) -> list[str]:
        wrapped = list(argv)
        if self._sh is not None and self.memory_mb > 0:
            limit = self.memory_mb * 1024
            wrapped = [self._sh, "-c", f'ulimit -v {limit} 2>/dev/null; exec "$@"', "sh",
                       *wrapped]
        return [*(self._prefix or []), *wrapped]

    def run(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str],
            deadline: float) -> Completed:
        """Run *argv* until it ends or the monotonic clock reaches *deadline*."""
        start = time.monotonic()
        with self._lock:
            if self._stopped:
                raise Stopped("stopped")
            try:
                process = subprocess.Popen(
                    self._argv(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
            except OSError as e:
                return Completed(127, "", f"cannot run {argv[0]}: {e.strerror or e}", 0.0)
            self._running.add(process)
        try:
            try:
                out, err = process.communicate(timeout=max(0.0, deadline - start))
                code: int | None = process.returncode
            except subprocess.TimeoutExpired:
                self._kill(process)
                out, err = process.communicate()
                code = None
        finally:
            self._kill(process)  # whatever it left in its group
            with self._lock:
                self._running.discard(process)
        if self._stopped:
            raise Stopped("stopped")
        return Completed(code, out[-_OUTPUT:].decode("utf-8", "replace"),
                         err[-_OUTPUT:].decode("utf-8", "replace"), time.monotonic() - start)

    @staticmethod
    def _kill(process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Kill every process running and refuse new ones."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for process in running:
            self._kill(process)

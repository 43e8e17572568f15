"""``ipwhl use``: point pip at the newest release whose signature verifies.

1. Find the data repository: a local checkout, or a git URL cloned (bare) to a temporary
   directory.  Release tags are ``ipwhl-*`` (:mod:`ipwhl_checks.release.tag`); the newest
   by tag date is the one used.
2. Check its signature with ``git verify-tag`` against the allowed signers
   (:func:`ipwhl_checks.release.verify.verify_signature`): the checkout's
   ``.ipwhl/allowed_signers`` for an SSH-signed tag, ``.ipwhl/allowed_signers.asc``
   (OpenPGP keys, checked in a throw-away GnuPG home) for an OpenPGP-signed one, or
   ``--allowed-signers FILE`` (either format).  For a URL without ``--allowed-signers``,
   the file comes from the clone's default branch: trust on first use, which is said in
   the output.
3. Set pip's site-level ``index-url`` (``<prefix>/pip.conf`` of the target interpreter)
   to ``<gateway>/ipfs/<root-cid>/`` with that interpreter's own ``pip config --site``,
   and print the command that undoes it.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import IpwhlError, ReleaseError
from ..util.git import git, git_reason
from .signatures import ALLOWED_KEYS, ALLOWED_SIGNERS, signature_kind, verify_signature
from .tag import ReleaseInfo, read_release, release_tags

__all__ = ["Plan", "apply", "checkout", "pip_config", "plan"]


@dataclass(frozen=True)
class Plan:
    """What ``ipwhl use`` found and what it will set."""

    tag: str
    signature: str
    release: ReleaseInfo
    index_url: str
    signers: str  # where the allowed signers came from


@contextmanager
def checkout(repo: str) -> Iterator[tuple[Path, bool]]:
    """(git directory, whether it was cloned) for a local path or a git URL."""
    if Path(repo).is_dir():
        top = git(Path(repo), "rev-parse", "--show-toplevel", check=False).stdout.strip()
        yield Path(top or repo), False
        return
    with tempfile.TemporaryDirectory(prefix="ipwhl-use-") as tmp:
        done = subprocess.run(["git", "clone", "--quiet", "--bare", "--", repo, tmp],
                              capture_output=True, text=True)
        if done.returncode:
            raise ReleaseError(f"cannot clone {repo!r}: {git_reason(done.stderr) or 'git failed'}")
        yield Path(tmp), True


def plan(repo: Path, gateway: str, *, cloned: bool = False,
         allowed_signers: Path | None = None) -> Plan:
    """Pick the newest release tag of *repo* and verify its signature."""
    tags = release_tags(repo)
    if not tags:
        raise ReleaseError(f"{repo}: no release tags (ipwhl-*); fetch them with "
                           "'git fetch --tags' or pass --repo URL")
    tag = tags[0]
    trust = ALLOWED_KEYS if signature_kind(repo, tag) == "openpgp" else ALLOWED_SIGNERS
    signers_where = str(allowed_signers) if allowed_signers else str(repo / trust)
    with tempfile.TemporaryDirectory(prefix="ipwhl-signers-") as tmp:
        if cloned and allowed_signers is None:
            shown = git(repo, "show", f"HEAD:{trust}", check=False)
            if shown.returncode:
                raise ReleaseError(f"the repository has no {trust} on its default "
                                   "branch; pass --allowed-signers FILE")
            allowed_signers = Path(tmp) / trust.name
            allowed_signers.write_text(shown.stdout)
            signers_where = f"{trust} of the cloned default branch (trust on first use)"
        signature = verify_signature(repo, tag, allowed_signers)
    release = read_release(repo, tag)
    index_url = f"{gateway.rstrip('/')}/ipfs/{release.root_cid}/"
    return Plan(tag, signature, release, index_url, signers_where)


def pip_config(python: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``PYTHON -m pip config --site ARGS``."""
    try:
        return subprocess.run([python, "-m", "pip", "config", "--site", *args],
                              capture_output=True, text=True, timeout=120)
    except OSError as e:
        raise IpwhlError(f"cannot run {python!r} ({e.strerror or e})") from e


def apply(python: str, index_url: str) -> str | None:
    """Set the site ``global.index-url``; return the value it had before, if any."""
    before = pip_config(python, "get", "global.index-url")
    previous = before.stdout.strip() if before.returncode == 0 else None
    done = pip_config(python, "set", "global.index-url", index_url)
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise IpwhlError(f"{python} -m pip config --site set failed: "
                         f"{lines[-1] if lines else f'exit status {done.returncode}'}")
    return previous

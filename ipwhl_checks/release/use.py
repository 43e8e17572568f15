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

Both parts of that URL are checked before anything is written: the gateway is an
``http`` or ``https`` URL with a host and nothing after its path (:func:`gateway_url`), and
the tag's root CID is a sha2-256 dag-pb CID written as ``ipfs add`` prints it
(:func:`check_root_cid`); a signature proves who wrote the tag, not that it is well formed.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import IpwhlError, ReleaseError, UsageError
from ..ipld.cid import cid_fields, cid_text, parse_cid
from ..ipld.multicodec import DAG_PB, SHA2_256
from ..util.git import git, git_reason
from .signatures import ALLOWED_KEYS, ALLOWED_SIGNERS, signature_kind, verify_signature
from .tag import ReleaseInfo, read_release, release_tags

__all__ = ["Plan", "apply", "check_root_cid", "checkout", "gateway_url", "pip_config", "plan"]


@dataclass(frozen=True)
class Plan:
    """What ``ipwhl use`` found and what it will set."""

    tag: str
    signature: str
    release: ReleaseInfo
    index_url: str
    signers: str  # where the allowed signers came from


def gateway_url(text: str) -> str:
    """*text* as the base URL of an IPFS gateway, without a trailing slash; a
    :class:`UsageError` unless it is an ``http`` or ``https`` URL with a host (and a port,
    if any, that is a number), no white space or control character (pip's configuration
    is a line of text), no user name or password, no query and no fragment."""
    shown = repr(text) if len(text) <= 200 else f"{text[:200]!r}..."
    why = None
    try:
        parts = urlsplit(text)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            why = "expected an http or https URL such as http://127.0.0.1:8080"
        elif any(c.isspace() or not c.isprintable() for c in text):
            why = "it contains white space or a control character"
        elif "@" in parts.netloc:
            why = "a gateway URL names no user or password"
        elif parts.query or parts.fragment or text.endswith(("?", "#")):
            why = "a gateway URL has no query or fragment"
        else:
            _port = parts.port  # a ValueError unless a number in range
    except ValueError as e:
        why = str(e)
    if why:
        shown = shown if "@" not in text else "the URL given"
        raise UsageError(f"--gateway {shown} is not a gateway URL ({why})")
    return text.rstrip("/")


def check_root_cid(text: str, where: str) -> None:
    """ReleaseError unless *text* is a release's root CID as ``ipfs add`` prints it: a
    sha2-256 dag-pb CID (the root is a directory), ``Qm...`` or base32 ``bafy...``."""
    shown = repr(text) if len(text) <= 100 else f"{text[:100]!r}..."
    try:
        raw = parse_cid(text)
        _version, codec, hash_code, _digest = cid_fields(raw)
    except ValueError as e:
        raise ReleaseError(f"{where}: root-cid {shown} is not a CID ({e})") from None
    if codec != DAG_PB or hash_code != SHA2_256 or cid_text(raw) != text:
        raise ReleaseError(f"{where}: root-cid {shown} is not the CID of a published tree "
                           f"(a sha2-256 dag-pb CID as ipfs add prints it)")


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
    check_root_cid(release.root_cid, f"tag {tag!r}")
    index_url = f"{gateway_url(gateway)}/ipfs/{release.root_cid}/"
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

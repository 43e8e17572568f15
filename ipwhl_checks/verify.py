"""Verify a release tag: its signature, then its CID, recomputed from the tagged tree.

Trust: the repository keeps the SSH keys allowed to sign releases in
``.ipwhl/allowed_signers`` (:data:`ALLOWED_SIGNERS`), in ssh-keygen's ALLOWED SIGNERS
format, one key per line::

    maintainer@example.org namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...

``ipwhl verify`` reads that file from the verifier's own checkout (the copy they already
trust), never from the tag being verified, and runs ``git verify-tag`` with
``gpg.ssh.allowedSignersFile`` pointing at it; ``--allowed-signers FILE`` overrides it.
An OpenPGP-signed tag is checked by git against the verifier's gpg keyring.

Then the tag message (:mod:`ipwhl_checks.release`) is read, the data tree at the tagged
commit is extracted with ``git archive`` and published in memory (wheels from the cache,
else from their sources, each checked against its declared CID), and the root CID, the
manifest CID and the counts must equal what the tag says.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ReleaseError, VerifyError
from .publish import PublishOptions, PublishResult, publish
from .release import ReleaseInfo, git, read_release

__all__ = ["ALLOWED_SIGNERS", "Verified", "verify_release", "verify_signature"]

ALLOWED_SIGNERS = PurePosixPath(".ipwhl/allowed_signers")


@dataclass(frozen=True)
class Verified:
    tag: str
    signature: str  # git's report, e.g. 'Good "git" signature for ... with ED25519 key ...'
    release: ReleaseInfo
    result: PublishResult


def verify_signature(repo: Path, tag: str, allowed_signers: Path | None = None) -> str:
    """Check *tag*'s signature; return git's one-line report, raise VerifyError if untrusted."""
    signers = Path(allowed_signers) if allowed_signers else Path(repo) / ALLOWED_SIGNERS
    if not signers.is_file():
        raise VerifyError(f"{signers}: no allowed-signers file (it lists the SSH keys allowed "
                          "to sign releases, one 'principal namespaces=\"git\" KEY' per line)")
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", f"gpg.ssh.allowedSignersFile={signers.resolve()}",
         "verify-tag", "--", tag], capture_output=True, text=True)
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    report = "; ".join(lines) or f"git verify-tag exit status {done.returncode}"
    if done.returncode and "No principal matched" in report:
        key = re.search(r"key (SHA256:[A-Za-z0-9+/=]+)", report)
        raise VerifyError(f"tag {tag!r} is signed by a key that is not an allowed signer "
                          f"({key[1] if key else 'unknown key'} is not in {signers})")
    if done.returncode:
        raise VerifyError(f"tag {tag!r}: the signature is not trusted: {report} "
                          f"(allowed signers: {signers})")
    return report


def _extract(repo: Path, commit: str, root: str, into: Path) -> Path:
    """Extract the directory *root* of *commit* under *into*; return its path there."""
    done = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", commit, "--",
                           root], capture_output=True)
    if done.returncode:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise VerifyError(f"cannot read {root!r} at {commit[:12]}: "
                          f"{message[-1] if message else 'git archive failed'}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / root


def verify_release(repo: Path, tag: str, *, root: str = "data",
                   allowed_signers: Path | None = None, index_url: str | None = None,
                   allow_file: bool = False) -> Verified:
    """Verify *tag*'s signature, then reproduce its root CID from the tagged data tree."""
    repo = Path(repo)
    try:
        release = read_release(repo, tag)
    except ReleaseError as e:
        raise VerifyError(str(e)) from e
    report = verify_signature(repo, tag, allowed_signers)
    commit = git(repo, "rev-parse", "--verify", f"{tag}^{{commit}}").stdout.strip()
    if commit != release.source_commit:
        raise VerifyError(f"tag {tag!r} points to {commit} but its message names "
                          f"source-commit {release.source_commit}")
    with tempfile.TemporaryDirectory(prefix="ipwhl-verify-") as tmp:
        data = _extract(repo, commit, root, Path(tmp))
        result = publish(data, PublishOptions(index_url=index_url, allow_file=allow_file,
                                              source_commit=commit))
    m = result.manifest
    got = {"root CID": result.root_cid, "manifest CID": result.manifest_cid,
           "profile": m.profile, "projects": str(len(m.projects)),
           "wheels": str(m.wheel_count), "bytes": str(m.total_bytes)}
    said = {"root CID": release.root_cid, "manifest CID": release.manifest_cid,
            "profile": release.profile, "projects": str(release.projects),
            "wheels": str(release.wheels), "bytes": str(release.bytes)}
    for key, value in said.items():
        if got[key] != value:
            raise VerifyError(f"tag {tag!r} names {key} {value} but its tree gives {got[key]}")
    return Verified(tag, report, release, result)

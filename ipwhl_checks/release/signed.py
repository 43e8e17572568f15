"""Maintainer-signed data: every commit that changes the data tree since the previous
release is signed by a key the repository allows.

In the mailing-list flow a contributor's patch is applied by a maintainer with ``git am
-S`` (or ``git commit -S``), which signs the commit with the maintainer's key; ``ipwhl
release`` then refuses to tag a data tree that holds an unsigned or wrongly signed commit,
naming each one, and ``ipwhl verify TAG`` checks the same over the tagged range.  So no
commit reaches a signed release without a maintainer having signed it.

The keys are those of release tags (:mod:`.signatures`): ``.ipwhl/allowed_signers``
(SSH) and ``.ipwhl/allowed_signers.asc`` (OpenPGP), read from the verifier's checkout,
or ``--allowed-signers FILE``.  git checks every signature of the range in one ``git
log`` (``%G?``): SSH signatures against the allowed-signers file, OpenPGP signatures in a
throw-away GnuPG home holding only the allowed keys.

The range: from the newest release tag that is an ancestor of the released commit
(exclusive) to that commit; before the first release, from the first commit whose allowed
signers name a key (inclusive: history before it predates the policy).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import ReleaseError
from ..util.git import git
from .signatures import ALLOWED_KEYS, ALLOWED_SIGNERS, holds_openpgp_keys, openpgp_home
from .tag import TAG_PREFIX

__all__ = ["Unsigned", "check_signed_range", "range_start", "unsigned_commits"]

# git's %G? letters (pretty-formats): what each says of a commit that is not accepted
_REASONS = {
    "N": "not signed",
    "U": "signed by a key that is not an allowed signer",
    "E": "signed by a key that is not an allowed signer",
    "B": "has a bad signature (changed after it was signed)",
    "X": "has an expired signature",
    "Y": "is signed by an expired key",
    "R": "is signed by a revoked key",
}


@dataclass(frozen=True)
class Unsigned:
    """A commit in the range that changes the data tree and is not accepted."""

    commit: str
    subject: str
    reason: str

    def __str__(self) -> str:
        return f"commit {self.commit[:12]} ({self.subject!r}) {self.reason}"


def range_start(repo: Path, commit: str) -> str | None:
    """The commit the range starts after: the newest release tag's commit that is an
    ancestor of *commit* (not *commit* itself), else the parent of the commit that added the
    allowed signers (*commit* itself when they came later); None when the range is all
    history."""
    done = git(repo, "describe", "--tags", "--abbrev=0", f"--match={TAG_PREFIX}*",
               f"{commit}^", check=False)
    if done.returncode == 0 and done.stdout.strip():
        tag = done.stdout.strip()
        return git(repo, "rev-parse", f"{tag}^{{commit}}").stdout.strip()
    first = _first_key_commit(repo)
    if first is None:
        return None
    if git(repo, "merge-base", "--is-ancestor", first, commit, check=False).returncode:
        return commit  # the policy came after *commit*: nothing before it is checked
    parent = git(repo, "rev-parse", "--verify", "--quiet", f"{first}^", check=False)
    return parent.stdout.strip() if parent.returncode == 0 else None


def _holds_a_key(text: str) -> bool:
    """Whether an allowed-signers file's text names a key (not only comments)."""
    return any(line.strip() and not line.lstrip().startswith("#")
               for line in text.splitlines())


def _first_key_commit(repo: Path) -> str | None:
    """The oldest commit of HEAD's history whose allowed signers name a key: where the
    signing policy begins (the file may exist before, holding only its comments)."""
    commits = git(repo, "log", "--reverse", "--format=%H", "HEAD", "--",
                  str(ALLOWED_SIGNERS), str(ALLOWED_KEYS), check=False).stdout.split()
    for commit in commits:
        for path in (ALLOWED_SIGNERS, ALLOWED_KEYS):
            shown = git(repo, "show", f"{commit}:{path}", check=False)
            if shown.returncode == 0 and _holds_a_key(shown.stdout):
                return commit
    return None


@contextmanager
def _checking(repo: Path, allowed_signers: Path | None
              ) -> Iterator[tuple[list[str], dict[str, str]]]:
    """(git ``-c`` options, environment) that make git check signatures against the
    allowed keys only: the SSH allowed-signers file, a GnuPG home holding only the allowed
    OpenPGP keys (an empty one without them)."""
    ssh = allowed_signers if allowed_signers is not None else repo / ALLOWED_SIGNERS
    asc = allowed_signers if allowed_signers is not None else repo / ALLOWED_KEYS
    allowed = ssh.resolve() if ssh.is_file() and not holds_openpgp_keys(ssh) else os.devnull
    options = ["-c", f"gpg.ssh.allowedSignersFile={allowed}"]
    gpg = shutil.which("gpg")
    if gpg is not None and asc.is_file() and holds_openpgp_keys(asc):
        with openpgp_home(asc) as (env, _fingerprints):
            yield [*options, "-c", f"gpg.program={gpg}", "-c",
                   "gpg.minTrustLevel=undefined"], env
        return
    with tempfile.TemporaryDirectory(prefix="ipwhl-gnupg-") as empty:
        yield options, {**os.environ, "GNUPGHOME": empty}


def unsigned_commits(repo: Path, start: str | None, end: str, data: str,
                     allowed_signers: Path | None = None) -> list[Unsigned]:
    """The commits of ``start..end`` (all of *end*'s history when *start* is None) that
    change the data tree *data* (a path in the repository) and are not signed by an
    allowed key, oldest first."""
    span = f"{start}..{end}" if start else end
    with _checking(repo, allowed_signers) as (config, env):
        try:
            done = subprocess.run(
                ["git", "-C", str(repo), *config, "log", "--reverse", "--no-show-signature",
                 "--format=%H%x00%G?%x00%GK%x00%s", span, "--", data or "."],
                capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
        except OSError as e:
            raise ReleaseError(f"cannot run git ({e.strerror or e})") from e
    if done.returncode:
        lines = done.stderr.strip().splitlines()
        raise ReleaseError(f"cannot list the commits {span}: "
                           f"{lines[0] if lines else done.returncode}")
    found = []
    for line in done.stdout.splitlines():
        commit, letter, key, subject = [*line.split("\0"), "", "", ""][:4]
        if letter == "G":
            continue
        reason = _REASONS.get(letter, f"has a signature git cannot check ({letter})")
        if key and letter in "UE":
            reason += f" ({key})"
        found.append(Unsigned(commit, subject, reason))
    return found


def check_signed_range(repo: Path, commit: str, data: str, what: str,
                       allowed_signers: Path | None = None) -> None:
    """ReleaseError naming every commit that changes *data* since the previous release
    up to *commit* and is not signed by an allowed key (*what*: "release" or a tag)."""
    bad = unsigned_commits(repo, range_start(repo, commit), commit, data, allowed_signers)
    if bad:
        where = str(allowed_signers) if allowed_signers else (
            f"{ALLOWED_SIGNERS} or {ALLOWED_KEYS}")
        listed = "; ".join(map(str, bad))
        raise ReleaseError(
            f"{what}: {len(bad)} commit{'s' * (len(bad) > 1)} changing {data or '.'}/ since "
            f"the previous release {'are' if len(bad) > 1 else 'is'} not signed by a key in "
            f"{where}: {listed} (a maintainer signs them: git am -S, or git rebase "
            "--exec 'git commit --amend --no-edit -S')")

"""Release tag signatures, checked against the keys the repository allows.

Trust: the repository keeps the keys allowed to sign releases, and ``ipwhl verify`` reads
them from the verifier's own checkout (the copy they already trust), never from the tag
being verified.  Which file applies depends on how the tag is signed, which is read from
the signature block git appends to the tag object (``git cat-file tag TAG``):

* ``-----BEGIN SSH SIGNATURE-----``: ``.ipwhl/allowed_signers`` (:data:`ALLOWED_SIGNERS`),
  in ssh-keygen's ALLOWED SIGNERS format, one key per line::

      maintainer@example.org namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...

  ``git verify-tag`` runs with ``gpg.ssh.allowedSignersFile`` pointing at it.

* ``-----BEGIN PGP SIGNATURE-----``: ``.ipwhl/allowed_signers.asc`` (:data:`ALLOWED_KEYS`),
  the ASCII-armored OpenPGP public keys of the maintainers, as many as there are, one after
  another (``gpg --armor --export KEYID >> .ipwhl/allowed_signers.asc``).  They are imported
  into a fresh, empty GnuPG home (a temporary directory, mode 0700, removed afterwards;
  the verifier's own ``~/.gnupg`` and its trust settings play no part), ``git verify-tag
  --raw`` runs with ``GNUPGHOME`` pointing there, and the tag is accepted only if gpg
  reports ``GOODSIG`` and a ``VALIDSIG`` whose fingerprint, or primary-key fingerprint, is
  one of the imported keys'.  A key not in the file (``NO_PUBKEY``), a bad signature
  (``BADSIG``), an expired or a revoked key (``EXPKEYSIG``, ``REVKEYSIG``) are each one
  :class:`VerifyError` line naming the tag and the file.

* X.509 (gpgsm) signatures are refused: nothing in the repository says which to trust.

``--allowed-signers FILE`` replaces the repository's file; it may be either format, told
apart by content (a ``-----BEGIN PGP PUBLIC KEY BLOCK-----`` line means OpenPGP keys), and
must be the format of the tag's signature.  One tag carries one signature, so one file is
all a verification needs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from ..errors import VerifyError
from .tag import signature_kind

__all__ = ["ALLOWED_KEYS", "ALLOWED_SIGNERS", "holds_openpgp_keys", "openpgp_home",
           "signature_kind", "verify_signature"]

ALLOWED_SIGNERS = PurePosixPath(".ipwhl/allowed_signers")
ALLOWED_KEYS = PurePosixPath(".ipwhl/allowed_signers.asc")

_OPENPGP_KEYS = "-----BEGIN PGP PUBLIC KEY BLOCK-----"  # RFC 4880 section 6.2
# The throw-away GnuPG home: no gpg-agent or dirmngr, never a key from the network, and
# trust is decided here (the key is in the repository's file), not by gpg's trust model.
_GPG_CONF = "no-autostart\nno-auto-key-retrieve\ntrust-model always\n"


def holds_openpgp_keys(path: Path) -> bool:
    """Whether *path* holds ASCII-armored OpenPGP public keys (else: SSH allowed signers)."""
    with path.open(encoding="utf-8", errors="replace") as f:
        return any(line.strip() == _OPENPGP_KEYS for line in f)


@contextmanager
def openpgp_home(keys: Path) -> Iterator[tuple[dict[str, str], set[str]]]:
    """(environment with GNUPGHOME, fingerprints) of a throw-away GnuPG home holding only
    the keys of *keys*; VerifyError when gpg is missing or the file holds no key."""
    gpg = shutil.which("gpg")
    if gpg is None:
        raise VerifyError(f"checking OpenPGP signatures against {keys} needs gpg, which is "
                          "not on PATH")
    # mkdtemp makes the directory mode 0700, as gpg requires of its home.
    with tempfile.TemporaryDirectory(prefix="ipwhl-gnupg-") as home:
        Path(home, "gpg.conf").write_text(_GPG_CONF)
        env = {**os.environ, "GNUPGHOME": home}
        imported = subprocess.run([gpg, "--batch", "--no-tty", "--status-fd", "1", "--import",
                                   "--", str(keys)], capture_output=True, text=True, env=env)
        # DETAILS: IMPORT_OK <reason> <fingerprint>, one per key read.
        allowed = {f[3] for f in map(str.split, imported.stdout.splitlines())
                   if len(f) == 4 and f[:2] == ["[GNUPG:]", "IMPORT_OK"]}
        if not allowed:
            raise VerifyError(f"{keys} holds no OpenPGP public key (expected ASCII-armored "
                              "keys, as 'gpg --armor --export KEYID' writes)")
        yield env, allowed


def verify_signature(repo: Path, tag: str, allowed_signers: Path | None = None) -> str:
    """Check *tag*'s signature; return a one-line report, raise VerifyError if untrusted.

    *allowed_signers* replaces the repository's trust file: an SSH allowed-signers file or
    ASCII-armored OpenPGP keys, whichever the tag's signature needs.
    """
    kind = signature_kind(repo, tag)
    given = Path(allowed_signers) if allowed_signers else None
    if given is not None and given.is_file() and kind in ("ssh", "openpgp"):
        holds = "openpgp" if holds_openpgp_keys(given) else "ssh"
        if holds != kind:
            raise VerifyError(
                f"tag {tag!r} is signed with {'OpenPGP' if kind == 'openpgp' else 'SSH'} "
                f"but {given} holds " + ("OpenPGP keys, not SSH allowed signers"
                                         if holds == "openpgp" else
                                         "SSH allowed signers, not ASCII-armored OpenPGP keys"))
    if kind == "openpgp":
        return _verify_openpgp(repo, tag, given or Path(repo) / ALLOWED_KEYS)
    if kind == "x509":
        raise VerifyError(f"tag {tag!r} is signed with X.509 (gpgsm); a release must be signed "
                          f"with a key in {ALLOWED_SIGNERS} (SSH) or {ALLOWED_KEYS} (OpenPGP)")
    return _verify_ssh(repo, tag, given or Path(repo) / ALLOWED_SIGNERS)


def _verify_ssh(repo: Path, tag: str, signers: Path) -> str:
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


def _verify_openpgp(repo: Path, tag: str, keys: Path) -> str:
    if not keys.is_file():
        raise VerifyError(f"tag {tag!r} is signed with OpenPGP but there is no {keys} (it "
                          "holds the ASCII-armored public keys allowed to sign releases)")
    gpg = shutil.which("gpg")
    if gpg is None:
        raise VerifyError(f"tag {tag!r} is signed with OpenPGP; checking it against {keys} "
                          "needs gpg, which is not on PATH")
    try:
        with openpgp_home(keys) as (env, allowed):
            done = subprocess.run(
                ["git", "-C", str(repo), "-c", f"gpg.program={gpg}", "-c",
                 "gpg.minTrustLevel=undefined", "verify-tag", "--raw", "--", tag],
                capture_output=True, text=True, env=env)
    except VerifyError as e:
        raise VerifyError(f"tag {tag!r}: {e}") from None
    return _judge_openpgp(tag, keys, allowed, done)


def _judge_openpgp(tag: str, keys: Path, allowed: set[str],
                   done: subprocess.CompletedProcess[str]) -> str:
    """Accept only GOODSIG plus a VALIDSIG by one of the *allowed* fingerprints."""
    status: dict[str, str] = {}
    other: list[str] = []
    for line in done.stderr.splitlines():
        if line.startswith("[GNUPG:] "):
            word, _, rest = line[9:].partition(" ")
            status.setdefault(word, rest)
        elif line.strip():
            other.append(line.strip())
    # DETAILS: VALIDSIG <fpr> <date> <time> <expire> <version> <reserved> <pk-algo>
    # <hash-algo> <class> <primary-key-fpr>
    valid = status.get("VALIDSIG", "").split()
    signer = valid[-1] if len(valid) >= 10 else (valid[0] if valid else "")
    errsig = status.get("ERRSIG", "").split()  # <keyid> <pk> <hash> <class> <time> <rc> <fpr>
    if "NO_PUBKEY" in status or errsig[5:6] == ["9"]:
        key = errsig[6] if len(errsig) > 6 and errsig[6] != "-" else status.get(
            "NO_PUBKEY", errsig[0] if errsig else "unknown key")
        raise VerifyError(f"tag {tag!r} is signed by a key that is not an allowed signer "
                          f"(OpenPGP key {key} is not in {keys})")
    for word, what in [("BADSIG", "has a bad signature (the tag was changed after it was "
                                  "signed)"),
                       ("EXPKEYSIG", "is signed by an expired key"),
                       ("REVKEYSIG", "is signed by a revoked key"),
                       ("EXPSIG", "has an expired signature")]:
        if word in status:
            key, _, uid = status[word].partition(" ")
            raise VerifyError(f"tag {tag!r} {what}: OpenPGP key {signer or key} ({uid}) "
                              f"in {keys}")
    if "GOODSIG" in status and done.returncode == 0 and signer:
        if signer in allowed or valid[0] in allowed:
            uid = status["GOODSIG"].partition(" ")[2]
            return f"Good OpenPGP signature for {uid} with key {signer}"
        raise VerifyError(f"tag {tag!r} is signed by a key that is not an allowed signer "
                          f"(OpenPGP key {signer} is not in {keys})")
    report = "; ".join(other or [f"[GNUPG:] {w} {r}".strip() for w, r in status.items()])
    raise VerifyError(f"tag {tag!r}: the OpenPGP signature is not trusted: "
                      f"{report or f'git verify-tag exit status {done.returncode}'} "
                      f"(allowed keys: {keys})")

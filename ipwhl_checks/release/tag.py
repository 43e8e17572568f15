"""Signed release tags: the git side of ``ipwhl release`` (and what ``ipwhl verify`` reads).

A release is an annotated tag on the commit whose data tree was published, signed with the
maintainer's own git signing configuration (``git tag -s``: SSH signing when
``gpg.format=ssh`` with ``user.signingkey`` naming the key, OpenPGP otherwise).  Release
tags are named ``ipwhl-YYYYMMDD.HHMMSS`` (UTC) by default, so they sort by time; clients
find the newest one with :func:`release_tags`.

Tag message, format ``ipwhl-release/1``: a subject line, a blank line, then one
``key: value`` line per field, in this order (git appends the signature after it)::

    IPWHL release bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi

    format: ipwhl-release/1
    root-cid: bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi
    manifest-cid: bafkreib...
    profile: unixfs-v1-2025
    projects: 212
    wheels: 1804
    bytes: 1234567890
    source-commit: 0123456789abcdef0123456789abcdef01234567

``bytes`` is the sum of the wheel sizes; ``source-commit`` is the commit the tag points to.
An optional line ``changes-since: <commit>`` names the data tree the release's changes
page (``/_browse/changes.html``) compares with, the previous release's ``source-commit``:
``ipwhl verify`` publishes with it to get the same CID.  A release with integration results
has a line ``site: <CID> <cumulative size>`` naming its ``/_browse/`` (whose pages show the
results: ``ipwhl verify`` without their bytes links the site by it), then one more line
per environment (``integration: ...``, see :mod:`ipwhl_checks.release.integration`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import ReleaseError
from ..util.git import git

__all__ = [
    "MESSAGE_FORMAT",
    "TAG_PREFIX",
    "ReleaseInfo",
    "create_tag",
    "default_tag_name",
    "format_tag_message",
    "parse_tag_message",
    "read_release",
    "release_tags",
    "signature_kind",
]

MESSAGE_FORMAT = "ipwhl-release/1"
TAG_PREFIX = "ipwhl-"
_FIELDS = ("format", "root-cid", "manifest-cid", "profile", "projects", "wheels", "bytes",
           "source-commit")
_FIELD = re.compile(r"([a-z-]+): (\S+)")
_SITE = re.compile(r"site: ([A-Za-z0-9]+) ([0-9]{1,20})")

Kind = Literal["ssh", "openpgp", "x509"]
# git's gpg-interface.c (sigtypes): the armor lines that open a signature, and the format
# each one means; parse_signed_buffer() takes the last such line as the signature's start.
_KINDS: dict[str, Kind] = {"SSH SIGNATURE": "ssh", "PGP SIGNATURE": "openpgp",
                           "PGP MESSAGE": "openpgp", "SIGNED MESSAGE": "x509"}
_SIGNATURE_START = re.compile(r"^-----BEGIN (SSH SIGNATURE|PGP SIGNATURE|PGP MESSAGE|"
                              r"SIGNED MESSAGE)-----$", re.MULTILINE)


@dataclass(frozen=True)
class ReleaseInfo:
    """What a release tag's message says."""

    root_cid: str
    manifest_cid: str
    profile: str
    projects: int
    wheels: int
    bytes: int
    source_commit: str
    tag: str = ""
    changes_since: str | None = None  # the baseline commit of the changes page
    site: tuple[str, int] | None = None  # /_browse/'s (CID, cumulative size), if told


def format_tag_message(info: ReleaseInfo, notes: Sequence[str] = (), extra: str = "") -> str:
    """The tag message: subject, fields, *extra* lines, then *notes* (release notes, after a
    blank line; neither are ``key: value`` fields)."""
    values = {"format": MESSAGE_FORMAT, "root-cid": info.root_cid,
              "manifest-cid": info.manifest_cid, "profile": info.profile,
              "projects": info.projects, "wheels": info.wheels, "bytes": info.bytes,
              "source-commit": info.source_commit}
    body = "".join(f"{key}: {values[key]}\n" for key in _FIELDS)
    if info.changes_since is not None:
        body += f"changes-since: {info.changes_since}\n"
    if info.site is not None:
        body += f"site: {info.site[0]} {info.site[1]}\n"
    tail = "".join(f"{line}\n" for line in notes)
    return f"IPWHL release {info.root_cid}\n\n{body}{extra}" + (f"\n{tail}" if tail else "")


def parse_tag_message(text: str, tag: str = "") -> ReleaseInfo:
    """Read the fields of a release tag message (a trailing signature is ignored)."""
    where = f"tag {tag!r}" if tag else "tag message"
    text = _SIGNATURE_START.split(text, maxsplit=1)[0]
    fields: dict[str, str] = {}
    site: tuple[str, int] | None = None
    for line in text.splitlines()[1:]:
        if m := _FIELD.fullmatch(line.strip()):
            fields.setdefault(m[1], m[2])
        elif (m := _SITE.fullmatch(line.strip())) and site is None:
            site = (m[1], int(m[2]))
    if fields.get("format") != MESSAGE_FORMAT:
        raise ReleaseError(f"{where} is not an IPWHL release (its message has no "
                           f"'format: {MESSAGE_FORMAT}' line)")
    missing = [key for key in _FIELDS if key not in fields]
    if missing:
        raise ReleaseError(f"{where}: the message lacks the {missing[0]!r} field")
    try:
        counts = [int(fields[key]) for key in ("projects", "wheels", "bytes")]
    except ValueError as e:
        raise ReleaseError(f"{where}: a count is not a number ({e})") from None
    since = fields.get("changes-since")
    if since is not None and not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", since):
        raise ReleaseError(f"{where}: changes-since {since!r} is not a commit's object name")
    return ReleaseInfo(root_cid=fields["root-cid"], manifest_cid=fields["manifest-cid"],
                       profile=fields["profile"], projects=counts[0], wheels=counts[1],
                       bytes=counts[2], source_commit=fields["source-commit"], tag=tag,
                       changes_since=since, site=site)


def default_tag_name(now: float | None = None) -> str:
    return TAG_PREFIX + time.strftime("%Y%m%d.%H%M%S", time.gmtime(now))


def create_tag(repo: Path, name: str, info: ReleaseInfo, *, key: str | None = None,
               notes: Sequence[str] = (), extra: str = "") -> None:
    """Create the signed annotated tag *name* on ``info.source_commit``; *extra*: lines
    added after the fields (the integration results, :mod:`ipwhl_checks.release.integration`),
    *notes*: the release notes, after a blank line."""
    if git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{name}",
           check=False).returncode == 0:
        raise ReleaseError(f"tag {name!r} already exists")
    args = ["tag", "-s", "-a", "-m", format_tag_message(info, notes, extra)]
    if key:
        args += ["-u", key]
    what = f"signing tag {name!r} (git tag -s)"
    done = git(repo, *args, name, info.source_commit, what=what)
    # Some git versions (2.39 among them) keep the tag, unsigned, when ssh-keygen cannot
    # sign (a missing key file, say): git prints ssh-keygen's error and exits 0.  A release
    # tag is never left unsigned.
    if signature_kind(repo, f"refs/tags/{name}") is None:
        git(repo, "tag", "-d", name, check=False)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        said = f": {lines[0].strip()}" if lines else ""
        raise ReleaseError(f"{what} made no signature{said}; the tag was deleted")


def read_release(repo: Path, tag: str) -> ReleaseInfo:
    """The fields of the release tag *tag* (its signature is not checked here)."""
    if git(repo, "cat-file", "-t", tag, check=False).stdout.strip() != "tag":
        raise ReleaseError(f"{tag!r} is not an annotated tag in {repo}")
    raw = git(repo, "cat-file", "tag", tag).stdout
    header, _, message = raw.partition("\n\n")
    names = [line[4:] for line in header.splitlines() if line.startswith("tag ")]
    if names != [tag.removeprefix("refs/tags/")]:
        raise ReleaseError(f"tag {tag!r} was created under another name ({names[0]!r})"
                           if names else f"tag {tag!r} has no name in its header")
    return parse_tag_message(message, tag)


def signature_kind(repo: Path, tag: str) -> Kind | None:
    """How *tag* is signed, from the signature block of its tag object (None: unsigned)."""
    done = git(repo, "cat-file", "tag", tag, check=False)
    _header, _, body = done.stdout.partition("\n\n")
    starts = _SIGNATURE_START.findall(body) if done.returncode == 0 else []
    return _KINDS[starts[-1]] if starts else None


def release_tags(repo: Path) -> list[str]:
    """The repository's release tags, newest first."""
    out = git(repo, "for-each-ref", "--sort=-creatordate", "--format=%(refname:short)",
              f"refs/tags/{TAG_PREFIX}*").stdout
    return [line for line in out.splitlines() if line]

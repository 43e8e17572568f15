"""Where a declared wheel comes from: the ``source`` field, and which index it refers to.

A source is one of

* ``index:<project>/<filename>`` -- the wheel *filename* listed on the project page of
  the user's simple index (PEP 503 HTML or PEP 691 JSON), e.g.
  ``index:requests/requests-2.32.3-py3-none-any.whl``.  The declaration names no host:
  the index is ``--index-url``, else ``PIP_INDEX_URL``, else pip's configuration
  (``pip config``), else pip's own default, which is read from pip at run time;
* an absolute ``https://``, ``http://`` or ``file://`` URL of the wheel (original IPWHL
  trees use these).  Which of them may be downloaded is the fetcher's policy
  (:mod:`ipwhl_checks.sources.http`): ``http`` only to loopback hosts, ``file`` only when allowed.

This module only parses and formats; it does no network I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from packaging.utils import InvalidWheelFilename, NormalizedName, canonicalize_name

from ..errors import DeclarationError
from .layout import check_project_name, parse_wheel_name

__all__ = [
    "INDEX_SCHEME",
    "URL_SCHEMES",
    "Source",
    "index_source",
    "parse_source",
    "redact",
]

INDEX_SCHEME = "index"
URL_SCHEMES = ("https", "http", "file")
_SHOWN = 200  # characters of a bad source quoted in a message


@dataclass(frozen=True)
class Source:
    """A parsed ``source``: an index reference (``project`` set) or a URL (``url`` set)."""

    text: str
    filename: str  # the wheel's file name, as the source names it
    project: NormalizedName | None = None  # index reference: the project page to read
    url: str | None = None  # absolute URL

    @property
    def is_index(self) -> bool:
        return self.project is not None


def index_source(project: str, filename: str) -> str:
    """The source text for *filename* on the index's page of *project*."""
    return f"{INDEX_SCHEME}:{canonicalize_name(project)}/{filename}"


# RFC 3986 section 3.2: the authority after "//" runs to the first "/", "?" or "#"; its
# userinfo is everything before its last "@".  Matched on the text, not on urlsplit's
# parts, so that a URL urlsplit refuses (or a scheme without "//") is redacted too.
_USERINFO = re.compile(r"([^:/?#@]*:)?(/*)([^/?#]*)@")


def redact(text: str) -> str:
    """*text* with the password of a URL's userinfo (and a user name alone, which is as
    often a token) replaced by ``****``, as pip shows URLs: ``https://alice:****@host/``."""
    m = _USERINFO.match(text)
    if m is None:
        return text
    user, colon, _password = m[3].partition(":")
    return f"{m[1] or ''}{m[2]}{user + ':' if colon else ''}****@{text[m.end():]}"


def _quoted(text: str) -> str:
    shown = redact(text)
    if len(shown) > _SHOWN:
        return f"{shown[:_SHOWN]!r}... ({len(shown)} characters)"
    return repr(shown)


def parse_source(text: str) -> Source:
    """Parse a declaration's ``source``; :class:`DeclarationError` says what is wrong, in
    one line that never shows a password."""
    scheme, sep, rest = text.partition(":")
    if not sep or scheme.lower() not in (INDEX_SCHEME, *URL_SCHEMES):
        raise DeclarationError(
            f"invalid source {_quoted(text)} (expected 'index:PROJECT/FILENAME' or an "
            "absolute https, http or file URL)")
    if scheme.lower() == INDEX_SCHEME:
        return _index_source(text, rest)
    if _USERINFO.match(text):
        raise DeclarationError(
            f"invalid source {_quoted(text)} (credentials in the URL: a declaration is "
            "published, so its source names no user or password)")
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # an invalid IPv6 host, a netloc that NFKC changes (its text, which
        raise DeclarationError(  # urlsplit's message quotes, is not shown)
            f"invalid source {_quoted(text)} (the URL's host part is not valid)") from None
    if scheme.lower() != "file" and not host:
        raise DeclarationError(f"invalid source {_quoted(text)} (the URL has no host)")
    filename = unquote(PurePosixPath(parts.path).name)
    _check_wheel_name(text, filename)
    return Source(text, filename, url=text)


def _index_source(text: str, rest: str) -> Source:
    project, slash, filename = rest.partition("/")
    if not slash or not project or not filename or "/" in filename:
        raise DeclarationError(
            f"invalid source {_quoted(text)} (expected 'index:PROJECT/FILENAME')")
    if why := check_project_name(project):
        raise DeclarationError(f"invalid source {_quoted(text)} ({why})")
    if canonicalize_name(project) != project:
        raise DeclarationError(
            f"invalid source {_quoted(text)} (project {project!r} is not normalized, "
            f"expected {canonicalize_name(project)!r})")
    name = _check_wheel_name(text, filename)
    if name != project:  # pip ignores the files of other projects a page lists
        raise DeclarationError(
            f"invalid source {_quoted(text)} (the file is a wheel of {name!r}, not of "
            f"{project!r}, whose index page it names)")
    return Source(text, filename, project=canonicalize_name(project))


def _check_wheel_name(text: str, filename: str) -> NormalizedName:
    try:
        return parse_wheel_name(filename)[0]
    except InvalidWheelFilename as e:
        raise DeclarationError(f"invalid source {_quoted(text)} (not a wheel file name: "
                               f"{e})") from None

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

from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)

from ..errors import DeclarationError

__all__ = [
    "INDEX_SCHEME",
    "URL_SCHEMES",
    "Source",
    "index_source",
    "parse_source",
]

INDEX_SCHEME = "index"
URL_SCHEMES = ("https", "http", "file")


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


def parse_source(text: str) -> Source:
    """Parse a declaration's ``source``; :class:`DeclarationError` says what is wrong."""
    scheme, sep, rest = text.partition(":")
    if not sep or scheme.lower() not in (INDEX_SCHEME, *URL_SCHEMES):
        raise DeclarationError(
            f"invalid source {text!r} (expected 'index:PROJECT/FILENAME' or an absolute "
            "https, http or file URL)")
    if scheme.lower() == INDEX_SCHEME:
        project, slash, filename = rest.partition("/")
        if not slash or not project or not filename or "/" in filename:
            raise DeclarationError(
                f"invalid source {text!r} (expected 'index:PROJECT/FILENAME')")
        if canonicalize_name(project) != project:
            raise DeclarationError(
                f"invalid source {text!r} (project {project!r} is not normalized, "
                f"expected {canonicalize_name(project)!r})")
        _check_wheel_name(text, filename)
        return Source(text, filename, project=canonicalize_name(project))
    parts = urlsplit(text)
    if scheme.lower() != "file" and not parts.hostname:
        raise DeclarationError(f"invalid source {text!r} (the URL has no host)")
    filename = unquote(PurePosixPath(parts.path).name)
    _check_wheel_name(text, filename)
    return Source(text, filename, url=text)


def _check_wheel_name(text: str, filename: str) -> None:
    try:
        parse_wheel_filename(filename)
    except InvalidWheelFilename as e:
        raise DeclarationError(f"invalid source {text!r} (not a wheel file name: {e})") from e

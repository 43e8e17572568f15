"""What a wheel installs: the paths its ``.dist-info/RECORD`` lists, where they land.

PEP 427 ("The .dist-info directory"; PEP 376 for the format): RECORD is a CSV file of
``path,hash,size`` rows, one per file of the archive, paths relative to the archive's root
with ``/`` separators.  Installed (PEP 427, "Installing a wheel"), a file at the root of
the archive goes to ``purelib`` or ``platlib`` (both ``site-packages`` on a usual
interpreter), and ``<name>-<version>.data/<scheme>/<path>`` goes to that scheme's directory:
``purelib``/``platlib`` (site-packages again), ``scripts`` (``bin/``), ``data`` (the
prefix) and ``headers`` (a directory of its own per project, so headers never meet).

:func:`installed_paths` gives each file's place as ``site-packages/<path>``,
``scripts/<path>`` or ``data/<path>``, which two projects installed into one environment
must never share.  The archive is read as :mod:`ipwhl_checks.sources.wheel` reads it (size
limits, zip bombs refused); nothing in it is extracted or executed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from ..errors import WheelError
from .wheel import _archive_errors, _checked_dist_info, _member, _parse_filename

__all__ = ["MAX_RECORD_SIZE", "installed_paths", "record_paths"]

MAX_RECORD_SIZE = 64 << 20  # the largest RECORDs (tens of thousands of files) are a few MB
_SCHEMES = {"purelib": "site-packages", "platlib": "site-packages", "scripts": "scripts",
            "data": "data"}


def record_paths(path: Path | str, filename: str | None = None) -> tuple[str, ...]:
    """The paths RECORD lists in the wheel at *path* (named *filename*), as written."""
    path = Path(path)
    filename = filename or path.name
    name, version, _tags = _parse_filename(filename)
    with _archive_errors(filename), zipfile.ZipFile(path) as zf:
        dist_info = _checked_dist_info(zf, path.stat().st_size, filename, name, version)
        data = _member(zf, f"{dist_info}/RECORD", MAX_RECORD_SIZE, filename)
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as e:
        raise WheelError(f"{filename}: cannot parse {dist_info}/RECORD ({e})") from None
    found = []
    for row in rows:
        if not row or not row[0]:
            continue
        member = row[0]
        if member.startswith("/") or ".." in member.split("/") or "\\" in member:
            raise WheelError(f"{filename}: RECORD lists {member!r}, outside the archive's "
                             "root")
        found.append(member)
    return tuple(found)


def installed_paths(path: Path | str, filename: str | None = None) -> tuple[str, ...]:
    """Where the files of the wheel at *path* land once installed, sorted:
    ``site-packages/<path>``, ``scripts/<path>`` or ``data/<path>`` (its ``.dist-info``
    directory and headers are left out: they are the project's own)."""
    out = set()
    for member in record_paths(path, filename):
        top, _, rest = member.partition("/")
        if top.endswith(".dist-info"):
            continue
        if top.endswith(".data") and rest:
            scheme, _, inner = rest.partition("/")
            where = _SCHEMES.get(scheme)
            if where is not None and inner:
                out.add(f"{where}/{inner}")
            continue
        out.add(f"site-packages/{member}")
    return tuple(sorted(out))

"""Build real, installable wheels for the tests (PEP 427 layout with a correct RECORD).

pip installs what this writes: a package ``<name>/__init__.py`` holding ``__version__``,
a ``.dist-info`` directory with METADATA (core metadata 2.1), WHEEL and RECORD.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

__all__ = ["make_wheel", "metadata_text", "wheel_filename"]

# A fixed timestamp keeps the bytes (and so the CIDs) of a built wheel deterministic.
_EPOCH = (2020, 1, 1, 0, 0, 0)


def _dist(name: str) -> str:
    # PEP 427: the distribution part of the file name, with '-' replaced by '_'.
    return canonicalize_name(name).replace("-", "_")


def wheel_filename(name: str, version: str, tag: str = "py3-none-any") -> str:
    return f"{_dist(name)}-{version}-{tag}.whl"


def metadata_text(name: str, version: str, *, requires_python: str | None = None,
                  dependencies: Iterable[str] = (), extras: Iterable[str] = (),
                  project_urls: Mapping[str, str] | None = None) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Project-URL: {label}, {url}" for label, url in (project_urls or {}).items()]
    lines += [f"Provides-Extra: {e}" for e in extras]
    lines += [f"Requires-Dist: {d}" for d in dependencies]
    return "\n".join(lines) + "\n\n"


def make_wheel(directory: Path, name: str, version: str, *, tag: str = "py3-none-any",
               requires_python: str | None = None, dependencies: Iterable[str] = (),
               extras: Iterable[str] = (), files: Mapping[str, bytes] | None = None,
               metadata: str | None = None, wheel_tags: Iterable[str] | None = None,
               project_urls: Mapping[str, str] | None = None) -> Path:
    """Write ``<directory>/<dist>-<version>-<tag>.whl`` and return its path.

    *metadata* replaces the generated METADATA text (for wheels that lie about themselves);
    *wheel_tags* replaces the Tag lines of WHEEL (default: the expanded *tag*).
    """
    directory.mkdir(parents=True, exist_ok=True)
    dist = _dist(name)
    dist_info = f"{dist}-{version}.dist-info"
    package = dist.lower()
    if wheel_tags is None:
        py, abi, plat = tag.split("-")
        wheel_tags = [f"{p}-{a}-{q}" for p in py.split(".") for a in abi.split(".")
                      for q in plat.split(".")]
    wheel_text = "Wheel-Version: 1.0\nGenerator: ipwhl-tests\nRoot-Is-Purelib: {}\n".format(
        "true" if tag.endswith("none-any") else "false")
    wheel_text += "".join(f"Tag: {t}\n" for t in wheel_tags)
    members: dict[str, bytes] = {f"{package}/__init__.py": f"__version__ = {version!r}\n".encode()}
    members.update(files or {})
    members[f"{dist_info}/METADATA"] = (metadata if metadata is not None else metadata_text(
        name, version, requires_python=requires_python, dependencies=dependencies,
        extras=extras, project_urls=project_urls)).encode()
    members[f"{dist_info}/WHEEL"] = wheel_text.encode()
    record = []
    for member, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    members[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / wheel_filename(name, version, tag)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return path

"""Lock an install set from a published CID, without resolving on the client.

The published manifest (:mod:`ipwhl_checks.publish.manifest`) says every wheel's version, tags,
``requires-python``, dependencies and sha256; the same resolver as ``ipwhl resolve``
(:func:`ipwhl_checks.install.resolve.resolve`) picks the install set for one environment, and the
result is written as:

* a pip requirements file in hash-checking mode: ``--index-url <gateway>/ipfs/<cid>/``
  then one ``name==version --hash=sha256:...`` per wheel, for
  ``pip install --no-deps --require-hashes -r FILE``;
* or a PEP 751 lock file (``pylock.toml``): one ``[[packages]]`` per project with its
  wheel's ``url``, ``size`` and ``hashes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename

from .. import __version__
from ..publish.manifest import Manifest, WheelEntry
from ..repo.declaration import Declaration
from .resolve import Target, resolve

__all__ = ["Locked", "lock", "pylock_text", "requirements_text"]


@dataclass(frozen=True)
class Locked:
    """One wheel of the install set, with where the gateway serves it."""

    project: str
    wheel: WheelEntry
    url: str


def _declarations(manifest: Manifest) -> dict[str, tuple[Declaration, str, WheelEntry]]:
    out = {}
    for project in manifest.projects:
        for wheel in project.wheels:
            name, version, _build, tags = parse_wheel_filename(wheel.filename)
            rp = wheel.requires_python
            declaration = Declaration(
                path=Path(project.name) / wheel.filename, filename=wheel.filename,
                project=name, version=version, tags=frozenset(tags), source=wheel.source,
                content_id=wheel.cid, requires_python=SpecifierSet(rp) if rp else None,
                extras=wheel.extras,
                dependencies=tuple(Requirement(d) for d in wheel.dependencies))
            out[wheel.filename] = declaration, project.name, wheel
    return out


def lock(manifest: Manifest, index_url: str, target: Target,
         requirements: Sequence[Requirement]) -> list[Locked]:
    """The wheels the repository gives for *requirements* on *target*, sorted by name."""
    by_file = _declarations(manifest)
    chosen = resolve([d for d, _p, _w in by_file.values()], target, requirements)
    base = index_url.rstrip("/") + "/"
    return [Locked(by_file[d.filename][1], by_file[d.filename][2],
                   f"{base}{by_file[d.filename][1]}/{d.filename}") for d in chosen]


def requirements_text(locked: Sequence[Locked], index_url: str, comment: str) -> str:
    """A pip requirements file in hash-checking mode."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += ["# pip install --no-deps --require-hashes -r THIS_FILE",
              f"--index-url {index_url}", ""]
    for item in locked:
        lines.append(f"# {item.url}")
        lines.append(f"{item.project}=={item.wheel.version} \\")
        lines.append(f"    --hash=sha256:{item.wheel.sha256}")
    return "\n".join(lines) + "\n"


def pylock_text(locked: Sequence[Locked], index_url: str, target_markers: str | None,
                requirements: Sequence[Requirement]) -> str:
    """A PEP 751 ``pylock.toml`` (lock-version 1.0) for the install set."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"ipwhl lock {' '.join(map(str, requirements))}"))
    doc["lock-version"] = "1.0"
    if target_markers:
        doc["environments"] = [target_markers]
    doc["created-by"] = f"ipwhl {__version__}"
    packages = tomlkit.aot()
    for item in locked:
        package = tomlkit.table()
        package["name"] = item.project
        package["version"] = item.wheel.version
        package["index"] = index_url
        if item.wheel.requires_python:
            package["requires-python"] = item.wheel.requires_python
        wheel = tomlkit.table()
        wheel["name"] = item.wheel.filename
        wheel["url"] = item.url
        wheel["size"] = item.wheel.size
        hashes = tomlkit.inline_table()
        hashes["sha256"] = item.wheel.sha256
        wheel["hashes"] = hashes
        wheels = tomlkit.aot()
        wheels.append(wheel)
        package["wheels"] = wheels
        packages.append(package)
    doc["packages"] = packages
    return tomlkit.dumps(doc)

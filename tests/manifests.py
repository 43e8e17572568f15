"""Manifests for the reader's tests: valid ones built from real CIDs, and ways to break them.

The CIDs are made by the UnixFS engine from real bytes (so they parse as CIDs); the
manifests are rendered by :func:`~ipwhl_checks.publish.manifest.manifest_bytes`, so they
are in the canonical layout a publish writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from ipwhl_checks.publish.manifest import (
    FileEntry,
    Manifest,
    ProjectEntry,
    WheelEntry,
    manifest_bytes,
)
from ipwhl_checks.unixfs import DagBuilder

PROFILE = "unixfs-v1-2025"


def cid(text: str, directory: bool = False) -> str:
    """The CID of the bytes of *text* (or of a directory holding them)."""
    builder = DagBuilder(PROFILE)
    node = builder.add_bytes(text.encode())
    if directory:
        node = builder.add_directory({"f": node})
    return str(node.cid)


def file_entry(text: str) -> FileEntry:
    return FileEntry(cid(text), len(text), len(text), hashlib.sha256(text.encode()).hexdigest())


def sample_manifest(count: int) -> Manifest:
    """*count* projects ``project-000``...: 0, 1 or 2 wheels each, with extras, markers."""
    projects = []
    for i in range(count):
        name = f"project-{i:03d}"
        wheels = tuple(WheelEntry(
            filename=f"project_{i:03d}-1.{k}-py3-none-any.whl", version=f"1.{k}",
            cid=cid(f"wheel {i} {k}"), size=1000 + i + k, dag_size=1000 + i + k,
            sha256="ab" * 32, metadata=file_entry(f"Name: {name}\n"), requires_python=">=3.8",
            extras=("socks",) if k else (),
            dependencies=('idna<4,>=2.5', 'PySocks!=1.5.7; extra == "socks"'),
            source=f"index:{name}/w{k}.whl", declaration="sha256:" + "cd" * 32)
            for k in range(i % 3))  # 0, 1 or 2 wheels
        projects.append(ProjectEntry(name=name, cid=cid(name, directory=True),
                                     dag_size=500 + i, declarations="sha256:" + f"{i:064x}",
                                     index=file_entry(f"<a>{name}</a>"), wheels=wheels))
    return Manifest(profile=PROFILE, source_commit="f" * 40, index=file_entry("root"),
                    projects=tuple(projects))


DEMO_WHEEL = "demo-2.0-py3-none-any.whl"


def demo_manifest() -> Manifest:
    """One project, ``demo``, with one wheel, ``demo-2.0-py3-none-any.whl`` (no dependencies:
    ``ipwhl lock ... demo`` locks it alone)."""
    wheel = WheelEntry(
        filename=DEMO_WHEEL, version="2.0", cid=cid("demo wheel"), size=2000, dag_size=2011,
        sha256=hashlib.sha256(b"demo wheel").hexdigest(), metadata=file_entry("Name: demo\n"),
        requires_python=">=3.8", extras=(), dependencies=(), source=f"index:demo/{DEMO_WHEEL}",
        declaration="sha256:" + "cd" * 32)
    project = ProjectEntry(name="demo", cid=cid("demo", directory=True), dag_size=3000,
                           declarations="sha256:" + "ef" * 32, index=file_entry("<a>demo</a>"),
                           wheels=(wheel,))
    return Manifest(profile=PROFILE, source_commit=None, index=file_entry("root"),
                    projects=(project,))


def edited(manifest: Manifest, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """*manifest*'s canonical bytes with *edit* applied to its JSON (totals left as they
    were), in the canonical layout again: one project a line."""
    raw = json.loads(manifest_bytes(manifest))
    edit(raw)
    return canonical_layout(raw)


def canonical_layout(raw: dict[str, Any]) -> bytes:
    """JSON *raw* laid out as :func:`~ipwhl_checks.publish.manifest.render_manifest` does."""
    compact = json.JSONEncoder(ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode
    lines = []
    for key in sorted(raw):
        value = raw[key]
        if key == "projects" and isinstance(value, dict) and value:
            body = ",\n".join(f"  {compact(name)}: {compact(value[name])}"
                              for name in sorted(value))
            lines.append(f' "projects": {{\n{body}\n }}')
        else:
            lines.append(f" {compact(key)}: {compact(value)}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("ascii")


def demo_wheel(raw: dict[str, Any]) -> dict[str, Any]:
    """The demo manifest's one wheel entry, in its JSON *raw*."""
    entry: dict[str, Any] = raw["projects"]["demo"]["wheels"][DEMO_WHEEL]
    return entry


def rename_demo_wheel(filename: str) -> Callable[[dict[str, Any]], None]:
    def edit(raw: dict[str, Any]) -> None:
        wheels = raw["projects"]["demo"]["wheels"]
        wheels[filename] = wheels.pop(DEMO_WHEEL)
    return edit


def set_demo_wheel(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    def edit(raw: dict[str, Any]) -> None:
        demo_wheel(raw)[key] = value
    return edit


# Hostile issue, item 11: fields whose blocks verify but whose values are not what a
# publish writes; (id, edit of the demo manifest, what the one-line message names)
HOSTILE: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("bad dependency", set_demo_wheel("dependencies", ["dep>=1 ;;; bad"]),
     f"projects.demo.wheels.{DEMO_WHEEL}.dependencies[0]: 'dep>=1 ;;; bad' is not a PEP 508 "
     "requirement"),
    ("path in the file name", rename_demo_wheel("../../evil"),
     "projects.demo.wheels: '../../evil' is not a wheel file name"),
    ("zip file name", rename_demo_wheel("demo-2.0.zip"),
     "projects.demo.wheels: 'demo-2.0.zip' is not a wheel file name"),
    ("bad requires-python", set_demo_wheel("requires-python", ">=3.x"),
     f"projects.demo.wheels.{DEMO_WHEEL}.requires-python: '>=3.x' is not a PEP 440 "
     "specifier set"),
    ("version not the file name's", set_demo_wheel("version", "9.9"),
     f"projects.demo.wheels.{DEMO_WHEEL}.version is '9.9' but the file name says '2.0'"),
]

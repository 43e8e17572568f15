"""``.builds/integration.yml`` runs: its tasks, in order, the way builds.sr.ht runs them
(the machinery of :mod:`tests.test_builds`: a clean clone whose ``data/`` holds a few real
wheels served from 127.0.0.1, this virtual environment, this interpreter)."""

from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

import pytest

from .test_builds import build, load, run_build  # noqa: F401 (the fixture)
from .test_publish import Repo, repo  # noqa: F401 (the fixture)

pytestmark = pytest.mark.slow


def test_integration_manifest_shape() -> None:
    manifest = load("integration.yml")
    assert manifest["image"].startswith("debian/")
    assert [Path(s).name for s in manifest["sources"]] == ["ipwhl"]
    for task in manifest["tasks"]:
        (script,) = task.values()
        assert script.startswith("cd ipwhl\n")
    assert manifest["artifacts"] == ["ipwhl/build/integration.tar.gz"]


def test_integration_manifest_runs(build: tuple[Path, dict[str, str], Path]) -> None:  # noqa: F811
    home, env, _bare = build
    ran = run_build(load("integration.yml"), home, {**env, "IPWHL_PYTHONS": sys.executable})
    assert ran == ["setup", "publish", "integrate"]
    with tarfile.open(home / "ipwhl" / "build" / "integration.tar.gz") as tar:
        (member,) = [m for m in tar.getmembers() if m.isfile()]
        results = json.load(tar.extractfile(member))  # type: ignore[arg-type]
    assert results["format"] == "ipwhl-integration/1"
    assert results["together"]["outcome"] == "passed"
    assert results["summary"] == {"passed": 3, "skipped": 1}

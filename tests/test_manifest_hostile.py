"""A fetched manifest whose blocks verify is still checked in full (Hostile inputs, item 11).

``ipwhl lock`` verifies ``manifest.json`` block by block from the CID down, which proves
only that it is the file the publisher made, not that a publish made it.  A dependency
``"dep>=1 ;;; bad"``, a wheel file name ``"../../evil"`` or ``".zip"``, a requires-python
``">=3.x"`` used to give tracebacks, and a version field of 9.9 on a 2.0 wheel locked
``demo==9.9``.  Each must now be the one line ``<where>: invalid manifest (<what>)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ipwhl_checks.errors import PublishError
from ipwhl_checks.install.lock import lock, requirements_text
from ipwhl_checks.install.resolve import target_environment
from ipwhl_checks.publish.manifest import manifest_bytes, parse_manifest
from ipwhl_checks.publish.previous import read_previous
from ipwhl_checks.repo.settings import Settings

from .gatewayutil import gateway, run_main
from .manifests import HOSTILE, demo_manifest, edited

IDS = [case[0] for case in HOSTILE]


def test_the_demo_manifest_locks() -> None:
    manifest = parse_manifest(manifest_bytes(demo_manifest()), "m.json")
    target = target_environment(Settings(profile=manifest.profile), "current")
    from packaging.requirements import Requirement
    locked = lock(manifest, "http://gw/ipfs/x/", target, [Requirement("demo")])
    assert "demo==2.0 \\\n" in requirements_text(locked, "http://gw/ipfs/x/", "")


@pytest.mark.parametrize(("edit", "message"), [c[1:] for c in HOSTILE], ids=IDS)
def test_a_hostile_field_is_one_line_from_every_reader(
        edit: Callable[[dict[str, Any]], None], message: str) -> None:
    data = edited(demo_manifest(), edit)
    for read in (parse_manifest, read_previous):
        with pytest.raises(PublishError) as error:
            read(data, "m.json")
        assert str(error.value) == f"m.json: invalid manifest ({message})" or str(
            error.value).startswith(f"m.json: invalid manifest ({message} (")
        assert "\n" not in str(error.value)


def _car_of(tmp_path: Path, manifest: bytes) -> tuple[Path, str]:
    """A published tree holding only *manifest* as its manifest.json: (its CAR, root CID)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "manifest.json").write_bytes(manifest)
    car = tmp_path / "site.car"
    done = run_main("car", "--profile", "unixfs-v1-2025", str(site), "-o", str(car))
    assert done.returncode == 0, done.stderr
    return car, done.stdout.split()[-1]


def test_ipwhl_lock_locks_the_demo_manifest(tmp_path: Path) -> None:
    car, root = _car_of(tmp_path, manifest_bytes(demo_manifest()))
    with gateway(car) as (host, _log):
        done = run_main("lock", "--cid", root, "--gateway", f"http://{host}", "--env",
                        "current", "demo")
    assert done.returncode == 0, done.stderr
    assert "\ndemo==2.0 \\\n" in done.stdout


@pytest.mark.parametrize(("edit", "message"), [c[1:] for c in HOSTILE], ids=IDS)
def test_ipwhl_lock_refuses_a_hostile_manifest_in_one_line(
        tmp_path: Path, edit: Callable[[dict[str, Any]], None], message: str) -> None:
    car, root = _car_of(tmp_path, edited(demo_manifest(), edit))
    with gateway(car) as (host, _log):
        done = run_main("lock", "--cid", root, "--gateway", f"http://{host}", "--env",
                        "current", "demo")
    where = f"http://{host}/ipfs/{root}/manifest.json"
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"ipwhl lock: {where}: invalid manifest ({message}")
    assert done.stderr.count("\n") == 1

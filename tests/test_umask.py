"""Every file the tool creates gets the permissions a plain ``open`` (``mkdir``) gives under
the umask (issue 15), never tempfile's private 0600/0700 nor a fixed 0644.

One test per command that writes files, under umasks 027 and 002 (not the usual 022, so a
hard-coded mode shows).  The tests live beside their command's fixtures; :data:`WRITERS`
names each, and :data:`WRITES_NOTHING` the commands that write no file but the wheel cache
(whose test is :data:`CACHE`), so that a new command must be put in one of them.
"""

from __future__ import annotations

import importlib

import pytest

from ipwhl_checks.cli import COMMANDS, main

from .conftest import made_by_a_plain_open, umask
from .test_publish import Repo, repo  # noqa: F401 (the fixture)

WRITERS = {  # command -> the test of the files it writes, under a umask
    "publish": "test_umask.test_publish_outputs_get_the_permissions_of_the_umask",
    "release": "test_release.test_release_outputs_get_the_permissions_of_the_umask",
    "car": "test_car.test_the_car_gets_the_permissions_of_the_umask",
    "add": "test_add.test_declarations_get_the_permissions_of_the_umask",
    "fmt": "test_fmt.test_fmt_keeps_the_mode_of_the_files_it_rewrites",
    "lock": "test_lock.test_the_lock_gets_the_permissions_of_the_umask",
    "use": "test_use.test_pip_configuration_gets_the_permissions_of_the_umask",
    "integrate": "test_integrate.test_the_results_get_the_permissions_of_the_umask",
    "upgrade": "test_upgrade.test_declarations_get_the_permissions_of_the_umask",
    "coverage": "test_coverage.test_the_page_gets_the_permissions_of_the_umask",
}
# (check --online, add, outdated, coverage, publish, release and verify fill the wheel
# cache)
WRITES_NOTHING = {"check", "resolve", "cid", "outdated", "verify", "serve", "diff"}
CACHE = "test_fetch.test_cache_files_get_the_permissions_of_the_umask"


def test_every_command_that_writes_has_a_umask_test() -> None:
    assert set(WRITERS) | WRITES_NOTHING == set(COMMANDS)
    assert not set(WRITERS) & WRITES_NOTHING
    for test in [*WRITERS.values(), CACHE]:
        module, name = test.split(".")
        assert callable(getattr(importlib.import_module(f"tests.{module}"), name, None)), test


@pytest.mark.parametrize("mask", [0o027, 0o002], ids=["027", "002"])
def test_publish_outputs_get_the_permissions_of_the_umask(repo: Repo, mask: int) -> None:  # noqa: F811
    """The tree (its directories, pages, wheels, manifest), the CAR, the directories made
    for them and the wheel cache it filled."""
    site, car = repo.root / "new" / "site", repo.root / "other" / "x.car"
    with umask(mask):
        assert main(["publish", "--root", str(repo.data), "--out", str(site),
                     "--car", str(car)]) == 0
    assert (site / "manifest.json").is_file() and car.is_file()
    cache = repo.root.parent / "cache"
    assert any(cache.rglob("*.whl"))
    assert made_by_a_plain_open(repo.root / "new", repo.root / "other", cache,
                                mask=mask) == {}

"""The browse site in a real browser: headless Chromium (Debian's package, driven by the
npm playwright-core, ``tests/browse_check.mjs``) against ``ipwhl serve`` on 127.0.0.1.

The search finds a project and its result opens the project's page; a matrix cell names
the wheel pip itself downloads for that environment (``pip download --platform``, a truth
we did not produce) and its link serves it; every link of the tree, from the root page
and the front page, answers 200; the same tree opened as files searches too; no page
logs an error (a stylesheet or script of the wrong type, say).  Screenshots of the front
page, a search and a project page go to ``build/screenshots/``.

``.ci/setup`` installs Chromium (``apt-get install chromium``) and playwright-core; the
tests are skipped, saying why, where either is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ipwhl_checks.publish.browse import page_path
from ipwhl_checks.publish.build import PublishOptions, publish

from .browseutil import build_site_repo, integration_extra
from .gatewayutil import serve_process

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".ci"
SCRIPT = Path(__file__).with_name("browse_check.mjs")
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _missing() -> str:
    if shutil.which("node") is None:
        return "needs node (.ci/setup)"
    if not (CI / "node_modules" / "playwright-core").is_dir():
        return "needs playwright-core in .ci/node_modules (bash .ci/setup)"
    if not os.access(CHROMIUM, os.X_OK):
        return "needs Chromium (bash .ci/setup runs apt-get install chromium, as root)"
    return ""


pytestmark = [pytest.mark.skipif(bool(_missing()), reason=_missing() or "-"), pytest.mark.slow]


def browse_check(config: dict[str, object]) -> dict[str, object]:
    with SCRIPT.open("rb") as script:
        done = subprocess.run(["node", "--input-type=module", "-", json.dumps(config)],
                              cwd=CI, stdin=script, capture_output=True, text=True,
                              timeout=240)
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def pip_download(index: str, project: str, python: str, platform: str, dest: Path) -> str:
    """The wheel pip downloads for *project* on CPython *python* on *platform*."""
    dest.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--isolated", "--no-deps", "-q",
         "--disable-pip-version-check", "--only-binary=:all:", "--implementation", "cp",
         "--python-version", python, "--platform", platform, "--index-url", index,
         "-d", str(dest), project], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (wheel,) = dest.iterdir()
    return wheel.name


def test_the_site_in_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = build_site_repo(tmp_path)
    car, out = tmp_path / "site.car", tmp_path / "site"
    result = publish(data, PublishOptions(allow_file=True, car=car, out=out,
                                          extra=integration_extra()))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve_process(car) as (_proc, host, _log):
        base = f"http://{host}/ipfs/{result.root_cid}/"
        report = browse_check({
            "chromium": CHROMIUM, "base": base, "file": out.as_uri() + "/",
            "query": "humans",  # webkit-lite's summary: "Python HTTP for Humans."
            "cell": [page_path("fastcore"), "cp312-manylinux_2_28_x86_64"],
            "shots": str(SHOTS), "shot_page": page_path("webkit-lite")})
        pip_wheel = pip_download(base, "fastcore", "3.12", "manylinux_2_28_x86_64",
                                 tmp_path / "pip")
    assert report["errors"] == []
    assert report["search"] == {
        "found": "webkit-lite", "url": base + "_browse/" + page_path("webkit-lite"),
        "title": "webkit-lite 1.4"}
    cell = report["cell"]
    assert isinstance(cell, dict)
    assert cell["wheel"] == pip_wheel == "fastcore-2.0-cp312-cp312-manylinux_2_28_x86_64.whl"
    assert cell["href"] == base + "fastcore/" + pip_wheel
    assert (cell["status"], cell["type"]) == (200, "application/zip")
    assert report["broken"] == []
    # every file of the tree but the search index and the state (no page links them:
    # site.js loads the one, the next publish reads the other) is reached by a link
    crawled = {url.removeprefix(base) for url in report["crawled"]}  # type: ignore[attr-defined]
    crawled = {u + "index.html" if u.endswith("/") or not u else u for u in crawled}
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert crawled == {f for f in files if not f.startswith(("_browse/search/",
                                                             "_browse/site.json"))}
    assert report["external"] != 0  # the projects' own links, not followed
    assert report["file_search"] == {
        "url": (out / "_browse" / page_path("webkit-lite")).as_uri(), "title": "webkit-lite 1.4"}
    assert report["shots"] == ["front.png", "search.png", "project.png"]
    for name in ("front.png", "search.png", "project.png"):
        assert (SHOTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""Integration results travel with the release: ``ipwhl release --integration`` publishes
them as ``/integration/<environment>.json``, shows them on the site's project pages and
names them (and the site) in the signed tag; ``ipwhl verify`` links them and the site into
the recomputed root or, through a gateway, fetches them, checks that they were made for
that tree and makes the site again from them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ipwhl_checks.cli import main
from ipwhl_checks.publish.browse import page_path
from ipwhl_checks.release.integration import parse_tag_lines
from ipwhl_checks.release.tag import parse_tag_message

from .gatewayutil import gateway, get
from .test_publish import Repo, repo  # noqa: F401 (the fixture)
from .test_release import run, signed  # noqa: F401 (the fixture)

pytestmark = pytest.mark.slow


def test_release_carries_and_verify_checks_the_results(
        signed: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    code, out, err = run(capsys, "publish", "--root", "data", "--out", str(tmp_path / "site"))
    assert code == 0, err
    results = tmp_path / "results.json"
    code, out, err = run(capsys, "integrate", "--site", str(tmp_path / "site"), "--root",
                         "data", "--json", str(results))
    assert code == 0, out
    document = json.loads(results.read_text())
    environment = document["environment"]

    # results of another tree are refused, and nothing is left behind
    other = tmp_path / "other.json"
    other.write_text(results.read_text().replace(document["manifest-cid"], "bafkreiother"))
    code, out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-1",
                         "--integration", str(other), "--car", str(tmp_path / "x.car"))
    assert code == 1 and "integration results are of manifest bafkreiother" in err
    assert not (tmp_path / "x.car").exists()

    car = tmp_path / "release.car"
    code, out, err = run(capsys, "release", "--root", "data", "--tag", "ipwhl-2",
                         "--integration", str(results), "--car", str(car))
    assert code == 0, err
    root_cid = out[-1]
    assert f"integration: {environment}: 3 passed, 1 skipped" in out
    message = subprocess.run(["git", "cat-file", "tag", "ipwhl-2"], capture_output=True,
                             text=True, check=True).stdout
    [(env, cid, _size, counts)] = parse_tag_lines(message)
    assert (env, counts) == (environment, {"passed": 3, "skipped": 1})
    site = parse_tag_message(message).site
    assert site is not None

    code, out, err = run(capsys, "verify", "ipwhl-2")
    assert code == 0, err
    assert out[-1] == root_cid
    assert f"integration: {environment}: 3 passed, 1 skipped ({cid}, linked by CID)" in out
    assert any(line.startswith(f"site: {site[0]} (linked by CID") for line in out)
    with gateway(car) as (host, _log):
        code, out, err = run(capsys, "verify", "ipwhl-2", "--gateway", f"http://{host}")
        # the project pages show each project's outcome, and link the results
        status, _headers, page = get(host, f"/ipfs/{root_cid}/_browse/{page_path('beta')}")
    assert code == 0, err
    assert f"integration: {environment}: 3 passed, 1 skipped ({cid}, checked)" in out
    assert not any(line.startswith("site: ") for line in out)  # made again, the same CID
    outcome = document["projects"]["beta"]["outcome"]
    assert status == 200 and f'<tr data-env="{environment}">'.encode() in page
    assert f">{outcome}</span>".encode() in page
    assert f"../../../integration/{environment}.json".encode() in page
    assert main(["car", "--verify", str(car)]) == 0

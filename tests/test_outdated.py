"""``ipwhl outdated`` against a real local index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwhl_checks.cli import main as ipwhl
from ipwhl_checks.repo.fmt import render
from ipwhl_checks.repo.layout import declaration_path
from ipwhl_checks.unixfs import file_cid

from .conftest import new_data_root, run_ipwhl, without_summary
from .indexserver import IndexServer, use_index
from .wheelmaker import make_wheel

SETTINGS = ("profile = 'unixfs-v1-2025'\npython = ['3.11', '3.12']\n"
            "platforms = ['manylinux_2_28_x86_64', 'win_amd64']\n")
LINUX = "cp312-cp312-manylinux_2_28_x86_64"
# numpy-like binary releases: one wheel per CPython and platform, older Pythons dropped
CP = {py: [f"cp{py}-cp{py}-manylinux_2_28_x86_64", f"cp{py}-cp{py}-win_amd64"]
      for py in ("311", "312", "313")}
ABI3 = ["cp311-abi3-manylinux_2_28_x86_64", "cp311-abi3-win_amd64"]
# name, version, tag, requires-python, yanked
CATALOGUE = [
    ("alpha", "1.0", "py3-none-any", None, False),
    ("alpha", "1.1", "py3-none-any", None, False),  # the newest with wheels everywhere
    ("alpha", "1.2", "py3-none-any", None, True),  # yanked
    ("alpha", "2.0", LINUX, None, False),  # Linux only
    ("alpha", "2.1rc1", "py3-none-any", None, False),  # a pre-release
    ("beta", "3.0", "py3-none-any", None, False),  # up to date
    ("gamma", "0.5", "py3-none-win_amd64", None, False),  # Windows-only helper
    ("gamma", "0.6", "py3-none-win_amd64", None, False),
    ("delta", "1.0", "py3-none-any", None, False),
    ("delta", "2.0", "py3-none-any", ">=3.12", False),  # drops 3.11: not an upgrade
    ("epsilon", "1.0b1", "py3-none-any", None, False),
    ("epsilon", "1.0b2", "py3-none-any", None, False),  # declared a pre-release: counts
    *[("zeta", "1.0", t, ">=3.11", False) for t in CP["311"] + CP["312"]],
    *[("zeta", "1.1", t, ">=3.11", False) for t in CP["311"] + CP["312"]],  # the newest ...
    # ... for zeta 2.0 dropped Python 3.11 (no cp311 wheels): not an upgrade
    *[("zeta", "2.0", t, ">=3.12", False) for t in CP["312"] + CP["313"]],
    *[("eta", "1.0", t, ">=3.11", False) for t in ABI3],
    # abi3 wheels whose tags would install on 3.11, but requires-python excludes it
    *[("eta", "2.0", t, ">=3.12", False) for t in ABI3],
    ("theta", "1.0", "py3-none-any", None, False),
    ("theta", "2.0", "py3-none-any", None, False),  # requires a beta the tree lacks
]
REQUIRES = {("theta", "2.0"): ("beta>=4",)}
DECLARED = ["alpha-1.0-py3-none-any.whl", "beta-3.0-py3-none-any.whl",
            "gamma-0.5-py3-none-win_amd64.whl", "delta-1.0-py3-none-any.whl",
            "epsilon-1.0b1-py3-none-any.whl",
            *[f"zeta-1.0-{t}.whl" for t in CP["311"] + CP["312"]],
            *[f"eta-1.0-{t}.whl" for t in ABI3],
            "theta-1.0-py3-none-any.whl", "gone-1.0-py3-none-any.whl"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    tmp = tmp_path_factory.mktemp("outdated")
    with IndexServer(tmp / "index") as server:
        for name, version, tag, rp, yanked in CATALOGUE:
            wheel = make_wheel(tmp / "w", name, version, tag=tag, requires_python=rp,
                               dependencies=REQUIRES.get((name, version), ()))
            server.publish(wheel, requires_python=rp, yanked=yanked)
        yield server


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer) -> Path:
    use_index(monkeypatch, tmp_path, index)
    data = new_data_root(tmp_path, SETTINGS)
    some = make_wheel(tmp_path, "gone", "1.0")  # "gone" is not on the index at all
    for filename in DECLARED:
        wheel = index.root / "files" / filename
        path = declaration_path(data, filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        cid = file_cid(wheel if wheel.exists() else some, "unixfs-v1-2025")[0]
        path.write_text(render(f"index:{filename.split('-')[0]}/{filename}", cid, None, [], []))
    return data


EXPECTED = [("alpha", "1.0", "1.1"), ("epsilon", "1.0b1", "1.0b2"), ("gamma", "0.5", "0.6"),
            ("zeta", "1.0", "1.1")]  # not delta, eta, zeta 2.0: they dropped Python 3.11
DROPS_311 = "requires-python >=3.12 leaves out Python 3.11"
HELD = [  # project, declared, newest, why, the release it can move to
    ("alpha", "1.0", "2.0", "no wheel for cp311-{manylinux_2_28_x86_64,win_amd64}, "
                            "cp312-win_amd64", "1.1"),
    ("delta", "1.0", "2.0", DROPS_311, None),
    ("eta", "1.0", "2.0", DROPS_311, None),  # its abi3 wheels' tags would install on 3.11
    ("zeta", "1.0", "2.0", DROPS_311, "1.1"),
    # its newer release's own requirement (its METADATA), not met by the tree's beta
    ("theta", "1.0", "2.0", "it requires beta>=4 and the repository's beta is 3.0", None),
]


def _text(held_only: bool = False) -> str:
    lines = [] if held_only else [(p, 0, f"{p} {a} -> {b}") for p, a, b in EXPECTED]
    lines += [(p, 1, f"{p} {a} ({n} held: {why})") for p, a, n, why, _ in HELD]
    return "".join(f"{line}\n" for _p, _o, line in sorted(lines))


def test_outdated_text(root: Path, index: IndexServer,
                       capsys: pytest.CaptureFixture[str]) -> None:
    assert ipwhl(["outdated", "--root", str(root)]) == 1
    out, err = capsys.readouterr()
    assert out == _text()
    err = without_summary(err)
    assert err == (f"ipwhl outdated: gone: no project 'gone' on {index.index_url} (HTTP 404 "
                   f"for {index.index_url}gone/)\n")


def test_outdated_json_as_a_user_runs_it(root: Path) -> None:
    (declaration_path(root, DECLARED[-1])).unlink()  # without "gone": exit 0
    result = run_ipwhl("outdated", "--json", "--root", str(root))
    assert (result.returncode, without_summary(result.stderr)) == (0, "")
    objects = {p: {"project": p, "declared": a, "latest": b} for p, a, b in EXPECTED}
    for p, a, newest, why, latest in HELD:
        objects.setdefault(p, {"project": p, "declared": a, "latest": latest})["held"] = {
            "version": newest, "reason": why}
    assert json.loads(result.stdout) == [objects[p] for p in sorted(objects)]


def test_held_only(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (declaration_path(root, DECLARED[-1])).unlink()
    assert ipwhl(["outdated", "--held", "--root", str(root)]) == 0
    assert capsys.readouterr().out == _text(held_only=True)


def test_index_url_flag_wins(root: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/nothing/")
    (declaration_path(root, DECLARED[-1])).unlink()
    assert ipwhl(["outdated", "--root", str(root), "--index-url", index.index_url]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "alpha 1.0 -> 1.1"

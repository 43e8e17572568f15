"""End to end: publish real wheels, serve the CAR with ``ipwhl serve``, install with real
clients (pip, then uv) into fresh virtual environments.

The gateway's log is the witness: the clients resolve from the PEP 658 ``.metadata``
files, so the only wheels downloaded are the ones installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from multiformats import CID, multihash

from .gatewayutil import INSTALLED, publish_repo, serve_process, wait_for_log

pytestmark = pytest.mark.slow

UV = Path(sys.executable).with_name("uv")
_WHEEL_GET = re.compile(r'"GET /ipfs/\S+/([^/\s]+\.whl)" (\d+)')


@pytest.fixture(scope="module")
def repo(tmp_path_factory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("e2e")
    car, root, wheels = publish_repo(base)
    with serve_process(car) as (_proc, host, log):
        yield {"car": car, "root": root, "wheels": wheels, "log": log, "base": base,
               "url": f"http://{host}/ipfs/{root}/"}


def fresh_venv(path: Path) -> Path:
    """A new virtual environment without pip (the clients install into it from outside)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True,
                   timeout=120)
    return path / "bin" / "python"


def installed(python: Path) -> dict[str, str]:
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True,
                         cwd=python.parent)  # not the checkout: it has an .egg-info
    return dict(json.loads(out.stdout))


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No PIP_*/UV_* variables and no user configuration from this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_CACHE_HOME=str(home / ".cache"), **extra)
    return env


def pip_install(python: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # --isolated: no configuration files or PIP_* variables; --python: install into the
    # fresh environment with the pip of this one.
    return subprocess.run([sys.executable, "-m", "pip", "--isolated", "--python", str(python),
                           "install", "--no-cache-dir", "--disable-pip-version-check",
                           "--retries", "0", *args],
                          capture_output=True, text=True, timeout=300,
                          env=clean_env(home, PIP_CONFIG_FILE=os.devnull))


def uv_install(python: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(home, UV_CACHE_DIR=str(home / "uv-cache"), UV_NO_CONFIG="1",
                    UV_PYTHON_DOWNLOADS="never", UV_HTTP_RETRIES="0")  # a 502 is final here
    return subprocess.run([str(UV), "pip", "install", "--no-config", "--python", str(python),
                           *args], capture_output=True, text=True, timeout=300, env=env)


def wheel_downloads(log: list[str], start: int) -> dict[str, int]:
    return {m[1]: int(m[2]) for line in log[start:] if (m := _WHEEL_GET.search(line))}


def wanted_files() -> set[str]:
    return {f"{name}-{version}-py3-none-any.whl" for name, version in INSTALLED.items()}


@pytest.mark.parametrize("client", ["pip", "uv"])
def test_install_with_dependencies(repo, tmp_path, client) -> None:  # type: ignore[no-untyped-def]
    python = fresh_venv(tmp_path / "venv")
    start = len(repo["log"])
    install = pip_install if client == "pip" else uv_install
    done = install(python, tmp_path, "--index-url", repo["url"], "app")
    assert done.returncode == 0, done.stderr
    got = installed(python)
    wait_for_log(repo["log"], "tiny-1.0-py3-none-any.whl\" 200", start)
    assert {k.lower(): v for k, v in got.items()} == INSTALLED
    check = subprocess.run([str(python), "-c", "import app, lib; print(lib.__version__)"],
                           capture_output=True, text=True, check=True)
    assert check.stdout.strip() == "2.0"
    # Resolved from the .metadata files: every wheel fetched is one that was installed.
    downloads = wheel_downloads(repo["log"], start)
    assert set(downloads) == wanted_files() and set(downloads.values()) == {200}
    assert any("app-1.0-py3-none-any.whl.metadata" in line for line in repo["log"][start:])


def test_index_pages_carry_the_hashes_pip_checks(repo) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import urllib.request

    for filename, path in repo["wheels"].items():
        project = filename.split("-")[0]
        with urllib.request.urlopen(repo["url"] + f"{project}/") as page:
            html = page.read().decode()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f'{filename}#sha256={digest}"' in html


def _leaf_cid(data: bytes) -> str:
    return str(CID("base32", 1, "raw", multihash.digest(data, "sha2-256")))


@pytest.mark.parametrize("client", ["pip", "uv"])
def test_tampered_wheel_is_refused(repo, tmp_path, client) -> None:  # type: ignore[no-untyped-def]
    """One flipped byte in lib-2.0's block: the gateway answers 502 naming the block, the
    client fails loudly and nothing is installed."""
    wheel = repo["wheels"]["lib-2.0-py3-none-any.whl"].read_bytes()
    data = bytearray(repo["car"].read_bytes())
    at = data.find(wheel)
    assert at > 0  # a small wheel is one raw block, stored as is
    data[at + len(wheel) // 2] ^= 0x01
    bad = tmp_path / "tampered.car"
    bad.write_bytes(bytes(data))
    python = fresh_venv(tmp_path / "venv")
    install = pip_install if client == "pip" else uv_install
    with serve_process(bad) as (_proc, host, log):
        done = install(python, tmp_path, "--index-url", f"http://{host}/ipfs/{repo['root']}/",
                       "app")
        text = wait_for_log(log, "lib-2.0-py3-none-any.whl\" 502")
    assert done.returncode != 0
    assert "502" in done.stderr or "Bad Gateway" in done.stderr, done.stderr
    assert 'lib-2.0-py3-none-any.whl" 502' in text and _leaf_cid(wheel) in text
    assert not {k.lower() for k in installed(python)} & set(INSTALLED)


def test_incremental_release_served_from_two_cars(repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A new release published with --previous is a delta CAR; served beside the first CAR,
    the new root installs, taking unchanged blocks from the old CAR."""
    import shutil
    import urllib.request
    from dataclasses import replace

    from ipwhl_checks.unixfs import file_cid

    from .declmaker import declaration, write_tree
    from .gatewayutil import publish
    from .wheelmaker import make_wheel

    data = tmp_path / "data"
    shutil.copytree(repo["base"] / "data", data)
    wheel = make_wheel(tmp_path / "wheels", "tiny", "1.1")
    decl = replace(declaration(wheel.name), source=wheel.resolve().as_uri(),
                   content_id=file_cid(wheel, "unixfs-v1-2025")[0])
    write_tree(data, [decl], pythons=("3.11", "3.12"),
               platforms=("manylinux_2_28_x86_64", "win_amd64"))
    previous = tmp_path / "manifest.json"
    # the previous release's manifest and, where --out would have it, its site's state
    for name in ("manifest.json", "_browse/site.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        with urllib.request.urlopen(repo["url"] + name) as response:
            (tmp_path / name).write_bytes(response.read())
    delta = tmp_path / "delta.car"
    done = subprocess.run([sys.executable, "-m", "ipwhl_checks", "publish", "--root", str(data),
                           "--car", str(delta), "--previous", str(previous), "--allow-file"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    new_root = done.stdout.strip().splitlines()[-1]
    assert new_root == publish(data, tmp_path / "full.car")  # the same tree, published whole
    assert delta.stat().st_size < repo["car"].stat().st_size / 2
    python = fresh_venv(tmp_path / "venv")
    with serve_process(repo["car"], delta) as (_proc, host, _log):
        done = uv_install(python, tmp_path, "--index-url", f"http://{host}/ipfs/{new_root}/",
                          "app")
    assert done.returncode == 0, done.stderr
    assert {k.lower(): v for k, v in installed(python).items()} == {**INSTALLED, "tiny": "1.1"}

"""``ipwhl lock``: hash-checking locks from a published CID, installed by real clients.

Truths we did not produce: the wheel files' sha256 (hashlib over the files on disk), pip's
``--require-hashes`` mode and uv reading the PEP 751 ``pylock.toml``.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import threading
import tomllib
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from packaging.markers import Marker

from .conftest import made_by_a_plain_open, umask
from .gatewayutil import INSTALLED, publish_repo, run_main, serve_process
from .test_install_e2e import fresh_venv, installed, pip_install, uv_install

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def repo(tmp_path_factory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("lock")
    car, root, wheels = publish_repo(base)
    with serve_process(car) as (_proc, host, log):
        yield {"root": root, "wheels": wheels, "gateway": f"http://{host}", "log": log}


def ipwhl_lock(repo, *args: str, cid: str | None = None) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return run_main("lock", "--cid", cid or repo["root"], "--gateway", repo["gateway"], *args)


def sha256(repo, filename: str) -> str:  # type: ignore[no-untyped-def]
    return hashlib.sha256(repo["wheels"][filename].read_bytes()).hexdigest()


@pytest.mark.parametrize("env", ["current", "cp312-win_amd64", "cp311-manylinux_2_28_x86_64"])
def test_requirements_lock_installs_with_require_hashes(repo, tmp_path, env) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "requirements.txt"
    done = ipwhl_lock(repo, "--env", env, "-o", str(out), "app")
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert f"--index-url {repo['gateway']}/ipfs/{repo['root']}/\n" in text
    for name, version in INSTALLED.items():
        filename = f"{name}-{version}-py3-none-any.whl"
        assert f"{name}=={version} \\\n    --hash=sha256:{sha256(repo, filename)}\n" in text
    assert text.count("--hash=") == len(INSTALLED)
    if env != "current":
        return
    python = fresh_venv(tmp_path / "venv")
    done = pip_install(python, tmp_path, "--no-deps", "--require-hashes", "-r", str(out))
    assert done.returncode == 0, done.stderr
    assert {k.lower(): v for k, v in installed(python).items()} == INSTALLED


def test_pylock_installs_with_uv(repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pylock.toml"
    done = ipwhl_lock(repo, "--env", "current", "--format", "pylock", "-o", str(out), "app")
    assert done.returncode == 0, done.stderr
    lock = tomllib.loads(out.read_text())
    assert lock["lock-version"] == "1.0"
    # where it holds, as for a named environment: this interpreter's Python and machine
    [environment] = lock["environments"]
    assert Marker(environment).evaluate()
    assert f"python_version == '{sys.version_info[0]}.{sys.version_info[1]}'" in environment
    got = {p["name"]: p["version"] for p in lock["packages"]}
    assert got == INSTALLED
    for package in lock["packages"]:
        [wheel] = package["wheels"]
        assert wheel["hashes"] == {"sha256": sha256(repo, wheel["name"])}
        assert wheel["size"] == repo["wheels"][wheel["name"]].stat().st_size
        with urllib.request.urlopen(wheel["url"]) as response:  # the URL serves those bytes
            assert hashlib.sha256(response.read()).hexdigest() == wheel["hashes"]["sha256"]
    python = fresh_venv(tmp_path / "venv")
    done = uv_install(python, tmp_path, "-r", str(out))
    assert done.returncode == 0, done.stderr
    assert {k.lower(): v for k, v in installed(python).items()} == INSTALLED


@pytest.mark.parametrize(("env", "expected"), [
    ("cp312-win_amd64",
     "python_version == '3.12' and sys_platform == 'win32' and platform_machine == 'AMD64'"),
    ("cp311-manylinux_2_28_x86_64",
     "python_version == '3.11' and sys_platform == 'linux' and platform_machine == 'x86_64'"),
])
def test_pylock_says_where_it_holds(repo, tmp_path, env, expected) -> None:  # type: ignore[no-untyped-def]
    """PEP 751 ``environments``: the markers of the environment locked for (``current``:
    see test_pylock_installs_with_uv)."""
    out = tmp_path / "pylock.toml"
    done = ipwhl_lock(repo, "--env", env, "--format", "pylock", "-o", str(out), "app")
    assert done.returncode == 0, done.stderr
    assert tomllib.loads(out.read_text())["environments"] == [expected]


def test_an_older_python_gets_an_older_install_set(repo) -> None:  # type: ignore[no-untyped-def]
    # lib 2.0 needs Python >= 3.8, so on 3.7 the resolver backtracks to app 0.9 + lib 1.0.
    done = ipwhl_lock(repo, "--env", "cp37-manylinux_2_28_x86_64", "app")
    assert done.returncode == 0, done.stderr
    pins = [line.split(" ")[0] for line in done.stdout.splitlines() if "==" in line]
    assert pins == ["app==0.9", "lib==1.0"]


FAILURES = [  # arguments, exit status, part of the one-line message
    (["--env", "current", "nothere"], 1, "'nothere' is not in the repository"),
    (["--env", "cp37-manylinux_2_28_x86_64", "app>=1"], 1, "no install set on cp37"),
    (["--env", "current", "app>=2"], 1, "cannot be met"),
    (["--env", "cp312-manylinux_2_28_x86_64", "later"], 1, "no install set on "
     "cp312-manylinux_2_28_x86_64: 'later' has no wheel for cp312-manylinux_2_28_x86_64 (the "
     "repository's later 1.0 covers py3-none-any)"),
    (["--env", "cp27-manylinux_2_28_x86_64", "tiny"], 2, "unknown environment "
     "'cp27-manylinux_2_28_x86_64'"),
    (["--env", "current", "app!!"], 2, "is not a valid requirement"),
    (["--env", "current", "--format", "pylock", "-o", "lock.toml", "app"], 2, "pylock.toml"),
    (["--env", "nowhere", "app"], 2, "unknown environment 'nowhere'"),
]


@pytest.mark.parametrize(("args", "status", "message"), FAILURES)
def test_lock_failures_are_one_line(repo, args, status, message) -> None:  # type: ignore[no-untyped-def]
    done = ipwhl_lock(repo, *args)
    assert done.returncode == status
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_gateway_that_is_not_there_is_one_line(repo) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:  # a port nothing listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = run_main("lock", "--cid", repo["root"], "--gateway", f"http://127.0.0.1:{port}",
                    "--env", "current", "app")
    assert (done.returncode, done.stderr) == (1, (
        f"ipwhl lock: http://127.0.0.1:{port}/ipfs/{repo['root']}/manifest.json: cannot fetch "
        "(connection failed: Connection refused)\n"))


def test_unknown_cid_is_one_line(repo) -> None:  # type: ignore[no-untyped-def]
    other = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    done = ipwhl_lock(repo, "--env", "current", "app", cid=other)
    assert done.returncode == 1 and "HTTP 404" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_lying_gateway_cannot_change_the_lock(repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A gateway that alters one byte of the manifest's CAR: the lock fails, naming the block."""
    url = f"{repo['gateway']}/ipfs/{repo['root']}/manifest.json?format=car"
    with urllib.request.urlopen(url) as response:
        car = bytearray(response.read())
    at = car.find(b'"projects"')
    assert at > 0
    car[at + 2] ^= 0x01

    class Liar(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.ipld.car")
            self.send_header("Content-Length", str(len(car)))
            self.end_headers()
            self.wfile.write(bytes(car))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ipwhl_checks", "lock", "--cid", repo["root"], "--gateway",
             f"http://127.0.0.1:{server.server_address[1]}", "--env", "current", "app"],
            capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1 and done.stdout == ""
    assert "does not match its CID" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("mask", [0o027, 0o002], ids=["027", "002"])
@pytest.mark.parametrize("form", ["requirements", "pylock"])
def test_the_lock_gets_the_permissions_of_the_umask(repo, tmp_path, mask, form) -> None:  # type: ignore[no-untyped-def]
    """What a plain ``open`` gives under the umask, as every file the tool creates."""
    out = tmp_path / ("pylock.toml" if form == "pylock" else "requirements.txt")
    with umask(mask):
        done = ipwhl_lock(repo, "--env", "cp312-win_amd64", "--format", form, "-o", str(out),
                          "app")
    assert done.returncode == 0, done.stderr
    assert made_by_a_plain_open(out, mask=mask) == {}

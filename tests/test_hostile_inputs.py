"""The recipes of the issue "Hostile inputs", run as a user runs them: a small tree
``r/data`` (CPython 3.12 on win_amd64), wheels from tests/wheelmaker.py, a real index on
127.0.0.1 (tests/indexserver.py), real git for a signed tag.  Each first reproduced what the
issue reports; each now asserts the refusal, in one line, with nothing written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwhl_checks.cli import main
from ipwhl_checks.repo.fmt import render
from ipwhl_checks.repo.layout import declaration_path
from ipwhl_checks.unixfs import file_cid

from .conftest import run_ipwhl
from .indexserver import IndexServer, use_index
from .wheelmaker import make_wheel

SETTINGS = "profile = 'unixfs-v1-2025'\npython = ['3.12']\nplatforms = ['win_amd64']\n"
PROFILE = "unixfs-v1-2025"
DEMO = "demo-1.0-py3-none-any.whl"
EVIL = "evil-1.0-py3-none-any.whl"
SNEAKY = "sneaky-1.0-py3-none-any.whl"
PASSWORD = "s3cretpw"


@pytest.fixture(scope="module", params=[True, False], ids=["json", "html"])
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[IndexServer]:
    """demo's page; sneaky's page also links evil's wheel (PEP 691 JSON, or PEP 503 HTML)."""
    tmp = tmp_path_factory.mktemp("index")
    with IndexServer(tmp / "index", json=request.param) as server:
        server.publish(make_wheel(tmp / "w", "demo", "1.0"))
        server.publish(make_wheel(tmp / "w", "sneaky", "1.0"))
        server.publish(make_wheel(tmp / "w", "evil", "1.0"), page="sneaky")
        yield server


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: IndexServer) -> Path:
    use_index(monkeypatch, tmp_path, index)
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "r" / "data"
    root.mkdir(parents=True)
    (root / "repository.toml").write_text(SETTINGS)
    return root


def declare(data: Path, index: IndexServer, filename: str, source: str, *,
            wheel: str | None = None) -> Path:
    """Write the declaration of *filename* with *source* and the CID of the served *wheel*
    (default: *filename*), the way a curator's hand (or an old ``add``) would."""
    path = declaration_path(data, filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    cid = file_cid(index.root / "files" / (wheel or filename), PROFILE)[0]
    path.write_text(render(source, cid, None, [], []))
    return path


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# -- 1. publish --out deletes an unrelated directory holding a manifest.json ---------------

def test_publish_out_refuses_a_directory_it_did_not_publish(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add", "--root", str(data), "demo==1.0"]) == 0
    ext = tmp_path / "ext"
    (ext / "icons").mkdir(parents=True)
    (ext / "manifest.json").write_text('{"manifest_version": 3}\n')
    (ext / "background.js").write_text("x\n")
    before = tree(ext)
    capsys.readouterr()
    assert main(["publish", "--root", "r/data", "--out", "ext"]) == 1
    assert capsys.readouterr().err == (
        "ipwhl publish: ext: exists and is not a published tree (manifest.json: invalid "
        "manifest (format None, expected 'ipwhl-manifest/1')); refusing to replace it\n")
    assert tree(ext) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "ext", "r"]


def test_publish_out_replaces_only_what_its_manifest_names(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add", "--root", str(data), "demo==1.0"]) == 0
    assert main(["publish", "--root", "r/data", "--out", "site"]) == 0
    assert main(["publish", "--root", "r/data", "--out", "site"]) == 0  # its own tree
    capsys.readouterr()
    for extra, said in [("site/notes.txt", "'notes.txt' is not in its manifest.json"),
                        ("site/demo/notes.txt", "'demo/notes.txt' is not in its manifest.json"),
                        # the site's entries are those its site.json names
                        ("site/_browse/notes.txt", "'_browse/notes.txt' is not in its site.json"),
                        ("site/_browse/p/notes.html",
                         "'_browse/p/notes.html' is not in its site.json"),
                        ("site/_browse/search/notes.js",
                         "'_browse/search/notes.js' is not in its site.json")]:
        Path(extra).write_text("mine\n")
        assert main(["publish", "--root", "r/data", "--out", "site"]) == 1
        assert capsys.readouterr().err == (
            f"ipwhl publish: site: exists and is not a published tree ({said}); refusing to "
            "replace it\n")
        assert Path(extra).read_text() == "mine\n"
        Path(extra).unlink()
    state = Path("site/_browse/site.json")
    kept = state.read_bytes()
    state.unlink()
    assert main(["publish", "--root", "r/data", "--out", "site"]) == 1
    assert "(no _browse/site.json)" in capsys.readouterr().err
    state.write_bytes(kept)
    page = next(Path("site/_browse/p").glob("*/demo.html"))
    page.unlink()
    page.symlink_to(tmp_path / "elsewhere.html")
    assert main(["publish", "--root", "r/data", "--out", "site"]) == 1
    assert f"('{page.relative_to('site')}' is not in its site.json)" in capsys.readouterr().err
    page.unlink()
    assert main(["publish", "--root", "r/data", "--out", "site"]) == 0


# -- 2. another project's wheel on a project's page ----------------------------------------

def test_add_takes_only_the_projects_own_wheels(data: Path, index: IndexServer,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add", "--root", str(data), "sneaky==1.0"]) == 0
    written = declaration_path(data, SNEAKY)
    assert capsys.readouterr().out.splitlines()[0] == f"added {written}"
    assert tree(data) == sorted(["repository.toml", "8b", "8b/sneaky",
                                 f"8b/sneaky/{SNEAKY.replace('.whl', '.toml')}"])
    assert main(["check", "--online", "--root", str(data)]) == 0


def test_a_source_on_another_projects_page_fails_check(
        data: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]) -> None:
    # What add wrote before, and check --online passed: .../evil/evil-1.0-....toml
    path = declare(data, index, EVIL, f"index:sneaky/{EVIL}")
    for online in ([], ["--online"]):
        assert main(["check", *online, "--root", str(data)]) == 1
        assert capsys.readouterr().out == (
            f"{path}: IW103 source: invalid source 'index:sneaky/{EVIL}' (the file is a wheel of "
            "'evil', not of 'sneaky', whose index page it names)\n")
    path.write_text(path.read_text().replace(f"index:sneaky/{EVIL}", f"index:sneaky/{SNEAKY}"))
    assert main(["check", "--online", "--root", str(data)]) == 1
    assert capsys.readouterr().out == (
        f"{path}: IW110 source: names '{SNEAKY}' but the declaration is for '{EVIL}'\n")


# -- 3. project names outside the normalized ASCII form -------------------------------------

@pytest.mark.parametrize("name", ["caf\u00e9", "r\u0435quests"], ids=["cafe", "cyrillic-e"])
def test_a_project_name_outside_ascii_is_neither_checked_clean_nor_published(
        data: Path, index: IndexServer, tmp_path: Path, name: str) -> None:
    filename = f"{name}-1.0-py3-none-any.whl"
    directory = data / f"{sum(map(ord, name)) % 256:02x}" / name
    directory.mkdir(parents=True)
    cid = file_cid(index.root / "files" / DEMO, PROFILE)[0]
    (directory / filename.replace(".whl", ".toml")).write_text(
        render(f"index:{name}/{filename}", cid, None, [], []))
    checked = run_ipwhl("check", "--root", "r/data", cwd=tmp_path)
    assert checked.returncode == 1
    assert f"project directory: {name!a} is not a valid project name" in checked.stdout
    published = run_ipwhl("publish", "--root", "r/data", "--out", "site", cwd=tmp_path)
    assert published.returncode == 1
    assert "is not a valid project name" in published.stderr
    assert not (tmp_path / "site").exists()


# -- 4. credentials in a source URL ---------------------------------------------------------

def test_credentials_in_a_source_are_refused_and_never_shown(
        data: Path, index: IndexServer, tmp_path: Path) -> None:
    url = index.file_url(DEMO).replace("http://", f"http://alice:{PASSWORD}@")
    shown = index.file_url(DEMO).replace("http://", "http://alice:****@")
    path = declare(data, index, DEMO, url)
    refused = (f"invalid source '{shown}' (credentials in the URL: a declaration is "
               "published, so its source names no user or password)")
    local = make_wheel(tmp_path / "dist", "local", "1.0")
    runs = {
        "check": (["check", "--root", "r/data"], f"{path.relative_to(tmp_path)}: IW103 source: "
                  f"{refused}\n", ""),
        "check --online": (["check", "--online", "--root", "r/data"],
                           f"{path.relative_to(tmp_path)}: IW103 source: {refused}\n", ""),
        "publish": (["publish", "--root", "r/data", "--out", "site"], "",
                    f"ipwhl publish: {path.relative_to(tmp_path)}: IW103 source: {refused}; run "
                    "`ipwhl check` and fix the tree before publishing\n"),
        "add URL": (["add", "--root", "r/data", url], "", f"ipwhl add: {refused}\n"),
        "add --source": (["add", "--root", "r/data", str(local), "--source",
                          f"https://alice:{PASSWORD}@example.org/{local.name}"], "",
                         "ipwhl add: invalid source 'https://alice:****@example.org/"
                         f"{local.name}' (credentials in the URL: a declaration is published, "
                         "so its source names no user or password)\n"),
    }
    for what, (args, out, err) in runs.items():
        done = run_ipwhl(*args, cwd=tmp_path, env=dict(os.environ))
        assert (done.returncode, done.stdout, done.stderr) == (1, out, err), what
        assert PASSWORD not in done.stdout + done.stderr
    assert not (tmp_path / "site").exists()
    assert tree(data) == ["a5", "a5/demo", "a5/demo/demo-1.0-py3-none-any.toml",
                          "repository.toml"]


# -- 5. ipwhl use with a gateway that is not a URL, or a tag whose root CID is not one ----

@pytest.mark.parametrize(("gateway", "why"), [
    ("not a url", "expected an http or https URL such as http://127.0.0.1:8080"),
    ("ftp://127.0.0.1", "expected an http or https URL such as http://127.0.0.1:8080"),
    ("http://127.0.0.1:8080\nextra-index-url = http://127.0.0.1:9",
     "it contains white space or a control character"),
    ("http://127.0.0.1:80800", "Port out of range 0-65535"),
    ("http://127.0.0.1:8080/?x", "a gateway URL has no query or fragment"),
])
def test_use_refuses_a_gateway_that_is_not_a_url(tmp_path: Path, gateway: str, why: str
                                                 ) -> None:
    python = tmp_path / "never" / "bin" / "python"  # running its pip would fail the test
    done = run_ipwhl("use", "--gateway", gateway, "--repo", str(tmp_path), "--python",
                     str(python), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"ipwhl use: error: --gateway {gateway!r} is not a gateway URL ({why})\n"


needs_ssh_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None,
                                      reason="needs ssh-keygen")


@needs_ssh_keygen
@pytest.mark.parametrize(("root", "why"), [
    ("b", "is not a CID (too short)"),
    ("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
     "is not the CID of a published tree (a sha2-256 dag-pb CID as ipfs add prints it)"),
], ids=["b", "raw-leaf"])
def test_use_refuses_a_signed_tag_whose_root_is_not_a_tree_cid(tmp_path: Path, root: str,
                                                               why: str) -> None:
    from ipwhl_checks.release.tag import ReleaseInfo, format_tag_message

    repo, env = tmp_path / "repo", dict(os.environ)
    env.update(GIT_CONFIG_GLOBAL=str(tmp_path / "gitconfig"), GIT_CONFIG_NOSYSTEM="1")
    key = tmp_path / "maintainer"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "m", "-f", str(key)],
                   check=True)

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, env=env,
                              capture_output=True, text=True).stdout.strip()

    repo.mkdir()
    git("init", "-q")
    for name, value in [("user.name", "M"), ("user.email", "m@ipwhl.test"),
                        ("gpg.format", "ssh"), ("user.signingkey", str(key))]:
        git("config", name, value)
    (repo / ".ipwhl").mkdir()
    (repo / ".ipwhl" / "allowed_signers").write_text(
        f'm namespaces="git" {key.with_suffix(".pub").read_text()}')
    git("add", ".ipwhl")
    git("commit", "-q", "-m", "signers")
    info = ReleaseInfo(root, root, PROFILE, 1, 1, 1, git("rev-parse", "HEAD"))
    git("tag", "-s", "-m", format_tag_message(info), "ipwhl-20260101.000000")
    python = tmp_path / "never" / "bin" / "python"
    done = run_ipwhl("use", "--gateway", "http://127.0.0.1:8080", "--repo", str(repo),
                     "--python", str(python), cwd=tmp_path, env=env)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"ipwhl use: tag 'ipwhl-20260101.000000': root-cid {root!r} {why}\n"


# -- 9. settings that would make the checks run for minutes ---------------------------------

@pytest.mark.parametrize(("line", "message"), [
    ("platforms = ['manylinux_2_99999999_x86_64']",
     "unknown platform 'manylinux_2_99999999_x86_64' (expected manylinux_X_Y_ARCH, "
     "musllinux_X_Y_ARCH, macosx_X_Y_ARCH with X and Y below 100, win_amd64, win32 or "
     "win_arm64)"),
    ("platforms = ['macosx_99999_0_arm64']",
     "unknown platform 'macosx_99999_0_arm64' (expected manylinux_X_Y_ARCH, "
     "musllinux_X_Y_ARCH, macosx_X_Y_ARCH with X and Y below 100, win_amd64, win32 or "
     "win_arm64)"),
    ("python = ['3.99999999999999999999']",
     "python '3.99999999999999999999' is not a CPython version like '3.12' (3.N or 3.N.P, "
     "N and P below 100)"),
])
def test_unbounded_settings_are_one_line_at_once(data: Path, tmp_path: Path, line: str,
                                                 message: str) -> None:
    key = line.split(" ", 1)[0]
    text = "".join(line + "\n" if row.startswith(key) else row + "\n"
                   for row in SETTINGS.splitlines())
    (data / "repository.toml").write_text(text)
    start = time.monotonic()
    done = run_ipwhl("check", "--root", "r/data", cwd=tmp_path)
    assert time.monotonic() - start < 30  # (was: minutes, and gigabytes)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"ipwhl check: r/data/repository.toml: {message}\n"


# -- TOML that tomllib fails on with other exceptions than TOMLDecodeError ------------------

_HUGE = "x = " + "9" * 5000 + "\n"  # int() refuses more than 4300 digits: a ValueError
_DEEP = "x = " + "[" * 5000 + "]" * 5000 + "\n"  # Python 3.11's tomllib: a RecursionError


@pytest.mark.parametrize(("text", "why"), [
    (_HUGE, "a number of more than 4300 digits"),
    (_DEEP, "arrays or tables nested too deep"),
], ids=["huge-number", "deep-nesting"])
@pytest.mark.parametrize("where", ["declaration", "integration", "fmt"])
def test_toml_that_tomllib_chokes_on_is_one_line(data: Path, tmp_path: Path, text: str,
                                                 why: str, where: str) -> None:
    if where == "integration":
        path = data / "integration.toml"
        expected = f"{path.relative_to(tmp_path)}: IW109 invalid TOML: {why}"
    else:
        path = declaration_path(data, DEMO)
        path.parent.mkdir(parents=True)
        expected = f"{path.relative_to(tmp_path)}: IW100 invalid TOML: {why}"
    path.write_text(text)
    if where == "fmt":
        done = run_ipwhl("fmt", "--root", "r/data", cwd=tmp_path)
        assert (done.returncode, done.stderr) == (1, "")
        assert done.stdout == f"{path.relative_to(tmp_path)}: cannot format: invalid TOML: {why}\n"
    else:
        done = run_ipwhl("check", "--root", "r/data", cwd=tmp_path)
        assert done.returncode == 1 and done.stdout.splitlines() == [expected]
    assert "Traceback" not in done.stderr

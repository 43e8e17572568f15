"""The network as users meet it: one client per command, parallel downloads, a deadline on
every transfer, checked settings, hostile index pages, and the progress display (under a
real pseudo-terminal), each against a real index on 127.0.0.1."""

from __future__ import annotations

import io
import json
import math
import os
import pty
import re
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipwhl_checks.errors import DownloadError
from ipwhl_checks.repo.fmt import render
from ipwhl_checks.repo.layout import declaration_path
from ipwhl_checks.sources.fetch import Client, FetchOptions
from ipwhl_checks.sources.simple_index import parse_html, parse_json
from ipwhl_checks.unixfs import file_cid
from ipwhl_checks.util.progress import NORMAL, Progress, configure

from .conftest import ROOT, SUMMARY, new_data_root, run_ipwhl, without_summary
from .indexserver import IndexServer, Stall, Trickle
from .wheelmaker import make_wheel

SETTINGS = "profile = 'unixfs-v1-2025'\npython = ['3.12']\nplatforms = ['manylinux_2_28_x86_64']\n"


def declare(data: Path, index: IndexServer, tmp: Path, projects: int, wheels: int = 1,
            size: int = 2000) -> list[str]:
    """*projects* projects of *wheels* wheels each on *index*, declared under *data*."""
    names = []
    for p in range(projects):
        for w in range(wheels):
            wheel = make_wheel(tmp / "w", f"proj{p:02}", f"1.{w}",
                               files={f"proj{p:02}/x.bin": os.urandom(size)})
            index.publish(wheel)
            path = declaration_path(data, wheel.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(f"index:proj{p:02}/{wheel.name}",
                                   file_cid(wheel, "unixfs-v1-2025")[0], None, [], []))
            names.append(wheel.name)
    return names


def env_for(index: IndexServer, tmp: Path, **more: str) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"),
            "PIP_INDEX_URL": index.index_url, "IPWHL_RETRIES": "0", **more}


# -- one client, parallel downloads ------------------------------------------------------
def test_publish_downloads_in_parallel_each_page_once(tmp_path: Path) -> None:
    """A cold publish fetches each project page once (two wheels a project), runs --jobs
    downloads at once, and gives the root CID a one-at-a-time publish gives."""
    with IndexServer(tmp_path / "index", delay=0.1) as index:
        data = new_data_root(tmp_path, SETTINGS)
        declare(data, index, tmp_path, projects=4, wheels=2)
        fast = run_ipwhl("publish", "--root", str(data), "--jobs", "4",
                         env=env_for(index, tmp_path))
        assert fast.returncode == 0, fast.stderr
        pages = [r for r in index.requests if r.startswith("/simple/")]
        assert sorted(pages) == sorted({*pages}) and len(pages) == 4
        assert index.most == 4  # (every answer waits 0.1 s: the 4 threads overlap)
        assert SUMMARY.fullmatch(fast.stderr.strip()), fast.stderr
        assert fast.stderr.startswith("ipwhl publish: downloaded 8 wheels (")
        index.most = 0
        slow = run_ipwhl("publish", "--root", str(data), "--jobs", "1",
                         env=env_for(index, tmp_path / "other"))
        assert index.most == 1
        assert slow.stdout.splitlines()[-1] == fast.stdout.splitlines()[-1]


def test_a_publish_from_the_cache_says_nothing_on_stderr(tmp_path: Path) -> None:
    with IndexServer(tmp_path / "index") as index:
        data = new_data_root(tmp_path, SETTINGS)
        declare(data, index, tmp_path, projects=2)
        env = env_for(index, tmp_path)
        assert run_ipwhl("publish", "--root", str(data), env=env).returncode == 0
        again = run_ipwhl("publish", "--root", str(data), env=env)
        assert (again.returncode, again.stderr) == (0, "")
        quiet = run_ipwhl("publish", "-q", "--root", str(data),
                          env=env_for(index, tmp_path / "cold"))
        assert (quiet.returncode, quiet.stderr) == (0, "")
        assert quiet.stdout == again.stdout


@pytest.mark.parametrize("jobs", ["0", "65", "x"])
def test_jobs_is_checked(jobs: str) -> None:
    done = run_ipwhl("publish", "--jobs", jobs)
    assert done.returncode == 2
    assert f"argument -j/--jobs: expected a number of downloads from 1 to 64, not {jobs!r}" \
        in done.stderr


# -- deadlines ---------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["add", "check", "outdated"])
def test_a_trickle_is_stopped(tmp_path: Path, command: str) -> None:
    """A server sending a byte every 0.1 s never trips a read timeout; the transfer's
    deadline (the timeouts' grace, then an average rate) stops it."""
    with IndexServer(tmp_path / "index") as index:
        data = new_data_root(tmp_path, SETTINGS)
        [name] = declare(data, index, tmp_path, projects=1)
        path = "/simple/proj00/" if command == "outdated" else f"/files/{name}"
        index.fault(path, Trickle(0.1))
        args = {"add": ["add", "proj00==1.0"], "check": ["check", "--online"],
                "outdated": ["outdated"]}[command]
        start = time.monotonic()
        done = run_ipwhl(*args, "--root", str(data),
                         env=env_for(index, tmp_path, IPWHL_TIMEOUT="0.5"))
        took = time.monotonic() - start
    assert done.returncode == 1
    assert re.search(r"cannot download \S+: too slow: \d+ bytes in 1\.\d s \(a transfer must "
                     r"average 16\.0 kB/s after its first 1 s\) \(after 1 attempt\)",
                     done.stdout + done.stderr), done.stdout + done.stderr
    assert took < 6


# -- settings ----------------------------------------------------------------------------
SETTINGS_CASES = [
    ("IPWHL_TIMEOUT", "0", "a number of seconds greater than 0 and at most 86400"),
    ("IPWHL_TIMEOUT", "-1", "a number of seconds greater than 0 and at most 86400"),
    ("IPWHL_TIMEOUT", "nan", "a number of seconds greater than 0 and at most 86400"),
    ("IPWHL_TIMEOUT", "inf", "a number of seconds greater than 0 and at most 86400"),
    ("IPWHL_TIMEOUT", "1e999", "a number of seconds greater than 0 and at most 86400"),
    ("IPWHL_TIMEOUT", "soon", "a number of seconds greater than 0 and at most 86400"),
    ("IPWHL_RETRIES", "-1", "a whole number from 0 to 100"),
    ("IPWHL_RETRIES", "1.5", "a whole number from 0 to 100"),
    ("IPWHL_RETRIES", "1000000000", "a whole number from 0 to 100"),
    ("IPWHL_MAX_SIZE", "-1", "a number of bytes greater than 0"),
    ("IPWHL_MAX_SIZE", "0", "a number of bytes greater than 0"),
]


@pytest.mark.parametrize(("name", "value", "expected"), SETTINGS_CASES)
def test_bad_settings_are_one_line(monkeypatch: pytest.MonkeyPatch, name: str, value: str,
                                   expected: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(DownloadError) as e:
        FetchOptions.from_env()
    assert str(e.value) == f"invalid {name} {value!r}: expected {expected}"


def test_a_bad_setting_stops_the_command(tmp_path: Path) -> None:
    data = new_data_root(tmp_path, SETTINGS)
    done = run_ipwhl("outdated", "--root", str(data),
                     env={**os.environ, "IPWHL_TIMEOUT": "nan",
                          "PIP_INDEX_URL": "http://127.0.0.1:9/"})
    assert (done.returncode, done.stderr) == (
        1, "ipwhl outdated: invalid IPWHL_TIMEOUT 'nan': expected a number of seconds greater "
           "than 0 and at most 86400\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["IPWHL_TIMEOUT", "IPWHL_RETRIES", "IPWHL_MAX_SIZE"]),
       st.one_of(st.text(max_size=30), st.floats().map(repr), st.integers().map(str)))
def test_any_setting_gives_usable_options_or_one_line(name: str, value: str) -> None:
    if "\x00" in value:
        return  # (no environment variable holds a NUL)
    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        options = FetchOptions.from_env()
    except DownloadError as e:
        assert "\n" not in str(e) and str(e).startswith(f"invalid {name} ")
        return
    finally:
        if saved is None:
            del os.environ[name]
        else:
            os.environ[name] = saved
    with socket.socket() as s:  # what the timeouts end up in
        s.settimeout(options.connect_timeout)
        s.settimeout(options.read_timeout)
    assert math.isfinite(options.read_timeout) and options.read_timeout > 0
    assert 0 <= options.retries <= 100 and options.max_size > 0


# -- hostile index pages -----------------------------------------------------------------
@settings(max_examples=500, deadline=2000)
@given(st.one_of(st.binary(max_size=2000), st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["files", "url", "filename", "hashes", "yanked", "core-metadata",
                         "requires-python", "sha256", "x"]), inner, max_size=5),
    max_leaves=40).map(lambda v: json.dumps(v).encode())))
def test_any_json_page_gives_files_or_one_line(body: bytes) -> None:
    try:
        files = parse_json(body, "https://index.test/simple/x/")
    except DownloadError as e:
        assert "\n" not in str(e) and len(str(e)) < 400
        return
    for f in files:
        assert isinstance(f.filename, str) and f.url.startswith("https://")
        assert all(isinstance(v, str) for v in f.hashes.values())
        f.wheel  # noqa: B018 (parses, or is None)


_HTML_PIECES = st.sampled_from([
    "<a ", "<a href=", "'", '"', ">", "</a>", "<base href=x>", "<!--", "-->", "<!", "<?",
    "<![", "<script>", "</script>", "&", "&amp;", "#sha256=", "x.whl", " data-yanked",
    " data-requires-python=&gt;=3", "http://[::1", ":99999/", "=", "/", "\x00", "é"])


@settings(max_examples=500, deadline=2000)
@given(st.one_of(st.text(max_size=500), st.lists(_HTML_PIECES, max_size=60).map("".join)))
def test_any_html_page_gives_files(text: str) -> None:
    for f in parse_html(text, "https://index.test/simple/x/"):
        assert isinstance(f.filename, str)
        f.wheel  # noqa: B018


@pytest.mark.parametrize("text", [
    "<a " * 100_000, "<!--" * 100_000, "<a href='x'>" * 20_000, "<" * 200_000,
    "</" * 100_000, "<![" * 100_000, "<a b='" * 100_000, '<a b="' + "x" * 400_000,
    "<script>" * 100_000])
def test_hostile_html_in_linear_time(text: str) -> None:
    """html.parser takes 8 s for the first (5,000 times '<a ': quadratic) and asserts on
    '<!['; the scanner reads each in well under a second."""
    start = time.process_time()
    parse_html(text, "https://index.test/simple/x/")
    assert time.process_time() - start < 2


def test_a_page_nested_100000_deep_is_one_line(tmp_path: Path) -> None:
    with IndexServer(tmp_path / "index") as index:
        data = new_data_root(tmp_path, SETTINGS)
        declare(data, index, tmp_path, projects=1)
        page = index.root / "simple" / "proj00" / "index.json"
        page.write_bytes(b'{"files": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
        outdated = run_ipwhl("outdated", "--root", str(data), env=env_for(index, tmp_path))
        add = run_ipwhl("add", "proj00==1.0", "--root", str(data), env=env_for(index, tmp_path))
    said = f"{index.index_url}proj00/: not a PEP 691 project page (nested too deeply)"
    assert (outdated.returncode, without_summary(outdated.stderr)) == (
        1, f"ipwhl outdated: proj00: {said}\n")
    assert (add.returncode, without_summary(add.stderr)) == (1, f"ipwhl add: {said}\n")


# -- the progress display ----------------------------------------------------------------
def test_progress_lines_are_whole_and_named() -> None:
    """Eight threads reporting at once: every redraw is one whole line, and names the
    command, the work and an item."""
    configure(command="ipwhl", verbosity=NORMAL)
    out = io.StringIO()
    with Progress("downloading", "wheels", done_verb="downloaded", stream=out,
                  tty=True) as progress:
        progress.add_total(800)

        def work(k: int) -> None:
            for i in range(100):
                progress.started(f"w{k}-{i}.whl")
                progress.add_bytes(1000)
                progress.finished(f"w{k}-{i}.whl")
                time.sleep(0.001)
        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    drawn = out.getvalue().split("\r")
    assert drawn[0] == "" and len(drawn) > 3
    line = re.compile(r"ipwhl: downloading \d+/800 wheels(, [\d.]+ k?B)?(, [\d.]+ kB/s)?"
                      r"(, ETA (\d+:\d\d|-:--))?, w\d-\d+\.whl\x1b\[K")
    for piece in drawn[1:-1]:
        assert line.fullmatch(piece), piece
    assert re.fullmatch(r"\x1b\[Kipwhl: downloaded 800 wheels \(800 kB\) in 0:0\d\n",
                        drawn[-1]), drawn[-1]


def _run_in_pty(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    """Run *argv* with standard error on a pseudo-terminal: (exit code, what it showed)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    shown = b""
    while True:
        ready, _w, _x = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            piece = os.read(leader, 65536)
        except OSError:  # the process is gone (EIO)
            break
        if not piece:
            break
        shown += piece
    os.close(leader)
    return process.wait(60), shown


def test_progress_on_a_terminal_and_not(tmp_path: Path) -> None:
    """On a terminal: one line redrawn in place (never a line of its own per file), each
    state named, then the summary; into a pipe: the summary alone."""
    with IndexServer(tmp_path / "index", delay=0.15) as index:
        data = new_data_root(tmp_path, SETTINGS)
        names = declare(data, index, tmp_path, projects=8)
        argv = [sys.executable, "-m", "ipwhl_checks", "check", "--online", "--jobs", "2",
                "--root", str(data)]
        code, shown = _run_in_pty(argv, {**env_for(index, tmp_path), "COLUMNS": "200"}, ROOT)
        piped = run_ipwhl(*argv[3:], env=env_for(index, tmp_path / "piped"), cwd=ROOT)
    assert code == 0, shown
    text = shown.decode()
    lines = text.replace("\r\n", "\n").split("\n")
    assert len(lines) == 2 and lines[1] == "", lines  # the summary ends the only line
    drawn = [p for p in lines[0].replace("\x1b[K", "").split("\r") if p]
    assert len(drawn) >= 3, drawn
    for piece in drawn[:-1]:
        # (no time left to show once the last one is done: a loaded machine may draw that)
        assert re.fullmatch(r"ipwhl check: checking (\d/8 wheels(, [\d.]+ k?B)?"
                            r"(, [\d.]+ k?B/s)?, ETA (\d+:\d\d|-:--)"
                            r"|8/8 wheels, [\d.]+ k?B(, [\d.]+ k?B/s)?), "
                            r"proj0\d-1\.0-py3-none-any\.whl", piece), piece
        assert any(name in piece for name in names)
    assert SUMMARY.fullmatch(drawn[-1]) and drawn[-1].startswith(
        "ipwhl check: checked 8 wheels (")
    assert piped.returncode == 0
    assert SUMMARY.fullmatch(piped.stderr.strip()) and piped.stderr.count("\n") == 1


def test_verbose_names_each_file(tmp_path: Path) -> None:
    with IndexServer(tmp_path / "index") as index:
        data = new_data_root(tmp_path, SETTINGS)
        names = declare(data, index, tmp_path, projects=3)
        done = run_ipwhl("publish", "-v", "--root", str(data), env=env_for(index, tmp_path))
    lines = done.stderr.splitlines()
    assert sorted(lines[:-1]) == [f"ipwhl publish: {name}" for name in sorted(names)]
    assert SUMMARY.fullmatch(lines[-1])


def test_a_stalled_download_is_shown_while_it_waits(tmp_path: Path) -> None:
    """(The display names what a command waits for.)"""
    with IndexServer(tmp_path / "index") as index:
        data = new_data_root(tmp_path, SETTINGS)
        [name] = declare(data, index, tmp_path, projects=1)
        index.fault(f"/files/{name}", Stall())
        progress = Progress("downloading", "wheels", stream=io.StringIO(), tty=True)
        with Client(FetchOptions(retries=0, read_timeout=0.5)) as client:
            client.progress = progress
            use = index.file_url(name)
            with pytest.raises(DownloadError):
                client.map(lambda url: client.download(url, io.BytesIO()), [use],
                           name=lambda url: url.rsplit("/", 1)[-1])
        assert progress.line().endswith(name) and "0/1 wheels" in progress.line()


@pytest.mark.parametrize("command", ["lock", "diff"])
def test_a_trickling_gateway_is_stopped(tmp_path: Path, command: str) -> None:
    """A gateway sending the manifest's CAR a byte every 0.1 s: the transfer's deadline
    stops it, in the gateway's words (the URL, then why)."""
    from .gatewayutil import faulty_gateway, publish_repo

    car, root, _wheels = publish_repo(tmp_path / "repo")
    with faulty_gateway(car, lambda path: "manifest.json" in path, trickle=0.1) as (url, _):
        argv = {"lock": ["lock", "--cid", root, "--gateway", url, "--env", "current", "app"],
                "diff": ["diff", root, root, "--gateway", url]}[command]
        start = time.monotonic()
        done = run_ipwhl(*argv, env={**os.environ, "IPWHL_TIMEOUT": "0.5",
                                     "IPWHL_RETRIES": "0"})
        took = time.monotonic() - start
    assert done.returncode == 1
    assert re.fullmatch(
        rf"ipwhl {command}: {re.escape(url)}/ipfs/{root}/manifest\.json: cannot fetch \(too "
        r"slow: \d+ bytes in 1\.\d s \(a transfer must average 16\.0 kB/s after its first "
        r"1 s\)\)\n", done.stderr), done.stderr
    assert took < 6

"""The source form, which index pip would use, and the simple-index client (JSON and HTML)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from ipwhl_checks.errors import DeclarationError
from ipwhl_checks.repo.source import index_source, parse_source
from ipwhl_checks.sources.fetch import Client, FetchOptions
from ipwhl_checks.sources.pipconfig import default_index_url
from ipwhl_checks.sources.simple_index import parse_html, parse_json

from .indexserver import IndexServer
from .wheelmaker import make_wheel

GOOD = [
    ("index:demo/demo-1.0-py3-none-any.whl", "demo", None),
    ("index:zope-interface/zope.interface-6.0-cp311-cp311-win_amd64.whl", "zope-interface", None),
    ("https://files.example.org/a/b/demo-1.0-py3-none-any.whl", None,
     "https://files.example.org/a/b/demo-1.0-py3-none-any.whl"),
    ("http://127.0.0.1:8000/demo-1.0-py3-none-any.whl", None,
     "http://127.0.0.1:8000/demo-1.0-py3-none-any.whl"),
    ("file:///srv/wheels/demo-1.0-py3-none-any.whl", None,
     "file:///srv/wheels/demo-1.0-py3-none-any.whl"),
]


@pytest.mark.parametrize(("text", "project", "url"), GOOD)
def test_good_sources(text: str, project: str | None, url: str | None) -> None:
    source = parse_source(text)
    assert (source.project, source.url, source.is_index) == (project, url, project is not None)
    assert source.filename == text.rsplit("/", 1)[-1]


BAD = [
    ("demo-1.0-py3-none-any.whl", "invalid source 'demo-1.0-py3-none-any.whl' (expected "
     "'index:PROJECT/FILENAME' or an absolute https, http or file URL)"),
    ("ftp://host/demo-1.0-py3-none-any.whl", "invalid source 'ftp://host/demo-1.0-py3-none-any"
     ".whl' (expected 'index:PROJECT/FILENAME' or an absolute https, http or file URL)"),
    ("index:demo-1.0-py3-none-any.whl", "invalid source 'index:demo-1.0-py3-none-any.whl' "
     "(expected 'index:PROJECT/FILENAME')"),
    ("index:Demo/demo-1.0-py3-none-any.whl", "invalid source 'index:Demo/demo-1.0-py3-none-any"
     ".whl' (project 'Demo' is not normalized, expected 'demo')"),
    ("index:demo/demo-1.0.tar.gz", "invalid source 'index:demo/demo-1.0.tar.gz' (not a wheel "
     "file name: Invalid wheel filename (extension must be '.whl'): 'demo-1.0.tar.gz')"),
    ("https:///demo-1.0-py3-none-any.whl", "invalid source 'https:///demo-1.0-py3-none-any.whl' "
     "(the URL has no host)"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_sources(text: str, message: str) -> None:
    with pytest.raises(DeclarationError) as e:
        parse_source(text)
    assert str(e.value) == message


def test_index_source_normalizes_the_project() -> None:
    assert index_source("Zope.Interface", "x-1-py3-none-any.whl") == \
        "index:zope-interface/x-1-py3-none-any.whl"


def test_index_url_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = http://127.0.0.1:1/global/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:1/env/")
    assert default_index_url() == "http://127.0.0.1:1/env/"
    monkeypatch.delenv("PIP_INDEX_URL")
    assert default_index_url() == "http://127.0.0.1:1/global/"
    other = tmp_path / "other.conf"
    other.write_text("[global]\nindex-url = http://127.0.0.1:1/global/\n"
                     "[install]\nindex-url = http://127.0.0.1:1/install/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(other))
    assert default_index_url() == "http://127.0.0.1:1/install/"


def test_pip_config_is_read_once_per_process(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    """``pip config`` (a subprocess, ~0.5 s) runs once per process and environment: a
    second ask does not run it again, so a file changed meanwhile is not seen."""
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = http://127.0.0.1:1/first/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    assert default_index_url() == "http://127.0.0.1:1/first/"
    config.write_text("[global]\nindex-url = http://127.0.0.1:1/second/\n")
    assert default_index_url() == "http://127.0.0.1:1/first/"


def test_default_index_is_pips_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # With no configuration at all (pip reads no file when PIP_CONFIG_FILE is os.devnull),
    # the index is the one pip itself defaults to.
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    from pip._internal.models.index import PyPI
    assert default_index_url() == PyPI.simple_url


# -- the simple index client against a real server -------------------------------------
@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    tmp = tmp_path_factory.mktemp("sources")
    with IndexServer(tmp / "index") as server:
        server.publish(make_wheel(tmp / "w", "Demo.Pkg", "1.0"), requires_python=">=3.8,<4")
        server.publish(make_wheel(tmp / "w", "Demo.Pkg", "0.9"), yanked=True, metadata=False)
        sdist = tmp / "w" / "demo_pkg-1.0.tar.gz"
        sdist.write_bytes(b"not really")
        server.publish(sdist)
        yield server


def _files(index: IndexServer, json: bool) -> dict[str, tuple[object, ...]]:
    index.json = json
    with Client(FetchOptions(retries=0)) as client:
        files = client.index_files(index.index_url, "DEMO_pkg")
    return {f.filename: (f.url, f.requires_python, f.yanked, f.core_metadata, f.is_wheel,
                         len(f.hashes["sha256"])) for f in files}


@pytest.mark.parametrize("json", [True, False], ids=["pep691-json", "pep503-html"])
def test_project_page(index: IndexServer, json: bool) -> None:
    before = len(index.requests)
    files = _files(index, json)
    assert index.requests[before:] == ["/simple/demo-pkg/"]
    url = index.file_url
    assert files == {
        "demo_pkg-1.0-py3-none-any.whl": (url("demo_pkg-1.0-py3-none-any.whl"),
                                          SpecifierSet(">=3.8,<4"), False, True, True, 64),
        "demo_pkg-0.9-py3-none-any.whl": (url("demo_pkg-0.9-py3-none-any.whl"), None, True,
                                          False, True, 64),
        "demo_pkg-1.0.tar.gz": (url("demo_pkg-1.0.tar.gz"), None, False, False, False, 64),
    }


def test_html_details() -> None:
    # PEP 503: data-requires-python is HTML-escaped; a <base> changes what links resolve to.
    page = ('<html><head><base href="https://mirror.example/pkgs/"></head><body>'
            '<a href="a/x-1-py3-none-any.whl#sha256=ab" data-requires-python="&gt;=3.9"'
            ' data-yanked="broken" data-dist-info-metadata="true">x-1-py3-none-any.whl</a>'
            '<a>no href</a></body></html>')
    (f,) = parse_html(page, "https://index.example/simple/x/")
    assert (f.url, dict(f.hashes), f.requires_python, f.yanked, f.core_metadata) == (
        "https://mirror.example/pkgs/a/x-1-py3-none-any.whl", {"sha256": "ab"},
        SpecifierSet(">=3.9"), True, True)


SPEC = Path(__file__).parent / "data" / "simple"


def test_pep691_example() -> None:
    # After the example in PEP 691: a yanked sdist with a reason, a wheel with metadata.
    sdist, wheel = parse_json((SPEC / "pep691-example.json").read_bytes(),
                              "https://example.com/simple/holygrail/")
    assert (sdist.filename, sdist.url, sdist.yanked, sdist.is_wheel, sdist.core_metadata) == (
        "holygrail-1.0.tar.gz", "https://example.com/files/holygrail-1.0.tar.gz", True, False,
        False)
    assert (wheel.filename, wheel.yanked, wheel.core_metadata, wheel.requires_python) == (
        "holygrail-1.0-py3-none-any.whl", False, True, SpecifierSet(">=3.7"))
    assert set(wheel.hashes) == {"sha256", "blake2b"}


def test_pep700_sizes() -> None:
    # After the example in PEP 700 (api-version 1.1): every file has its size in bytes.
    sdist, wheel = parse_json((SPEC / "pep700-example.json").read_bytes(),
                              "https://example.com/simple/holygrail/")
    assert (sdist.size, wheel.size) == (1337, 1234)
    # api-version 1.0 pages and HTML pages give none
    assert {f.size for f in parse_json((SPEC / "pep691-example.json").read_bytes(),
                                       "https://example.com/simple/holygrail/")} == {None}


@pytest.mark.parametrize("size", ["1234", -1, True, 1.5, None, [1]])
def test_a_size_that_is_no_byte_count_is_none(size: object) -> None:
    entry = {"filename": "x-1-py3-none-any.whl", "url": "x-1-py3-none-any.whl", "size": size}
    (f,) = parse_json(json.dumps({"files": [entry]}).encode(), "https://index.example/simple/x/")
    assert f.size is None


def test_pep503_page() -> None:
    # PEP 503: root-relative and absolute hrefs, #sha256 fragments, escaped requires-python,
    # PEP 592 data-yanked (empty: no reason), PEP 714 data-core-metadata.
    whl, sdist, old = parse_html((SPEC / "pep503-example.html").read_text(),
                                 "https://index.example/simple/frob/")
    assert (whl.url, whl.requires_python, whl.yanked, whl.hashes["sha256"][:6]) == (
        "https://index.example/frob/frob-1.0.0-py3-none-any.whl", SpecifierSet(">=3.6"), False,
        "2bf7a6")
    assert (sdist.filename, sdist.yanked, sdist.is_wheel) == ("frob-1.0.0.tar.gz", True, False)
    assert (old.url, old.core_metadata, old.hashes) == (
        "https://mirror.example/frob-0.9-py2.py3-none-any.whl", True, {})

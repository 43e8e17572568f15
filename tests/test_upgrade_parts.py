"""The parts of ``ipwhl upgrade`` that read outside input or shape its output: the
changelog URL of a METADATA, METADATA served beside a wheel (PEP 658) and its hash on an
index page, and the commit message's title for a set."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import canonicalize_name
from packaging.version import Version

from ipwhl_checks.curate.message import Move, changelog_url, commit_message
from ipwhl_checks.errors import WheelError
from ipwhl_checks.sources.simple_index import parse_html, parse_json
from ipwhl_checks.sources.wheel import metadata_info

from .wheelmaker import metadata_text

URL = "https://example.org/demo/changes"


@pytest.mark.parametrize(("urls", "found"), [
    ({"Changelog": URL}, URL),
    ({"changelog": URL}, URL),
    ({"Change Log": URL}, URL),  # PEP 753: spaces and punctuation do not count
    ({"Release Notes": URL}, URL),
    ({"release-notes": URL}, URL),
    ({"Changes": URL}, URL),
    ({"HISTORY": URL}, URL),
    ({"History": "https://example.org/history", "Changelog": URL}, URL),  # Changelog first
    ({"Homepage": "https://example.org", "Source": "https://example.org/src"}, None),
    ({"Changelog": "javascript:alert(1)"}, None),  # only http(s)
    ({"Changelog": "https://example.org/a b"}, None),  # no spaces
    ({"Changelog": "http://example.org/changes"}, "http://example.org/changes"),
    ({}, None),
])
def test_changelog_url(urls: dict[str, str], found: str | None) -> None:
    text = metadata_text("demo", "1.0", project_urls=urls)
    assert changelog_url(text.encode()) == found


@given(st.binary(max_size=400) | st.text(max_size=400).map(
    lambda t: f"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nProject-URL: {t}\n".encode()))
def test_changelog_url_never_raises_and_gives_a_plain_url(data: bytes) -> None:
    url = changelog_url(data)
    assert url is None or re.fullmatch(r"https?://[^\s<>\"]+", url)
    assert url is None or not any(c in url for c in string.whitespace + "\x00\x7f")


def test_metadata_info_checks_what_read_wheel_checks() -> None:
    info = metadata_info("demo-1.0-py3-none-any.whl", metadata_text(
        "Demo", "1.0", requires_python=">=3.9", dependencies=["idna>=2"],
        extras=["Socks"]).encode())
    assert (info.project, info.version, str(info.requires_python), info.extras,
            [str(d) for d in info.dependencies]) == ("demo", Version("1.0"), ">=3.9",
                                                    ("socks",), ["idna>=2"])
    with pytest.raises(WheelError, match=r"METADATA Version '2\.0' does not match the file name"):
        metadata_info("demo-1.0-py3-none-any.whl", metadata_text("demo", "2.0").encode())
    with pytest.raises(WheelError, match="more than the 4194304-byte limit"):
        metadata_info("demo-1.0-py3-none-any.whl", b"x" * (4 << 20 | 1))


@given(st.binary(max_size=600))
def test_metadata_info_raises_only_wheel_errors(data: bytes) -> None:
    try:
        info = metadata_info("demo-1.0-py3-none-any.whl", data)
    except WheelError as e:
        assert str(e).startswith("demo-1.0-py3-none-any.whl: ")
    else:
        assert info.project == "demo"


@pytest.mark.parametrize(("attribute", "hashes"), [
    (' data-core-metadata="sha256=8e1b"', {"sha256": "8e1b"}),
    (' data-dist-info-metadata="sha256=ab12"', {"sha256": "ab12"}),
    (' data-core-metadata="true"', {}),
    (' data-core-metadata=""', {}),
    ("", {}),
])
def test_the_metadata_hash_on_an_html_page(attribute: str, hashes: dict[str, str]) -> None:
    page = f'<a href="x-1-py3-none-any.whl#sha256=00"{attribute}>x</a>'
    (entry,) = parse_html(page, "https://index.example/simple/x/")
    assert dict(entry.metadata_hashes) == hashes


@pytest.mark.parametrize(("value", "hashes"), [
    ({"sha256": "8e1b"}, {"sha256": "8e1b"}), (True, {}), (False, {}), ("junk", {}),
])
def test_the_metadata_hash_on_a_json_page(value: object, hashes: dict[str, str]) -> None:
    body = ('{"files": [{"filename": "x-1-py3-none-any.whl", "url": "x-1-py3-none-any.whl", '
            f'"core-metadata": {__import__("json").dumps(value)}}}]}}').encode()
    (entry,) = parse_json(body, "https://index.example/simple/x/")
    assert dict(entry.metadata_hashes) == hashes


@given(st.text(max_size=80))
def test_any_metadata_attribute_parses(value: str) -> None:
    page = f'<a href="x-1-py3-none-any.whl" data-core-metadata="{value}">x</a>'
    for entry in parse_html(page, "https://index.example/simple/x/"):
        assert all(k and v for k, v in entry.metadata_hashes.items())


def _move(name: str, old: str, new: str) -> Move:
    return Move(canonicalize_name(name), Version(old), Version(new))


@pytest.mark.parametrize(("moves", "title", "lines"), [
    ([("a", "1", "2")], "a: 1 -> 2", []),
    ([("a", "1", "2"), ("b", "1", "2")], "a: 1 -> 2, b: 1 -> 2", []),
    ([("aiobotocore", "2.15.0", "2.16.0"), ("botocore", "1.35.36", "1.35.81"),
      ("s3transfer", "0.10.4", "0.11.0")], "aiobotocore and 2 more: upgrade together",
     ["aiobotocore: 2.15.0 -> 2.16.0", "botocore: 1.35.36 -> 1.35.81",
      "s3transfer: 0.10.4 -> 0.11.0"]),
])
def test_the_title_of_a_set(moves: list[tuple[str, str, str]], title: str,
                            lines: list[str]) -> None:
    message = commit_message([_move(*m) for m in moves], {}, {}, {})
    assert message == f"{title}\n" + "".join(f"\n{line}" for line in lines) + "\n" * bool(lines)
    assert len(title) <= 72

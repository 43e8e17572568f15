"""The PEP 503 pages: escaping and attributes, read back by two independent HTML readers
(the standard library's parser and the simple-index client of ``ipwhl add``)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from packaging.specifiers import SpecifierSet

from ipwhl_checks.publish.simple_html import WheelLink, project_page, root_page
from ipwhl_checks.sources.simple_index import parse_html

SHA = "ab" * 32
META = "cd" * 32


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize(("requires_python", "escaped"), [
    (">=3.8", "&gt;=3.8"),
    ("<4,>=3.9", "&lt;4,&gt;=3.9"),
    ("!=3.0.*,>=2.7", "!=3.0.*,&gt;=2.7"),
    (None, None),
])
def test_project_page_link(requires_python: str | None, escaped: str | None) -> None:
    name = "demo_pkg-1.0+local.1-py3-none-any.whl"
    page = project_page("demo-pkg", [WheelLink(name, SHA, requires_python, META)]).decode()
    if escaped:
        assert f'data-requires-python="{escaped}"' in page
    else:
        assert "data-requires-python" not in page
    parser = _Links()
    parser.feed(page)
    (link,) = parser.links
    assert link == {
        "href": f"demo_pkg-1.0%2Blocal.1-py3-none-any.whl#sha256={SHA}",
        **({"data-requires-python": requires_python} if requires_python else {}),
        "data-dist-info-metadata": f"sha256={META}",  # PEP 658
        "data-core-metadata": f"sha256={META}",  # PEP 714
    }
    (entry,) = parse_html(page, "http://127.0.0.1/simple/demo-pkg/")
    assert entry.filename == name and entry.hashes == {"sha256": SHA} and entry.core_metadata
    assert entry.url == "http://127.0.0.1/simple/demo-pkg/demo_pkg-1.0%2Blocal.1-py3-none-any.whl"
    expected = SpecifierSet(requires_python) if requires_python else None
    assert entry.requires_python == expected


def test_root_page_lists_projects_in_order() -> None:
    parser = _Links()
    parser.feed(root_page(["a-b", "requests", "zope-interface"]).decode())
    assert [link["href"] for link in parser.links] == ["a-b/", "requests/", "zope-interface/"]
    assert "Simple index" in "".join(parser.text)

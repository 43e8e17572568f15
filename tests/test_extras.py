"""Curated extras: which requirements a declaration keeps, and IW108 on the result."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from ipwhl_checks.repo.declaration import parse_declaration
from ipwhl_checks.repo.extras import marker_extras, requirements_for_extras

CID = "bafkreie7q3iidccmpvszul7kudcvvuavuo7u6gzlbobczuk5nqk3b4akba"
# requests 2.32.3's Requires-Dist, as its wheel's METADATA writes them
REQUESTS = ['charset-normalizer<4,>=2', 'idna<4,>=2.5', 'urllib3<3,>=1.21.1',
            'certifi>=2017.4.17', 'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
            'chardet<6,>=3.0.2; extra == "use_chardet_on_py3"']
POETRY = 'lxml>=4; extra == "html" or extra == "all"'  # poetry writes one line per extra set
# requirement -> the extra names its marker compares `extra` with
MARKERS = [
    ("idna<4", ()),
    ('colorama; sys_platform == "win32"', ()),
    ('PySocks; extra == "socks"', ("socks",)),
    ("tomli; 'Test' == extra", ("test",)),  # packaging normalizes it (PEP 685)
    (POETRY, ("html", "all")),
    ('pytest; python_version < "3.12" and extra == "test"', ("test",)),
]
# declared extras -> the requirements kept (indices into REQUESTS + [POETRY])
KEPT = [
    ((), [0, 1, 2, 3]),
    (("socks",), [0, 1, 2, 3, 4]),
    (("use-chardet-on-py3",), [0, 1, 2, 3, 5]),  # PEP 685: compared normalized
    (("socks", "use_chardet_on_py3"), [0, 1, 2, 3, 4, 5]),
    (("all",), [0, 1, 2, 3, 6]),
    (("html", "socks"), [0, 1, 2, 3, 4, 6]),
    (("nope",), [0, 1, 2, 3]),
]


@pytest.mark.parametrize(("text", "names"), MARKERS)
def test_marker_extras(text: str, names: tuple[str, ...]) -> None:
    assert marker_extras(Requirement(text).marker) == names


@pytest.mark.parametrize(("extras", "kept"), KEPT)
def test_requirements_for_extras(extras: tuple[str, ...], kept: list[int]) -> None:
    requirements = [Requirement(r) for r in [*REQUESTS, POETRY]]
    assert requirements_for_extras(requirements, extras) == tuple(requirements[i] for i in kept)
    # The truth from packaging's own marker evaluation: a requirement kept for an extra is
    # one pip installs for it (these markers depend on nothing but `extra`).
    for i, r in enumerate(requirements):
        asked = any(r.marker is None or r.marker.evaluate({"extra": e}) for e in ("", *extras))
        assert asked == (i in kept), r


# IW108 on a declaration that keeps what requirements_for_extras keeps: never a problem;
# a dependency only undeclared extras ask for: one problem per extra it names.
IW108 = [
    (["html"], [POETRY], []),
    (["all"], [POETRY], []),
    ([], [POETRY], ["dependencies: 'lxml>=4; extra == \"html\" or extra == \"all\"' names "
                    "extra 'html', which is not in extras",
                    "dependencies: 'lxml>=4; extra == \"html\" or extra == \"all\"' names "
                    "extra 'all', which is not in extras"]),
    (["socks"], ['chardet; extra == "use_chardet_on_py3"'],
     ["dependencies: 'chardet; extra == \"use-chardet-on-py3\"' names extra "
      "'use-chardet-on-py3', which is not in extras"]),
    (["use-chardet-on-py3"], ['chardet; extra == "use_chardet_on_py3"'], []),
]


@pytest.mark.parametrize(("extras", "dependencies", "problems"), IW108)
def test_iw108_with_curated_extras(extras: list[str], dependencies: list[str],
                                   problems: list[str]) -> None:
    table = {"source": "https://example.org/x-1.0-py3-none-any.whl", "content-id": CID,
             "extras": extras, "dependencies": dependencies}
    _fields, found = parse_declaration(table, "unixfs-v1-2025")
    assert found == [("IW108", p) for p in problems]

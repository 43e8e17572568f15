"""Paths in the data tree: the prefix rule and where a wheel's declaration lives."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from ipwhl_checks.errors import DeclarationError
from ipwhl_checks.repo.layout import declaration_path, locate, prefix


@pytest.mark.parametrize(("project", "expected"), [
    ("x", "78"),          # 120 = 0x78
    ("pip", "49"),        # 112 + 105 + 112 = 329 = 256 + 0x49
    ("requests", "7c"),   # 114+101+113+117+101+115+116+115 = 892 = 3 * 256 + 0x7c
    ("zope-interface", "9c"),  # 1436 = 5 * 256 + 0x9c
    ("a", "61"),
])
def test_prefix_is_the_code_point_sum_modulo_256_in_two_hex_digits(project, expected):
    assert prefix(project) == expected


@pytest.mark.parametrize(("filename", "expected"), [
    ("requests-2.32.3-py3-none-any.whl", "data/7c/requests/requests-2.32.3-py3-none-any.toml"),
    ("Zope.Interface-7.1-cp312-cp312-win_amd64.whl",
     "data/9c/zope-interface/Zope.Interface-7.1-cp312-cp312-win_amd64.toml"),
    ("charset_normalizer-3.4.0-1-py3-none-any.whl",
     "data/5a/charset-normalizer/charset_normalizer-3.4.0-1-py3-none-any.toml"),
])
def test_declaration_path(filename, expected):
    assert declaration_path(Path("data"), filename) == Path(expected)


def test_declaration_path_of_a_non_wheel_is_an_error():
    with pytest.raises(DeclarationError, match=r"not a wheel file name .*: 'x-1\.0\.tar\.gz'"):
        declaration_path(Path("data"), "x-1.0.tar.gz")


def test_locate_reads_the_wheel_from_the_path():
    location, problems = locate(PurePosixPath(
        "9c/zope-interface/Zope.Interface-7.1-cp312-cp312-win_amd64.toml"))
    assert problems == []
    assert location is not None
    assert location.filename == "Zope.Interface-7.1-cp312-cp312-win_amd64.whl"
    assert (location.project, str(location.version)) == ("zope-interface", "7.1")
    assert {str(t) for t in location.tags} == {"cp312-cp312-win_amd64"}


def test_the_settings_file_is_no_declaration_and_no_problem():
    assert locate(PurePosixPath("repository.toml")) == (None, [])

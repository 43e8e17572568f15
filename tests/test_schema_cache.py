"""The schema's caches give what the plain parse gives, and hand out nothing mutable.

A tree repeats the same ``extras`` and ``dependencies`` lists (the wheels of one release)
and the same requirement strings (many projects depend on one), so the schema caches its
result by the lists' values (:func:`_lists`, plain: :func:`_check_lists`) and each parsed
requirement and ``requires-python`` by its text (plain: packaging's constructors).  The
checks downstream key their own caches by value, so they do not depend on this sharing
either (tests/test_deps.py checks them against the plain check with and without it).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from ipwhl_checks.repo._schema import _check_lists, _lists, _specifier, parse_requirement

CORPUS = Path(__file__).parent / "data" / "declarations"


def _corpus_lists() -> list[tuple[object, object]]:
    found = []
    for path in sorted(CORPUS.rglob("*.toml")):
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        found.append((table.get("extras", []), table.get("dependencies", [])))
    return found


LISTS = [
    *_corpus_lists(),
    ([], []),
    (["socks"], ["idna<4,>=2.5", 'PySocks!=1.5.7,>=1.5.6; extra == "socks"']),
    (["Socks", "socks", "b_c"], ["x; extra == 'other'", "x ; extra == 'other'", "not valid!"]),
    (["a"], ["y>=1", "y >= 1", "z[a]; extra == 'a' or extra == 'b'"]),
    ("a", 3), (["a", 1], ["x", None]),  # not arrays of strings: never cached
]


def _plain(extras: object, dependencies: object) -> tuple[object, ...]:
    # the arguments copied: a cached call must not see (or keep) the caller's lists
    copy = [list(v) if isinstance(v, list) else v for v in (extras, dependencies)]
    return _check_lists(*copy)


@pytest.mark.parametrize(("extras", "dependencies"), LISTS)
def test_cached_lists_are_the_plain_lists(extras, dependencies):
    for _ in range(2):  # the first call fills the cache, the second reads it
        problems, names, requirements = _lists(extras, dependencies)
        plain_problems, plain_names, plain_requirements = _plain(extras, dependencies)
        assert (problems, names) == (plain_problems, plain_names)
        assert [str(r) for r in requirements] == [str(r) for r in plain_requirements]
        assert list(requirements) == list(plain_requirements)


def test_the_corpus_has_lists_to_check():
    assert len(LISTS) > 100
    assert any(_lists(e, d)[0] for e, d in LISTS)  # some with problems
    assert any(_lists(e, d)[2] for e, d in LISTS)  # some with requirements


@pytest.mark.parametrize(("extras", "dependencies"), LISTS)
def test_cached_values_are_immutable(extras, dependencies):
    problems, names, requirements = _lists(extras, dependencies)
    assert type(problems) is tuple and all(type(p) is tuple for p in problems)
    assert type(names) is tuple and type(requirements) is tuple
    assert all(isinstance(r, Requirement) for r in requirements)


def _texts(key: str) -> list[str]:
    found = []
    for path in sorted(CORPUS.rglob("*.toml")):
        try:
            value = tomllib.loads(path.read_text(encoding="utf-8")).get(key)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        found += [v for v in (value if isinstance(value, list) else [value])
                  if isinstance(v, str)]
    return found


REQUIREMENTS = [*_texts("dependencies"), "A.B_c [X] >= 1.0 , != 1.5 ; python_version<'3'",
                "x @ https://example.org/x-1.0-py3-none-any.whl", "x[", ""]
SPECIFIERS = [*_texts("requires-python"), " >=3.8 , <4", "~=3", ">=3.8.*", ""]


@pytest.mark.parametrize("text", REQUIREMENTS)
def test_a_cached_requirement_is_the_parsed_one(text):
    try:
        plain = Requirement(text)
    except InvalidRequirement:
        for _ in range(2):
            with pytest.raises(InvalidRequirement):
                parse_requirement(text)
        return
    for _ in range(2):
        cached = parse_requirement(text)
        assert (cached, str(cached), cached.extras) == (plain, str(plain), plain.extras)


@pytest.mark.parametrize("text", SPECIFIERS)
def test_a_cached_specifier_set_is_the_parsed_one(text):
    try:
        plain = SpecifierSet(text)
    except InvalidSpecifier:
        with pytest.raises(InvalidSpecifier):
            _specifier(text)
        return
    for _ in range(2):
        cached = _specifier(text)
        assert (cached, str(cached), cached.prereleases) == (plain, str(plain), plain.prereleases)

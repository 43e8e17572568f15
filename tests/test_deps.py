"""Dependencies satisfied on every supported environment (IW401-IW405), table-driven.

The environments are CPython 3.11 and 3.12 on manylinux_2_28_x86_64 and win_amd64; markers
are evaluated by packaging (PEP 508), so each case's expected environments are the ones
the spec says the marker holds on.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from functools import cache

import pytest
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from ipwhl_checks.checks.deps import (
    CHECKS,
    _iw401_missing,
    _iw402_version,
    _iw403_extra,
    _iw404_not_installable,
    check_dependencies,
    describe_environments,
)
from ipwhl_checks.repo.declaration import Declaration, Problem, parse_requirement
from ipwhl_checks.repo.settings import Settings

from .declmaker import declaration as d

SETTINGS = Settings(pythons=("3.11", "3.12"), platforms=("manylinux_2_28_x86_64", "win_amd64"))
LINUX = "{cp311,cp312}-manylinux_2_28_x86_64"
WINDOWS = "{cp311,cp312}-win_amd64"
PY311 = "cp311-{manylinux_2_28_x86_64,win_amd64}"
PY312 = "cp312-{manylinux_2_28_x86_64,win_amd64}"
ALL = "all 4 supported environments"
APP = "data/41/app/app-1.0-py3-none-any.toml"

# (id, declarations, expected [(check, message)] reported on the app's declaration)
CASES = [
    ("satisfied", [d("app-1.0-py3-none-any.whl", dependencies=["idna<4,>=2.5"]),
                   d("idna-3.7-py3-none-any.whl")], []),
    ("missing project", [d("app-1.0-py3-none-any.whl", dependencies=["idna<4,>=2.5"])],
     [("IW401", f"dependency 'idna<4,>=2.5': project 'idna' is not in the repository (on {ALL})")]),
    ("unnormalized name", [d("app-1.0-py3-none-any.whl", dependencies=["Zope.Interface"]),
                           d("zope_interface-7.0-cp311-cp311-win_amd64.whl"),
                           d("zope_interface-7.0-cp312-cp312-win_amd64.whl")],
     [("IW404", "dependency 'Zope.Interface': no declaration of 'zope-interface' is "
       f"installable (on {LINUX})")]),
    ("wrong version", [d("app-1.0-py3-none-any.whl", dependencies=["idna<4,>=2.5"]),
                       d("idna-4.0-py3-none-any.whl")],
     [("IW402", "dependency 'idna<4,>=2.5': 'data/9c/idna/idna-4.0-py3-none-any.toml' has "
       f"version 4.0 (on {ALL})")]),
    ("pre-release allowed", [d("app-1.0-py3-none-any.whl", dependencies=["idna>=3"]),
                             d("idna-4.0rc1-py3-none-any.whl")], []),
    ("missing extra", [d("app-1.0-py3-none-any.whl", dependencies=["requests[socks]>=2"]),
                       d("requests-2.32.3-py3-none-any.whl")],
     [("IW403", "dependency 'requests[socks]>=2': 'data/7c/requests/requests-2.32.3-py3-none-"
       f"any.toml' does not declare extra 'socks' (on {ALL})")]),
    ("missing extras", [d("app-1.0-py3-none-any.whl", dependencies=["requests[Socks,security]"]),
                        d("requests-2.32.3-py3-none-any.whl", extras=["security"])],
     [("IW403", "dependency 'requests[Socks,security]': 'data/7c/requests/requests-2.32.3-py3-"
       f"none-any.toml' does not declare extra 'socks' (on {ALL})")]),
    ("declared extra", [d("app-1.0-py3-none-any.whl", dependencies=["requests[socks]"]),
                        d("requests-2.32.3-py3-none-any.whl", extras=["socks"])], []),
    ("not installable", [d("app-1.0-py3-none-any.whl", dependencies=["winlib"]),
                         d("winlib-1.0-py3-none-win_amd64.whl")],
     [("IW404", f"dependency 'winlib': no declaration of 'winlib' is installable (on {LINUX})")]),
    ("marker false", [d("app-1.0-py3-none-any.whl",
                        dependencies=['winlib; sys_platform == "win32"']),
                      d("winlib-1.0-py3-none-win_amd64.whl")], []),
    ("marker true on windows", [d("app-1.0-py3-none-any.whl",
                                  dependencies=['pywin32; platform_system == "Windows"'])],
     [("IW401", "dependency 'pywin32; platform_system == \"Windows\"': project 'pywin32' is "
       f"not in the repository (on {WINDOWS})")]),
    ("marker python_version", [d("app-1.0-py3-none-any.whl",
                                 dependencies=['tomli>=1.1; python_version < "3.12"'])],
     [("IW401", "dependency 'tomli>=1.1; python_version < \"3.12\"': project 'tomli' is not "
       f"in the repository (on {PY311})")]),
    ("extra dependency", [d("app-1.0-py3-none-any.whl", extras=["socks"],
                            dependencies=['pysocks>=1.5.6; extra == "socks"'])],
     [("IW401", "dependency 'pysocks>=1.5.6; extra == \"socks\"': project 'pysocks' is not in "
       f"the repository (on {ALL})")]),
    ("extra of an undeclared name", [d("app-1.0-py3-none-any.whl",
                                       dependencies=['pysocks; extra == "socks"'])], []),
    ("requires-python of the dependent", [
        d("app-1.0-py3-none-any.whl", requires_python=">=3.12", dependencies=["x>=2"]),
        d("x-1.0-py3-none-any.whl")],
     [("IW402", f"dependency 'x>=2': 'data/78/x/x-1.0-py3-none-any.toml' has version 1.0 "
       f"(on {PY312})")]),
    ("requires-python of the dependency", [
        d("app-1.0-py3-none-any.whl", dependencies=["x"]),
        d("x-1.0-py3-none-any.whl", requires_python=">=3.12")],
     [("IW404", f"dependency 'x': no declaration of 'x' is installable (on {PY311})")]),
    ("one version per python", [
        d("app-1.0-py3-none-any.whl", dependencies=["x>=2"]),
        d("x-1.0-py3-none-any.whl", requires_python="<3.12"),
        d("x-2.0-py3-none-any.whl", requires_python=">=3.12")],
     [("IW402", f"dependency 'x>=2': 'data/78/x/x-1.0-py3-none-any.toml' has version 1.0 "
       f"(on {PY311})")]),
    ("binary dependency per platform", [
        d("app-1.0-py3-none-any.whl", dependencies=["numpy>=2"]),
        *(d(f"numpy-2.1.0-cp3{m}-cp3{m}-{p}.whl") for m in (11, 12)
          for p in ("manylinux_2_17_x86_64.manylinux2014_x86_64", "win_amd64"))], []),
    ("binary dependency missing one", [
        d("app-1.0-py3-none-any.whl", dependencies=["numpy>=2"]),
        *(d(f"numpy-2.1.0-cp3{m}-cp3{m}-{p}.whl") for m, p in
          ((11, "manylinux_2_17_x86_64"), (12, "manylinux_2_28_x86_64"), (11, "win_amd64")))],
     [("IW404", "dependency 'numpy>=2': no declaration of 'numpy' is installable "
       "(on cp312-win_amd64)")]),
    # Partial coverage: the dependencies must be there wherever the dependent installs, and
    # only there.
    ("partial coverage, the dependency covers the same", [
        d("app-1.0-py3-none-win_amd64.whl", dependencies=["winlib"]),
        d("winlib-1.0-py3-none-win_amd64.whl")], []),
    ("partial coverage, the dependency covers less", [
        d("app-1.0-py3-none-any.whl", requires_python=">=3.12", dependencies=["lib"]),
        d("lib-1.0-cp312-cp312-win_amd64.whl")],
     [("IW404", "dependency 'lib': no declaration of 'lib' is installable "
       "(on cp312-manylinux_2_28_x86_64)")]),
    ("dependent not installable anywhere", [
        d("app-1.0-py3-none-macosx_11_0_arm64.whl", dependencies=["missing"])], []),
    ("bad marker", [d("app-1.0-py3-none-any.whl", dependencies=['x; python_version ~= "abc"'])],
     [("IW405", "dependency 'x; python_version ~= \"abc\"': marker cannot be evaluated "
       f"(Undefined <Op('~=')> on '3.12' and 'abc'.) (on {ALL})")]),
]


@pytest.mark.parametrize(("declarations", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_dependencies(declarations, expected):
    problems = check_dependencies(declarations, SETTINGS)
    assert [(p.path, p.check, p.message) for p in problems] == [
        (APP, check, message) for check, message in expected]


def test_problems_of_several_declarations_are_sorted():
    declarations = [d("b-1.0-py3-none-any.whl", dependencies=["z", "y"]),
                    d("a-1.0-py3-none-any.whl", dependencies=["z"])]
    problems = check_dependencies(declarations, SETTINGS)
    assert [str(p) for p in problems] == [
        f"data/61/a/a-1.0-py3-none-any.toml: IW401 dependency 'z': project 'z' is not in the "
        f"repository (on {ALL})",
        f"data/62/b/b-1.0-py3-none-any.toml: IW401 dependency 'y': project 'y' is not in the "
        f"repository (on {ALL})",
        f"data/62/b/b-1.0-py3-none-any.toml: IW401 dependency 'z': project 'z' is not in the "
        f"repository (on {ALL})",
    ]


@pytest.mark.parametrize(("names", "expected"), [
    (["cp311-win_amd64"], "cp311-win_amd64"),
    (["cp311-win_amd64", "cp312-win_amd64"], "{cp311,cp312}-win_amd64"),
    (["cp311-win_amd64", "cp311-manylinux_2_28_x86_64", "cp312-win_amd64"],
     "cp311-{manylinux_2_28_x86_64,win_amd64}, cp312-win_amd64"),
    (["cp311-win_amd64", "cp311-manylinux_2_28_x86_64", "cp312-win_amd64",
      "cp312-manylinux_2_28_x86_64"], ALL),
])
def test_describe_environments(names, expected):
    environments = SETTINGS.environments
    mask = sum(1 << i for i, env in enumerate(environments) if env.name in names)
    assert describe_environments(mask, environments) == expected


def test_the_one_supported_environment_is_named():
    environments = Settings(pythons=("3.12",), platforms=("win_amd64",)).environments
    assert describe_environments(1, environments) == "cp312-win_amd64"


def test_checks_are_documented():
    for check_id, function in CHECKS.items():
        doc = function.__doc__ or ""
        assert doc.startswith(check_id + " ")
        assert "Why:" in doc and "Fix:" in doc


def test_wheels_sharing_requirements_are_reported_once():
    """The wheels of one release share their Requirement objects (the tree loader caches
    them) and are checked together; a problem of several is one line, on the first, naming
    the environments of them all and how many they are; a problem of one is its own."""
    linux = d("lib-1.0-cp311-cp311-manylinux_2_28_x86_64.whl", extras=["fast"],
              dependencies=["winhelper", 'speedup; extra == "fast"'])
    windows = dataclasses.replace(
        linux, path=linux.path.with_name("lib-1.0-cp311-cp311-win_amd64.toml"),
        filename="lib-1.0-cp311-cp311-win_amd64.whl",
        tags=frozenset(parse_tag("cp311-cp311-win_amd64")))
    helper = d("winhelper-1.0-py3-none-win_amd64.whl")
    problems = check_dependencies([linux, windows, helper], SETTINGS)
    assert [str(p) for p in problems] == [
        "data/37/lib/lib-1.0-cp311-cp311-manylinux_2_28_x86_64.toml: IW401 dependency "
        "'speedup; extra == \"fast\"': project 'speedup' is not in the repository "
        "(on cp311-{manylinux_2_28_x86_64,win_amd64}, in 2 declarations of 'lib')",
        "data/37/lib/lib-1.0-cp311-cp311-manylinux_2_28_x86_64.toml: IW404 dependency "
        "'winhelper': no declaration of 'winhelper' is installable "
        "(on cp311-manylinux_2_28_x86_64)",
    ]
    assert [(p.project, p.environments) for p in problems] == [
        ("lib", ("cp311-manylinux_2_28_x86_64", "cp311-win_amd64")),
        ("lib", ("cp311-manylinux_2_28_x86_64",))]


# --- the fast check against the plain one -------------------------------------------------
#
# check_dependencies works per set of environments (bit masks), caches what it can by value
# and checks the declarations of a project with equal dependencies (the wheels of one
# release) once.  The plain check below does none of that: every declaration, every
# environment, every requirement, on its own.  Both must give the same lines, whether the
# declarations share their requirement objects (as the tree loader makes them) or not.

_ENVIRONMENTS = Settings(pythons=("3.11", "3.12", "3.13"),
                         platforms=("manylinux_2_28_x86_64", "win_amd64", "macosx_14_0_arm64"))
_MARKERS = ["", '; python_version >= "3.12"', '; sys_platform == "win32"', '; extra == "a"',
            '; extra == "b" or python_version < "3.12"', '; platform_machine == "arm64"']
_SPECIFIERS = ["", ">=1", "<2", "==1.*", ">=2,<3", "!=1.0", "~=1.0"]
_TAGS = ["py3-none-any", "cp311-cp311-win_amd64", "cp312-abi3-manylinux_2_17_x86_64",
         "py3-none-macosx_11_0_arm64", "cp313-cp313-win_amd64", "py2-none-any"]


def _plain_dependencies(declarations: Sequence[Declaration], settings: Settings
                        ) -> list[Problem]:
    environments = settings.environments
    # (project, extras, dependencies, requirement, check, args) -> (mask, paths): one line
    # for the declarations of a project that declare the same
    found: dict[tuple[object, ...], tuple[int, set[str]]] = {}

    def add(decl: Declaration, i: int, env: int, make: Callable[..., Problem],
            *args: object) -> None:
        key = (decl.project, decl.extras, decl.dependencies, i, make, *args)
        mask, paths = found.get(key, (0, set()))
        found[key] = (mask | 1 << env, paths | {str(decl.path)})

    def installs(decl: Declaration, env: int) -> bool:
        python = Version(environments[env].markers["python_full_version"])
        return environments[env].supports(decl.tags) and (
            decl.requires_python is None or decl.requires_python.contains(python, prereleases=True))

    for decl in declarations:
        for env in range(len(environments)):
            if not installs(decl, env):
                continue
            for i, req in enumerate(decl.dependencies):
                if req.marker is not None and not any(
                        req.marker.evaluate({**environments[env].markers, "extra": extra})
                        for extra in ("", *decl.extras)):
                    continue
                targets = [t for t in declarations if t.project == canonicalize_name(req.name)]
                there = [t for t in targets if installs(t, env)]
                if not targets:
                    add(decl, i, env, _iw401_missing)
                elif not there:
                    add(decl, i, env, _iw404_not_installable)
                for t in there:
                    if not req.specifier.contains(t.version, prereleases=True):
                        add(decl, i, env, _iw402_version, t)
                    missing = sorted({canonicalize_name(e) for e in req.extras}
                                     - {canonicalize_name(e) for e in t.extras})
                    if missing:
                        add(decl, i, env, _iw403_extra, t, tuple(missing))
    by_path = {str(decl.path): decl for decl in declarations}
    problems = []
    for (project, _extras, _deps, i, make, *args), (mask, paths) in found.items():
        first = by_path[min(paths)]
        where = describe_environments(mask, environments)
        if len(paths) > 1:
            where += f", in {len(paths)} declarations of {project!r}"
        problems.append(make(first, first.dependencies[i], where, *args))
    return sorted(problems)


@cache
def _random_tree(seed: int) -> tuple[Declaration, ...]:
    """Projects p0..p7, each with one to three wheels of one or two releases; the wheels of
    a release list the same dependencies, some of them spelt differently."""
    rng = random.Random(seed)
    declarations = []
    for p in range(8):
        for release in rng.sample(["1.0", "1.5", "2.0rc1", "2.1"], rng.randrange(1, 3)):
            extras = sorted(rng.sample(["a", "b"], rng.randrange(3)))
            dependencies = [
                f"p{rng.randrange(9)}{rng.choice(['', '[a]', '[a,b]'])}"
                f"{rng.choice(_SPECIFIERS)}{rng.choice(_MARKERS)}"
                for _ in range(rng.randrange(4))]
            dependencies = list(dict.fromkeys(dependencies))
            requires_python = rng.choice([None, None, ">=3.12", "<3.13"])
            for tag in rng.sample(_TAGS, rng.randrange(1, 4)):
                spelt = [text.replace(">=", " >= ") if rng.random() < 0.2 else text
                         for text in dependencies]
                declarations.append(d(f"p{p}-{release}-{tag}.whl", extras=extras,
                                      requires_python=requires_python, dependencies=spelt))
    return tuple(declarations)


def _shared(declarations: Sequence[Declaration]) -> list[Declaration]:
    """The same declarations holding one Requirement object per text, as the loader does."""
    return [dataclasses.replace(x, dependencies=tuple(parse_requirement(str(r))
                                                      for r in x.dependencies))
            for x in declarations]


SEEDS = range(30)


@pytest.mark.parametrize("seed", SEEDS)
def test_dependencies_against_the_plain_check(seed):
    declarations = list(_random_tree(seed))
    expected = _plain_dependencies(declarations, _ENVIRONMENTS)
    assert check_dependencies(declarations, _ENVIRONMENTS) == expected
    assert check_dependencies(_shared(declarations), _ENVIRONMENTS) == _plain_dependencies(
        _shared(declarations), _ENVIRONMENTS)
    random.Random(seed).shuffle(declarations)
    assert check_dependencies(declarations, _ENVIRONMENTS) == expected


def test_the_random_trees_have_problems_of_every_kind():
    """The trees above exercise every check and the grouping (a check that finds nothing
    proves nothing)."""
    found = {p.check for seed in SEEDS
             for p in check_dependencies(_random_tree(seed), _ENVIRONMENTS)}
    assert found == {"IW401", "IW402", "IW403", "IW404"}


def test_equal_requirements_spelt_differently_are_one_line():
    """Two wheels of a release whose requirements are equal but spelt differently are
    checked together; their problem is one line, quoting the first one's spelling."""
    linux = d("lib-1.0-cp311-cp311-manylinux_2_28_x86_64.whl", dependencies=["Missing>=1.0"])
    windows = d("lib-1.0-cp311-cp311-win_amd64.whl", dependencies=["missing >= 1.0"])
    problems = check_dependencies([linux, windows], SETTINGS)
    assert [str(p) for p in problems] == [
        "data/37/lib/lib-1.0-cp311-cp311-manylinux_2_28_x86_64.toml: IW401 dependency "
        "'Missing>=1.0': project 'missing' is not in the repository "
        "(on cp311-{manylinux_2_28_x86_64,win_amd64}, in 2 declarations of 'lib')",
    ]

"""Online checks: each tampered field of a declaration is caught and named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwhl_checks.cli import main as ipwhl
from ipwhl_checks.repo.fmt import render
from ipwhl_checks.repo.layout import declaration_path
from ipwhl_checks.repo.source import index_source
from ipwhl_checks.unixfs import file_cid

from .conftest import online_check, run_ipwhl, without_summary
from .indexserver import IndexServer, use_index
from .wheelmaker import make_wheel

SETTINGS = "profile = 'unixfs-v1-2025'\npython = ['3.12']\nplatforms = ['manylinux_2_28_x86_64']\n"
DEMO = "demo-1.0-py3-none-any.whl"
DEMO_DEPS = ["idna<4,>=2.5", 'PySocks!=1.5.7,>=1.5.6; extra == "socks"']
CHARDET = 'chardet<6,>=3.0.2; extra == "use-chardet-on-py3"'
# demo's wheel provides two extras (as requests does); the repository supports only socks
DEMO_WHEEL = (["socks", "use-chardet-on-py3"], [*DEMO_DEPS, CHARDET])
# (filename, requires-python, extras, dependencies) declared for the wheels on the index
WHEELS = {
    DEMO: (">=3.8", ["socks"], DEMO_DEPS),
    "idna-2.10-py3-none-any.whl": (">=3.5", [], []),
    "pysocks-1.7.1-py3-none-any.whl": (None, [], []),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    tmp = tmp_path_factory.mktemp("online")
    with IndexServer(tmp / "index") as server:
        for filename, (rp, extras, deps) in WHEELS.items():
            name, version = filename.split("-")[:2]
            extras, deps = DEMO_WHEEL if filename == DEMO else (extras, deps)
            server.publish(make_wheel(tmp / "w", name, version, requires_python=rp,
                                      extras=extras, dependencies=deps), requires_python=rp)
        server.publish(make_wheel(tmp / "w", "demo", "1.1"))
        (tmp / "w" / "fake").mkdir()
        fake = tmp / "w" / "fake" / "fake-1.0-py3-none-any.whl"  # CID-true, but no wheel
        fake.write_bytes(b"PK\x05\x06" + bytes(18))
        server.publish(fake, metadata=False)
        yield server


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, index: IndexServer) -> None:
    use_index(monkeypatch, tmp_path, index)


def cid(index: IndexServer, filename: str) -> str:
    return file_cid(index.root / "files" / filename, "unixfs-v1-2025")[0]


def write_tree(root: Path, index: IndexServer, **tamper: object) -> Path:
    """A tree declaring the wheels on *index*; *tamper* replaces fields of demo's declaration."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "repository.toml").write_text(SETTINGS)
    for filename, (rp, extras, deps) in WHEELS.items():
        fields: dict[str, object] = {
            "source": index_source(filename.split("-")[0], filename),
            "content_id": cid(index, filename), "requires_python": rp,
            "extras": extras, "dependencies": deps}
        if filename == DEMO:
            fields.update(tamper)
        path = declaration_path(root, filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(**fields))  # type: ignore[arg-type]
    return declaration_path(root, DEMO)


# field tampered -> what the check says (after "path: ")
TAMPERED = [
    ("content-id", {"content_id": "{cid-1.1}"},
     "IW502 content-id: declared '{cid-1.1}' but {url} gives '{cid}'"),
    ("requires-python changed", {"requires_python": ">=3.9"},
     "IW504 requires-python: declared '>=3.9' but the wheel requires '>=3.8'"),
    ("requires-python dropped", {"requires_python": None},
     "IW504 requires-python: declared nothing but the wheel requires '>=3.8'"),
    ("extra added", {"extras": ["socks", "tls"]},
     "IW505 extras: declared 'tls' but the wheel does not provide it"),
    ("extra of the wheel declared without its dependency",
     {"extras": ["socks", "use-chardet-on-py3"]},
     "IW506 dependencies: the wheel requires '" + CHARDET + "' but it is not declared"),
    ("dependency of a declared extra dropped", {"dependencies": DEMO_DEPS[:1]},
     "IW506 dependencies: the wheel requires 'PySocks!=1.5.7,>=1.5.6; extra == \"socks\"' but it "
     "is not declared"),
    ("dependency of a declared extra added",
     {"dependencies": [*DEMO_DEPS, 'certifi; extra == "socks"']},
     "IW506 dependencies: declared 'certifi; extra == \"socks\"' but the wheel does not "
     "require it"),
    ("dependency of a declared extra loosened",
     {"dependencies": [DEMO_DEPS[0], 'PySocks>=1.5.6; extra == "socks"']},
     "IW506 dependencies: declared 'PySocks>=1.5.6; extra == \"socks\"' but the wheel requires "
     "'PySocks!=1.5.7,>=1.5.6; extra == \"socks\"'"),
    ("no extra declared, dependency dropped", {"extras": [], "dependencies": []},
     "IW506 dependencies: the wheel requires 'idna<4,>=2.5' but it is not declared"),
    ("dependency added", {"dependencies": [*DEMO_DEPS, "certifi>=2017"]},
     "IW506 dependencies: declared 'certifi>=2017' but the wheel does not require it"),
    ("dependency dropped", {"dependencies": DEMO_DEPS[1:]},
     "IW506 dependencies: the wheel requires 'idna<4,>=2.5' but it is not declared"),
    ("dependency loosened", {"dependencies": ["idna>=2.5", *DEMO_DEPS[1:]]},
     "IW506 dependencies: declared 'idna>=2.5' but the wheel requires 'idna<4,>=2.5'"),
    ("dependency tightened", {"dependencies": ["idna<3", *DEMO_DEPS[1:]]},
     "IW506 dependencies: declared 'idna<3' but the wheel requires 'idna<4,>=2.5'"),
    ("dependency marker changed", {"dependencies": [
        "idna<4,>=2.5", 'PySocks!=1.5.7,>=1.5.6; extra == "socks" and os_name == "nt"']},
     "IW506 dependencies: declared 'PySocks!=1.5.7,>=1.5.6; extra == \"socks\" and os_name == "
     "\"nt\"' but the wheel does not require it\n"
     "{path}: IW506 dependencies: the wheel requires 'PySocks!=1.5.7,>=1.5.6; extra == "
     "\"socks\"' but it is not declared"),
    ("source unreachable", {"source": "{base}/gone/" + DEMO},
     "IW501 source: cannot download {base}/gone/" + DEMO + ": HTTP 404 File not found"),
    ("source refused", {"source": "http://example.org/" + DEMO},
     "IW501 source: refusing 'http://example.org/" + DEMO + "': plain http is only allowed to this "
     "machine, use https"),
]
# A source that names another wheel than the declaration's, or a file on another
# project's page, is refused offline (IW110, IW103): the online check never sees it.
OFFLINE = [
    ("source names another file", {"source": index_source("demo", "demo-1.1-py3-none-any.whl")},
     "IW110 source: names 'demo-1.1-py3-none-any.whl' but the declaration is for '" + DEMO
     + "'"),
    ("on another project's page", {"source": index_source("idna", DEMO)},
     "IW103 source: invalid source 'index:idna/" + DEMO + "' (the file is a wheel of 'demo', "
     "not of 'idna', whose index page it names)"),
]


def _expand(text: str, index: IndexServer, path: Path) -> str:
    return (text.replace("{url}", index.file_url(DEMO)).replace("{base}", index.url)
            .replace("{index}", index.index_url).replace("{path}", str(path))
            .replace("{cid-1.1}", cid(index, "demo-1.1-py3-none-any.whl"))
            .replace("{cid}", cid(index, DEMO)))


@pytest.mark.parametrize(("tamper", "message"), [t[1:] for t in TAMPERED],
                         ids=[t[0] for t in TAMPERED])
def test_tampered_field_is_named(tmp_path: Path, index: IndexServer,
                                 capsys: pytest.CaptureFixture[str],
                                 tamper: dict[str, object], message: str) -> None:
    tamper = {k: _expand(v, index, tmp_path) if isinstance(v, str) else v
              for k, v in tamper.items()}
    path = write_tree(tmp_path / "data", index, **tamper)
    assert online_check(tmp_path / "data", path) == 1
    assert capsys.readouterr().out == f"{path}: {_expand(message, index, path)}\n"


@pytest.mark.parametrize(("tamper", "message"), [t[1:] for t in OFFLINE],
                         ids=[t[0] for t in OFFLINE])
def test_a_source_naming_another_wheel_is_refused_offline(
        tmp_path: Path, index: IndexServer, capsys: pytest.CaptureFixture[str],
        tamper: dict[str, object], message: str) -> None:
    path = write_tree(tmp_path / "data", index, **tamper)
    assert online_check(tmp_path / "data", path) == 0  # not a declaration it checks
    assert ipwhl(["check", "--online", "--root", str(tmp_path / "data")]) == 1
    assert capsys.readouterr().out == f"{path}: {message}\n"


def test_a_file_the_page_does_not_list(tmp_path: Path, index: IndexServer,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = write_tree(tmp_path / "data", index)
    with IndexServer(tmp_path / "other") as other:  # demo's page lists 1.1 alone
        other.publish(index.root / "files" / "demo-1.1-py3-none-any.whl")
        monkeypatch.setenv("PIP_INDEX_URL", other.index_url)
        assert online_check(tmp_path / "data", path) == 1
    assert capsys.readouterr().out == (f"{path}: IW501 source: {DEMO} is not listed on "
                                       f"{other.index_url}demo/\n")


# Curated extras: any subset of the wheel's extras, with exactly its dependencies, passes
# online; offline, only the declared extras' dependencies must be in the tree (no chardet).
NO_CHARDET = ("{path}: IW401 dependency '" + CHARDET + "': project 'chardet' is not in the "
              "repository (on cp312-manylinux_2_28_x86_64)\n")
CURATED = [
    ("the brief's example: socks, not use-chardet-on-py3", {}, ""),
    ("no extra", {"extras": [], "dependencies": DEMO_DEPS[:1]}, ""),
    ("the other extra", {"extras": ["use-chardet-on-py3"],
                         "dependencies": [DEMO_DEPS[0], CHARDET]}, NO_CHARDET),
    ("every extra", {"extras": DEMO_WHEEL[0], "dependencies": DEMO_WHEEL[1]}, NO_CHARDET),
]


@pytest.mark.parametrize(("fields", "offline"), [c[1:] for c in CURATED],
                         ids=[c[0] for c in CURATED])
def test_curated_extras_pass(tmp_path: Path, index: IndexServer,
                             capsys: pytest.CaptureFixture[str],
                             fields: dict[str, object], offline: str) -> None:
    path = write_tree(tmp_path / "data", index, **fields)
    assert online_check(tmp_path / "data", path) == 0
    assert capsys.readouterr().out == ""
    assert ipwhl(["check", "--root", str(tmp_path / "data")]) == (1 if offline else 0)
    assert capsys.readouterr().out == offline.replace("{path}", str(path))


def test_same_meaning_in_other_words_passes(tmp_path: Path, index: IndexServer,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    # Normalized and order-insensitive: spelling, spaces, specifier and list order.
    path = write_tree(tmp_path / "data", index, requires_python=" >= 3.8 ", extras=["Socks"],
                      dependencies=["pysocks >=1.5.6, !=1.5.7 ; extra=='socks'", "IDNA>=2.5,<4"])
    assert online_check(tmp_path / "data", path) == 0
    assert capsys.readouterr().out == ""


def test_not_a_wheel(tmp_path: Path, index: IndexServer,
                     capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data"
    write_tree(root, index)
    fake = "fake-1.0-py3-none-any.whl"
    path = declaration_path(root, fake)
    path.parent.mkdir(parents=True)
    path.write_text(render(index_source("fake", fake), cid(index, fake), None, [], []))
    assert online_check(root, path) == 1
    assert capsys.readouterr().out == (
        f"{path}: IW503 source: not a valid wheel: {fake}: expected exactly one .dist-info "
        "directory, found none\n")


def test_check_online_whole_tree_through_the_cli(tmp_path: Path, index: IndexServer,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data"
    path = write_tree(root, index, dependencies=["idna<3", *DEMO_DEPS[1:]])
    assert online_check(root) == 1
    assert capsys.readouterr().out == (
        f"{path}: IW506 dependencies: declared 'idna<3' but the wheel requires 'idna<4,>=2.5'\n")
    write_tree(root, index)
    before = len(index.requests)
    assert online_check(root) == 0
    assert index.requests[before:] == []  # every wheel came from the verified cache


def test_the_command_as_a_user_runs_it(tmp_path: Path, index: IndexServer) -> None:
    """``ipwhl check --online``: what the ipwhl-sources hook runs."""
    root = tmp_path / "data"
    path = write_tree(root, index, extras=["socks", "tls"])
    result = run_ipwhl("check", "--online", "--root", str(root), str(path))
    assert (result.returncode, result.stdout, without_summary(result.stderr)) == (
        1, f"{path}: IW505 extras: declared 'tls' but the wheel does not provide it\n", "")


def test_index_url_flag(tmp_path: Path, index: IndexServer, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data"
    path = write_tree(root, index)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/nothing/")
    assert online_check(root, path) == 1
    assert "source: cannot download http://127.0.0.1:9/nothing/demo/: connection failed: " \
        "Connection refused (after 1 attempt)" in capsys.readouterr().out
    assert ipwhl(["check", "--online", "--root", str(root), "--index-url", index.index_url,
                  str(path)]) == 0


def test_json_names_the_project_of_an_online_problem(tmp_path: Path, index: IndexServer) -> None:
    root = tmp_path / "data"
    path = write_tree(root, index, extras=["socks", "tls"])
    result = run_ipwhl("check", "--online", "--format", "json", "--root", str(root), str(path))
    assert result.returncode == 1
    assert json.loads(result.stdout) == [
        {"path": str(path), "id": "IW505", "project": "demo", "environments": [],
         "message": "extras: declared 'tls' but the wheel does not provide it"}]


@pytest.mark.parametrize(("limit", "over"), [(0, True), (1, False)],
                         ids=["one byte over", "exactly at the limit"])
def test_a_wheel_over_max_wheel_size(tmp_path: Path, index: IndexServer,
                                     capsys: pytest.CaptureFixture[str], limit: int,
                                     over: bool) -> None:
    """IW508 against the repository's own max-wheel-size, from the downloaded file's size."""
    root = tmp_path / "data"
    path = write_tree(root, index)
    size = (index.root / "files" / DEMO).stat().st_size
    (root / "repository.toml").write_text(f"{SETTINGS}max-wheel-size = {size - 1 + limit}\n")
    assert online_check(root, path) == (1 if over else 0)
    assert size < 1000  # in bytes, then
    assert capsys.readouterr().out == (
        f"{path}: IW508 size: the wheel is {size} B, more than the repository's max-wheel-size of "
        f"{size - 1} B\n" if over else "")
    # the other wheels are small: the offline check has nothing to say about sizes
    assert ipwhl(["check", "--root", str(root)]) == 0

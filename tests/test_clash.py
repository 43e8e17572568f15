"""IW507 file clashes, from real wheels' RECORD files (:mod:`ipwhl_checks.checks.clash`),
and where a wheel's files land (:mod:`ipwhl_checks.sources.record`, PEP 427)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipwhl_checks.checks.clash import check_clashes
from ipwhl_checks.errors import WheelError
from ipwhl_checks.repo.settings import Environment
from ipwhl_checks.sources.record import installed_paths

from .declmaker import declaration
from .wheelmaker import make_wheel

LINUX = Environment("3.12", "manylinux_2_28_x86_64")
WINDOWS = Environment("3.12", "win_amd64")


def test_installed_paths_follow_the_data_schemes(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "tool", "1.0", files={
        "tool-1.0.data/scripts/tool": b"#!python\n",
        "tool-1.0.data/purelib/extra.py": b"",
        "tool-1.0.data/data/share/tool/x.txt": b"",
        "tool-1.0.data/headers/tool.h": b""})
    assert installed_paths(wheel) == (
        "data/share/tool/x.txt", "scripts/tool", "site-packages/extra.py",
        "site-packages/tool/__init__.py")


def test_a_record_path_outside_the_archive_is_refused(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "evil", "1.0", files={"../outside.py": b""})
    with pytest.raises(WheelError, match="outside the archive"):
        installed_paths(wheel)


# (files of a, files of b, tags of b, requires-python of b, environments) -> witness or None
CASES = [
    ({"shared.py": b"1"}, {"shared.py": b"2"}, "py3-none-any", None, [LINUX],
     "cp312-manylinux_2_28_x86_64"),
    ({"shared.py": b"1"}, {"other.py": b"2"}, "py3-none-any", None, [LINUX], None),
    ({"shared.py": b"1"}, {"shared.py": b"2"}, "cp312-cp312-win_amd64", None, [LINUX], None),
    ({"shared.py": b"1"}, {"shared.py": b"2"}, "cp312-cp312-win_amd64", None, [LINUX, WINDOWS],
     "cp312-win_amd64"),
    ({"shared.py": b"1"}, {"shared.py": b"2"}, "py3-none-any", "<3.12", [LINUX], None),
]


@pytest.mark.parametrize(("a_files", "b_files", "b_tag", "b_python", "envs", "witness"), CASES)
def test_clashes(tmp_path: Path, a_files: dict[str, bytes], b_files: dict[str, bytes],
                 b_tag: str, b_python: str | None, envs: list[Environment],
                 witness: str | None) -> None:
    wheels = {w.name: w for w in (make_wheel(tmp_path, "aaa", "1.0", files=a_files),
                                  make_wheel(tmp_path, "bbb", "1.0", files=b_files, tag=b_tag))}
    decls = [declaration(name, requires_python=b_python if name.startswith("bbb") else None)
             for name in wheels]
    problems = check_clashes(decls, envs, lambda d: wheels[d.filename])
    if witness is None:
        assert problems == []
        return
    (problem,) = problems
    assert problem.check == "IW507"
    assert problem.message == (f"writes 'site-packages/shared.py' as '{decls[1].path}' does, "
                               f"both installable on {witness}")

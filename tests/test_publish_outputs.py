"""``ipwhl publish`` whose outputs cannot be written: one line naming the output, exit 1, no
traceback, and nothing left behind (a full disk is stood in for by a file size limit:
:func:`.conftest.ipwhl_argv`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ipwhl_checks.cli import main

from .conftest import ipwhl_argv
from .test_publish import Repo, repo, write_declaration  # noqa: F401 (the fixture)
from .wheelmaker import make_wheel

CASES: list[tuple[str, list[str], bool, str]] = [  # (case, options, disk full, error)
    ("car-under-a-file", ["--car", "a-file/x.car"], False,
     "a-file/x.car: a-file is not a directory"),
    ("car-under-a-file-deeper", ["--car", "a-file/sub/x.car"], False,
     "a-file/sub/x.car: a-file is not a directory"),
    ("car-is-a-directory", ["--car", "a-dir"], False,
     "a-dir: is a directory; --car names the CAR file to write"),
    ("out-under-a-file", ["--out", "a-file/site"], False,
     "a-file/site: a-file is not a directory"),
    ("car-disk-full", ["--car", "a-dir/x.car"], True,
     "a-dir/x.car: cannot write (File too large)"),
    ("out-disk-full", ["--out", "a-dir/site"], True,
     "a-dir/site: cannot write (File too large)"),
    ("both-disk-full", ["--out", "site", "--car", "x.car"], True,
     "x.car: cannot write (File too large)"),  # (the CAR outgrows the limit first)
]


@pytest.mark.parametrize(("args", "full", "error"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_an_output_that_cannot_be_written(
        repo: Repo, args: list[str], full: bool, error: str) -> None:  # noqa: F811
    assert main(["publish", "--root", str(repo.data)]) == 0  # the wheels in the cache
    (repo.root / "a-file").write_text("not a directory\n")
    (repo.root / "a-dir").mkdir()
    before = sorted(p.relative_to(repo.root) for p in repo.root.rglob("*"))
    done = subprocess.run(ipwhl_argv("publish", "--root", "data", *args, small_files=full),
                          cwd=repo.root, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (1, f"ipwhl publish: {error}\n")
    assert sorted(p.relative_to(repo.root) for p in repo.root.rglob("*")) == before


def test_a_full_wheel_cache_is_named_not_the_source(repo: Repo) -> None:  # noqa: F811
    wheel = make_wheel(repo.wheels, "aaa", "1.0", files={"aaa/blob.bin": os.urandom(4096)})
    declaration = write_declaration(repo.data, wheel, f"{repo.base}/{wheel.name}",
                                    requires_python=None)
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "ipwhl"
    done = subprocess.run(ipwhl_argv("publish", "--root", "data", "--car", "x.car",
                                     small_files=True),
                          cwd=repo.root, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (
        1, f"ipwhl publish: {declaration.relative_to(repo.root)}: cannot write to the wheel "
           f"cache {cache} (File too large); nothing was published\n")
    assert list((cache / "tmp").iterdir()) == []
    assert sorted(p.name for p in repo.root.iterdir()) == ["data"]

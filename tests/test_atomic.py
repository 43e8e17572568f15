import os
import stat
from pathlib import Path

import pytest

from ipwhl_checks.errors import WriteError
from ipwhl_checks.util.atomic import atomic_write, plain_mode


@pytest.mark.parametrize("content", ["text with ünicode\n", b"\x00bytes\xff"])
def test_atomic_write_replaces_and_leaves_no_temp_file(tmp_path: Path, content) -> None:
    target = tmp_path / "file"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write(target, content)
    expected = content.encode() if isinstance(content, str) else content
    assert target.read_bytes() == expected
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # an existing file keeps its mode
    assert os.listdir(tmp_path) == ["file"]


def test_new_file_gets_the_umask_mode_not_tempfiles_private_one(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new", "x")
        assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o644
        assert plain_mode(directory=True) == 0o755
    finally:
        os.umask(old)


def test_failed_rename_leaves_target_untouched_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    (target / "keep").write_text("old")
    with pytest.raises(WriteError, match=r"dir: cannot write \(Is a directory\)$"):
        atomic_write(target, "new")  # a file cannot replace a non-empty directory
    assert (target / "keep").read_text() == "old"
    assert os.listdir(tmp_path) == ["dir"]

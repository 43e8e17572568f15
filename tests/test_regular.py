"""``_regular``: the data tree's files and CARs are read only when they are regular files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ipwhl_checks.util.regular import open_regular, read_regular


def _file(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def _link_to_file(path: Path) -> None:
    (path.parent / "target").write_bytes(b"through the link")
    path.symlink_to("target")


CASES: list[tuple[str, Callable[[Path], None], bool, bytes | str]] = [
    # (case, how the path is made, follow symbolic links, its bytes or the error's words)
    ("small", _file(b"source = 'x'\n"), False, b"source = 'x'\n"),
    ("empty", _file(b""), False, b""),
    ("larger-than-a-read", _file(bytes(range(256)) * 8192), False, bytes(range(256)) * 8192),
    ("fifo", os.mkfifo, False, "not a regular file"),
    ("directory", Path.mkdir, False, "is a directory"),
    ("link-not-followed", _link_to_file, False, "is a symbolic link"),
    ("link-followed", _link_to_file, True, b"through the link"),
    ("dangling-link", lambda p: p.symlink_to("nowhere"), False, "is a symbolic link"),
    ("missing", lambda p: None, False, "No such file or directory"),
]


@pytest.mark.parametrize(("make", "follow", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_read_regular(tmp_path: Path, make: Callable[[Path], None], follow: bool,
                      expected: bytes | str) -> None:
    path = tmp_path / "x.toml"
    make(path)
    if isinstance(expected, bytes):
        assert read_regular(path, follow_symlinks=follow) == expected
        with open_regular(path, follow_symlinks=follow) as f:
            assert f.read() == expected
    else:
        for read in (lambda: read_regular(path, follow_symlinks=follow),
                     lambda: open_regular(path, follow_symlinks=follow).close()):
            with pytest.raises(OSError) as caught:
                read()
            assert caught.value.strerror == expected
            assert caught.value.filename == str(path)

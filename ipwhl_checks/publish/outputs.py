"""Where a publish writes: the ``--out`` directory and the CAR, staged under temporary
names in their target's directory and moved into place only by :meth:`Outputs.commit`.

A failed write (a full disk, a parent that is a file) is one :class:`PublishError` line
naming the output it was for; the staged files are removed and the targets are untouched.

``--out`` replaces only an empty directory or a tree this tool published
(:func:`check_published`): one whose ``manifest.json`` is an IPWHL manifest and which
holds nothing that manifest, or its site's ``_browse/site.json``, does not name
(:mod:`.browse.written`).  Any other directory (one that merely has a
file called ``manifest.json``, such as a browser extension) is refused, before anything
is built.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..errors import PublishError
from ..ipld.car import CarWriter
from ..unixfs import Node, get_profile
from ..util.atomic import OutputFile, failing_as, plain_mode
from ..util.regular import read_regular
from .browse.html import SITE_DIR
from .browse.written import site_entries
from .manifest import MANIFEST_NAME, Manifest, parse_manifest

if TYPE_CHECKING:
    from .options import PublishOptions

__all__ = ["Outputs", "check_published"]

_INDEX = "index.html"


class Outputs:
    """The --out directory and the CAR, staged under temporary names until commit()."""

    def __init__(self, stack: ExitStack, options: PublishOptions, profile: str) -> None:
        self.out_tmp: Path | None = None
        # For a delta CAR: whether the previous release holds the block of a binary CID
        # (those are left out); the publisher sets it for each part of the tree it builds.
        self.held: Callable[[bytes], bool] | None = None
        self._car: CarWriter | None = None
        self._car_file: IO[bytes] | None = None
        self._car_tmp: Path | None = None
        self._options = options
        if options.out is not None:
            with _writing(Path(options.out)):
                self._stage_out(stack, Path(options.out))
        if options.car is not None:
            with _writing(Path(options.car)):
                self._stage_car(stack, Path(options.car), profile)

    def _stage_out(self, stack: ExitStack, target: Path) -> None:
        check_published(target)
        _make_parent(target)
        self.out_tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        os.chmod(self.out_tmp, plain_mode(directory=True))
        stack.callback(shutil.rmtree, self.out_tmp, ignore_errors=True)

    def _stage_car(self, stack: ExitStack, car: Path, profile: str) -> None:
        if car.is_dir():
            raise PublishError(f"{car}: is a directory; --car names the CAR file to write")
        _make_parent(car)
        fd, tmp = tempfile.mkstemp(prefix=f".{car.name}.", dir=car.parent)
        self._car_tmp = Path(tmp)
        stack.callback(self._car_tmp.unlink, missing_ok=True)
        self._car_file = stack.enter_context(
            io.BufferedRandom(OutputFile(fd, "w+b", failed=partial(_unwritable, car))))
        os.chmod(tmp, plain_mode())
        # The root is known only at the end; its CID has a fixed length (the root is a
        # dag-pb directory: 34 bytes under CIDv0, 36 under CIDv1), so the header is
        # written with a placeholder root of that length and rewritten in place.
        self._car = CarWriter(self._car_file, [_placeholder_root(profile)])

    @property
    def blocks(self) -> int:
        return self._car.blocks if self._car is not None else 0

    def sink(self, raw: bytes, data: bytes | memoryview) -> None:
        if self._car is None:
            return
        if self.held is None or not self.held(raw):  # a delta CAR: only new blocks
            self._car.add(raw, data)

    def file(self, relpath: str) -> IO[bytes] | None:
        if self.out_tmp is None:
            return None
        path = self.out_tmp / relpath
        target = Path(str(self._options.out))
        with _writing(target):
            path.parent.mkdir(parents=True, exist_ok=True)
            return io.BufferedWriter(OutputFile(path, "wb", failed=partial(_unwritable, target)))

    def write(self, relpath: str, data: bytes | memoryview) -> None:
        f = self.file(relpath)
        if f is not None:
            with f:
                f.write(data)

    def commit(self, root: Node) -> None:
        """Move the outputs into place (only called when everything succeeded)."""
        if self._car_file is not None and self._car_tmp is not None \
                and self._options.car is not None:
            assert self._car is not None
            with _writing(Path(self._options.car)):
                self._car.replace_roots([root.raw])
                self._car_file.flush()
                os.fsync(self._car_file.fileno())
                os.replace(self._car_tmp, self._options.car)
        if self.out_tmp is not None and self._options.out is not None:
            target = Path(self._options.out)
            old: Path | None = None
            with _writing(target):
                if target.exists() or target.is_symlink():
                    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.",
                                                dir=target.parent))
                    os.replace(target, old / "tree")
                try:
                    os.replace(self.out_tmp, target)
                except OSError:
                    if old is not None:  # the previous tree goes back where it was
                        os.replace(old / "tree", target)
                        old.rmdir()
                    raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)


def check_published(target: Path) -> None:
    """Refuse (:class:`PublishError`) to replace *target* unless it does not exist, is an
    empty directory, or is a tree this tool published: a directory whose ``manifest.json``
    parses as an IPWHL manifest (:func:`~ipwhl_checks.publish.manifest.parse_manifest`)
    and whose every entry that manifest names (``index.html``, ``manifest.json``, a
    directory per project holding its ``index.html``, its wheels and their ``.metadata``
    files) or its site's state (``_browse/`` and the extra directories), none of them a
    symbolic link."""
    if not (target.exists() or target.is_symlink()):
        return
    if target.is_dir() and not any(target.iterdir()):
        return
    why = _not_published(target)
    if why:
        raise PublishError(f"{target}: exists and is not a published tree ({why}); refusing "
                           "to replace it")


def _not_published(target: Path) -> str | None:
    """Why *target* is not a tree this tool published (None when it is one)."""
    if not target.is_dir():
        return "not a directory"
    try:
        data = read_regular(target / MANIFEST_NAME, follow_symlinks=False)
    except FileNotFoundError:
        return f"no {MANIFEST_NAME}"
    except OSError as e:
        return f"{MANIFEST_NAME}: {e.strerror or e}"
    try:
        manifest = parse_manifest(data, MANIFEST_NAME)
    except PublishError as e:
        return f"{_cut(str(e))}"
    except RecursionError:  # json's C scanner stops at the interpreter's recursion limit
        return f"{MANIFEST_NAME}: not an IPWHL manifest (nested too deep)"
    return _stray(target, manifest)


def _stray(target: Path, manifest: Manifest) -> str | None:
    """The first entry of *target* that *manifest* does not name, said as a reason."""
    expected: dict[str, set[str] | None] = {_INDEX: None, MANIFEST_NAME: None}
    for project in manifest.projects:
        names = {_INDEX}
        for wheel in project.wheels:
            names |= {wheel.filename, f"{wheel.filename}.metadata"}
        expected[project.name] = names
    site = target / SITE_DIR
    if site.is_dir() and not site.is_symlink():
        extra, why = site_entries(target)
        if why is not None:
            return why
        expected[SITE_DIR] = set()  # (site_entries looked inside)
        for directory, files in extra.items():
            expected.setdefault(directory, files)
    try:
        for entry in sorted(os.scandir(target), key=lambda e: e.name):
            inside = expected.get(entry.name, ())
            if entry.name not in expected or entry.is_symlink() \
                    or entry.is_dir() != (inside is not None):
                return f"{entry.name!r} is not in its {MANIFEST_NAME}"
            if inside is None or entry.name == SITE_DIR:
                continue
            for sub in sorted(os.scandir(entry.path), key=lambda e: e.name):
                if sub.name not in inside or not sub.is_file(follow_symlinks=False):
                    return f"'{entry.name}/{sub.name}' is not in its {MANIFEST_NAME}"
    except OSError as e:
        return f"cannot list it ({e.strerror or e})"
    return None


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."


def _unwritable(target: Path, e: OSError) -> PublishError:
    return PublishError(f"{target}: cannot write ({e.strerror or e})")


def _writing(target: Path) -> AbstractContextManager[None]:
    """An OSError in the block is a :class:`PublishError` naming the output *target*."""
    return failing_as(partial(_unwritable, target))


def _make_parent(target: Path) -> None:
    """Create *target*'s missing parent directories, saying so if one of them is a file."""
    for parent in target.parents:  # the nearest first
        if parent.is_dir():
            break
        if parent.exists() or parent.is_symlink():
            raise PublishError(f"{target}: {parent} is not a directory")
    target.parent.mkdir(parents=True, exist_ok=True)


def _placeholder_root(profile_or_raw: str | bytes) -> bytes:
    """A dag-pb CID of the root's length (binary), all-zero digest."""
    if isinstance(profile_or_raw, bytes):
        v1 = not profile_or_raw.startswith(b"\x12\x20")
    else:
        v1 = get_profile(profile_or_raw).cid_version == 1
    return (b"\x01\x70" if v1 else b"") + b"\x12\x20" + bytes(32)

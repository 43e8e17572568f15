"""Downloads against a real local index: policy, retries, faults and the verified cache."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from multiformats import CID
from packaging.utils import parse_wheel_filename

from ipwhl_checks.errors import DownloadError
from ipwhl_checks.repo.declaration import Declaration
from ipwhl_checks.repo.source import index_source
from ipwhl_checks.sources.cache import cache_dir, wheel_path
from ipwhl_checks.sources.fetch import (
    ContentMismatch,
    check_url,
    download_wheel,
    fetch_wheel,
)

from .indexserver import (
    Body,
    Hang,
    IndexServer,
    NoLength,
    Redirect,
    Status,
    Truncate,
    silent_server,
    use_index,
)
from .wheelmaker import make_wheel

NAME = "demo-1.0-py3-none-any.whl"
OTHER = "demo-1.1-py3-none-any.whl"


def raw_cid(data: bytes) -> str:
    # Truth from the spec, not our engine: under unixfs-v1-2025 a file of one chunk (<= 1 MiB)
    # is a single raw block, so its CID is CIDv1 raw sha2-256 of the bytes, in base32.
    return str(CID("base32", 1, "raw", ("sha2-256", hashlib.sha256(data).digest())))


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    tmp = tmp_path_factory.mktemp("fetch")
    with IndexServer(tmp / "index") as server:
        server.publish(make_wheel(tmp / "w", "demo", "1.0", files={"demo/x.bin": b"x" * 5000}))
        server.publish(make_wheel(tmp / "w", "demo", "1.1"))
        yield server


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, index: IndexServer) -> None:
    use_index(monkeypatch, tmp_path, index, retries=None)
    monkeypatch.setenv("IPWHL_RETRIES", "1")
    monkeypatch.delenv("IPWHL_TIMEOUT", raising=False)
    monkeypatch.delenv("IPWHL_MAX_SIZE", raising=False)
    index.faults.clear()


def _bytes(index: IndexServer, filename: str = NAME) -> bytes:
    return (index.root / "files" / filename).read_bytes()


def declaration(filename: str, source: str, content_id: str) -> Declaration:
    name, version, _build, tags = parse_wheel_filename(filename)
    return Declaration(path=Path(filename[:-4] + ".toml"), filename=filename, project=name,
                       version=version, tags=tags, source=source, content_id=content_id,
                       requires_python=None, extras=(), dependencies=())


def _declared(index: IndexServer, source: str | None = None) -> Declaration:
    return declaration(NAME, source or index_source("demo", NAME), raw_cid(_bytes(index)))


def _file_requests(index: IndexServer) -> list[str]:
    return [r for r in index.requests if r.startswith("/files/")]


def test_fetch_from_the_index_into_the_cache(index: IndexServer) -> None:
    before = len(index.requests)
    path = fetch_wheel(_declared(index), "unixfs-v1-2025")
    assert path == cache_dir() / "wheels" / raw_cid(_bytes(index)) / NAME
    assert path.read_bytes() == _bytes(index)
    assert index.requests[before:] == ["/simple/demo/", f"/files/{NAME}"]
    assert fetch_wheel(_declared(index), "unixfs-v1-2025") == path  # a cache hit ...
    assert len(index.requests) == before + 2  # ... asks nothing


def test_damaged_cache_entry_is_fetched_again(index: IndexServer) -> None:
    path = fetch_wheel(_declared(index), "unixfs-v1-2025")
    path.write_bytes(b"bit rot")
    before = len(_file_requests(index))
    assert fetch_wheel(_declared(index), "unixfs-v1-2025").read_bytes() == _bytes(index)
    assert len(_file_requests(index)) == before + 1


def test_absolute_url_source(index: IndexServer) -> None:
    path = fetch_wheel(_declared(index, index.file_url(NAME)), "unixfs-v1-2025")
    assert path.read_bytes() == _bytes(index)


def test_500_then_200_is_retried(index: IndexServer) -> None:
    index.fault(f"/files/{NAME}", Status(500))
    before = len(_file_requests(index))
    assert fetch_wheel(_declared(index), "unixfs-v1-2025").read_bytes() == _bytes(index)
    assert len(_file_requests(index)) == before + 2


def test_truncated_once_is_retried(index: IndexServer) -> None:
    index.fault(f"/files/{NAME}", Truncate(100))
    assert fetch_wheel(_declared(index), "unixfs-v1-2025").read_bytes() == _bytes(index)


def _error(index: IndexServer, declared: Declaration | None = None) -> str:
    with pytest.raises(DownloadError) as e:
        fetch_wheel(declared or _declared(index), "unixfs-v1-2025")
    assert not list((cache_dir() / "wheels").glob("*/*"))  # nothing cached
    return str(e.value)


def test_truncated_every_time(index: IndexServer) -> None:
    index.fault(f"/files/{NAME}", Truncate(100), Truncate(100))
    assert _error(index) == (f"cannot download {index.file_url(NAME)}: the connection closed "
                             "before the end of the file (after 2 attempts)")


def test_500_every_time(index: IndexServer) -> None:
    index.fault(f"/files/{NAME}", Status(500), Status(503))
    assert _error(index) == (f"cannot download {index.file_url(NAME)}: HTTP 503 Service "
                             "Unavailable (after 2 attempts)")


def test_404_is_not_retried(index: IndexServer) -> None:
    index.fault(f"/files/{NAME}", Status(404))
    before = len(_file_requests(index))
    assert _error(index) == f"cannot download {index.file_url(NAME)}: HTTP 404 Not Found"
    assert len(_file_requests(index)) == before + 1


def test_wrong_bytes_are_a_content_mismatch(index: IndexServer) -> None:
    wrong = _bytes(index, OTHER)
    index.fault(f"/files/{NAME}", Body(wrong))
    with pytest.raises(ContentMismatch) as e:
        fetch_wheel(_declared(index), "unixfs-v1-2025")
    assert str(e.value) == (f"content-id: declared {raw_cid(_bytes(index))!r} but "
                            f"{index.file_url(NAME)} gives {raw_cid(wrong)!r}")
    assert not list((cache_dir() / "wheels").glob("*/*"))


def test_timeout(index: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPWHL_TIMEOUT", "0.3")
    monkeypatch.setenv("IPWHL_RETRIES", "0")
    index.fault(f"/files/{NAME}", Hang())
    assert _error(index) == (f"cannot download {index.file_url(NAME)}: no answer within 0.3 s "
                             "(after 1 attempt)")
    with silent_server() as url:
        source = f"{url}/{NAME}"
        assert _error(index, _declared(index, source)) == (
            f"cannot download {source}: no answer within 0.3 s (after 1 attempt)")


def test_connection_refused(index: IndexServer) -> None:
    with silent_server() as url:
        pass  # closed: nothing listens on the port any more
    source = f"{url}/{NAME}"
    assert _error(index, _declared(index, source)) == (
        f"cannot download {source}: connection failed: Connection refused (after 2 "
        "attempts)")


def test_redirect_to_a_file_url_is_refused(index: IndexServer, tmp_path: Path) -> None:
    local = tmp_path / NAME
    local.write_bytes(_bytes(index))
    index.fault(f"/files/{NAME}", Redirect(local.as_uri()))
    with pytest.raises(DownloadError) as e:  # even when file URLs are allowed
        fetch_wheel(_declared(index), "unixfs-v1-2025", allow_file=True)
    assert str(e.value) == (f"refusing redirect from {index.file_url(NAME)} to "
                            f"{local.as_uri()!r}: a redirect never leads to a local file")


def test_redirects_are_checked_and_followed(index: IndexServer) -> None:
    index.fault(f"/files/{NAME}", Redirect("http://example.org/" + NAME))
    assert _error(index) == (f"refusing redirect from {index.file_url(NAME)} to "
                             f"'http://example.org/{NAME}': plain http is only allowed to this "
                             "machine, use https")
    index.fault(f"/old/{NAME}", Redirect(f"/files/{NAME}"))  # relative, same host: followed
    assert fetch_wheel(_declared(index, f"{index.url}/old/{NAME}"),
                       "unixfs-v1-2025").read_bytes() == _bytes(index)


def test_size_cap(index: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IPWHL_MAX_SIZE", "1000")
    size = len(_bytes(index))
    url = index.file_url(NAME)
    assert _error(index) == (f"refusing {url}: {size} bytes is larger than the 1000-byte "
                             "size cap (IPWHL_MAX_SIZE)")
    index.fault(f"/files/{NAME}", NoLength())  # no Content-Length: counted while streaming
    assert _error(index) == (f"refusing {url}: larger than the 1000-byte size cap "
                             "(IPWHL_MAX_SIZE)")


def test_not_listed_on_the_index(index: IndexServer) -> None:
    missing = "demo-9.9-py3-none-any.whl"
    assert _error(index, declaration(missing, index_source("demo", missing), "bafkqaaa")) == (
        f"{missing} is not listed on {index.index_url}demo/")


URLS = [
    ("https://example.org/x.whl", True, ""),
    ("http://127.0.0.1:1/x.whl", True, ""),
    ("http://[::1]:1/x.whl", True, ""),
    ("http://localhost/x.whl", True, ""),
    ("http://example.org/x.whl", True,
     "refusing 'http://example.org/x.whl': plain http is only allowed to this machine, use https"),
    ("file:///srv/x.whl", False,
     "refusing 'file:///srv/x.whl': file URLs are only read when allowed"),
    ("file:///srv/x.whl", True, ""),
    ("ftp://example.org/x.whl", True,
     "refusing 'ftp://example.org/x.whl': only https (and http to this machine) is downloaded"),
]


@pytest.mark.parametrize(("url", "allow_file", "message"), URLS)
def test_url_policy(url: str, allow_file: bool, message: str) -> None:
    if not message:
        check_url(url, allow_file=allow_file)
        return
    with pytest.raises(DownloadError) as e:
        check_url(url, allow_file=allow_file)
    assert str(e.value) == message


def test_file_source_when_allowed(index: IndexServer, tmp_path: Path) -> None:
    local = tmp_path / NAME
    local.write_bytes(_bytes(index))
    declared = _declared(index, local.as_uri())
    assert _error(index, declared) == f"refusing {local.as_uri()!r}: file URLs are only read " \
        "when allowed"
    path = fetch_wheel(declared, "unixfs-v1-2025", allow_file=True)
    assert path.read_bytes() == local.read_bytes()


def test_download_wheel_checks_the_index_hash(index: IndexServer) -> None:
    entry = download_wheel(index_source("demo", NAME), "unixfs-v1-2025")
    assert (entry.cid, entry.sha256) == (raw_cid(_bytes(index)),
                                         hashlib.sha256(_bytes(index)).hexdigest())
    shutil.rmtree(cache_dir())  # so that the next call downloads
    zeros = bytes(len(_bytes(index)))
    index.fault(f"/files/{NAME}", Body(zeros))
    with pytest.raises(DownloadError) as e:
        download_wheel(index_source("demo", NAME), "unixfs-v1-2025")
    assert str(e.value) == (f"{index.file_url(NAME)}: the index lists sha256 "
                            f"{hashlib.sha256(_bytes(index)).hexdigest()} but the download "
                            f"gives {hashlib.sha256(zeros).hexdigest()}")


def test_download_wheel_reuses_a_cached_file_with_the_listed_sha256(index: IndexServer) -> None:
    first = download_wheel(index_source("demo", NAME), "unixfs-v1-2025")
    before = len(_file_requests(index))
    assert download_wheel(index_source("demo", NAME), "unixfs-v1-2025") == first
    assert len(_file_requests(index)) == before  # not downloaded again
    first.path.write_bytes(b"bit rot")
    again = download_wheel(index_source("demo", NAME), "unixfs-v1-2025")
    assert (again.cid, again.path.read_bytes()) == (first.cid, _bytes(index))
    assert len(_file_requests(index)) == before + 1


def test_cache_is_where_the_readme_says(tmp_path: Path) -> None:
    """platformdirs' user cache directory, which on Linux honours XDG_CACHE_HOME (set to
    tmp_path/cache by use_index): ``<root>/wheels/<cid>/<filename>``."""
    if sys.platform.startswith("linux"):
        assert cache_dir() == tmp_path / "cache" / "ipwhl"
    assert wheel_path("bafkqaaa", NAME) == str(cache_dir() / "wheels" / "bafkqaaa" / NAME)


@pytest.mark.parametrize(("cid", "filename"), [
    ("bafkqaaa", "../" + NAME), ("bafkqaaa", "demo/" + NAME), ("bafkqaaa", "." + NAME),
    ("bafkqaaa", ".."), ("bafkqaaa", ""), ("..", NAME), ("bafk/..", NAME), ("", NAME)])
def test_cache_paths_stay_in_the_cache(cid: str, filename: str) -> None:
    with pytest.raises(DownloadError) as e:
        wheel_path(cid, filename)
    assert str(e.value) == f"cannot cache {filename!r} under content-id {cid!r}"


@pytest.mark.parametrize("umask", [0o027, 0o002])
def test_cache_files_get_the_permissions_of_the_umask(index: IndexServer, umask: int) -> None:
    """Staged downloads are private (mkstemp: 0600); what enters the cache gets what a plain
    open or mkdir gives under the umask, as every file the tool creates."""
    old = os.umask(umask)
    try:
        entry = download_wheel(index_source("demo", NAME), "unixfs-v1-2025")  # + sha256 index
        fetch_wheel(declaration(OTHER, index_source("demo", OTHER), raw_cid(_bytes(index, OTHER))),
                    "unixfs-v1-2025")
    finally:
        os.umask(old)
    root = cache_dir()
    made = [root, *root.rglob("*")]
    assert {p.relative_to(root).as_posix() for p in made} >= {
        ".", "tmp", "wheels", f"wheels/{entry.cid}/{NAME}", f"sha256/unixfs-v1-2025/{entry.sha256}",
        f"wheels/{raw_cid(_bytes(index, OTHER))}/{OTHER}"}
    modes = {p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in made}
    assert modes == {name: (0o777 if (root / name).is_dir() else 0o666) & ~umask
                     for name in modes}


def test_the_cache_imports_no_http_client() -> None:
    """publish finds cached wheels through the cache module: the HTTP client (requests) is
    loaded only when a wheel must be downloaded."""
    code = ("import sys, ipwhl_checks.sources.cache, ipwhl_checks.publish.build; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('requests', 'urllib3')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"

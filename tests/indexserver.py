"""A real simple index on 127.0.0.1 for the tests: a static tree under ``http.server``.

    with IndexServer(tmp_path / "index") as index:
        index.publish(make_wheel(tmp_path, "demo", "1.0"))
        env["PIP_INDEX_URL"] = index.index_url          # http://127.0.0.1:PORT/simple/

The tree is what a static PEP 503 mirror holds: ``simple/index.html``,
``simple/<project>/index.html`` (PEP 503, with ``data-requires-python``, ``data-yanked``,
``data-core-metadata``) and ``simple/<project>/index.json`` (PEP 691 with the PEP 700
``size``, chosen when the client's Accept header asks for JSON and the server was made
with ``json=True``), and ``files/<filename>`` with its PEP 658 ``files/<filename>.metadata``.

Faults are queued per URL path; each request to the path takes the next one:
``Status(500)``, ``Truncate(100)`` (sends the full Content-Length, then 100 bytes),
``Body(b"...")`` (other bytes, correct length), ``NoLength()`` (no Content-Length),
``Hang()`` (never answers), ``Stall()`` (sends the headers and half the body, then holds
the connection open; the path is then in ``stalled``), ``Trickle(0.1)`` (the headers, then
one byte every 0.1 s), ``Redirect("file:///etc/passwd")``.  ``delay`` (seconds before
every answer) makes it a distant index.  :func:`silent_server` is a socket that never
answers.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
import socket
import threading
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_wheel_filename

__all__ = [
    "Body",
    "Hang",
    "IndexServer",
    "NoLength",
    "Redirect",
    "Stall",
    "Status",
    "Trickle",
    "Truncate",
    "silent_server",
    "use_index",
]

_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class Status:
    code: int


@dataclass(frozen=True)
class Truncate:
    size: int


@dataclass(frozen=True)
class Body:
    data: bytes


@dataclass(frozen=True)
class NoLength:
    """The file without a Content-Length: the body ends when the connection closes."""


@dataclass(frozen=True)
class Hang:
    pass


@dataclass(frozen=True)
class Stall:
    """Half the body, then nothing (the connection held open until the server stops)."""


@dataclass(frozen=True)
class Trickle:
    interval: float  # seconds between two bytes


@dataclass(frozen=True)
class Redirect:
    location: str


Fault = Status | Truncate | Body | NoLength | Hang | Stall | Trickle | Redirect


@dataclass
class _File:
    filename: str
    sha256: str
    requires_python: str | None
    yanked: bool
    metadata_sha256: str | None


class IndexServer:
    def __init__(self, root: Path, *, json: bool = True, delay: float = 0.0) -> None:
        self.root = Path(root)
        self.delay = delay
        self.stalled: list[str] = []
        self.running = 0  # requests being answered now
        self.most = 0  # the most answered at once
        (self.root / "simple").mkdir(parents=True, exist_ok=True)
        (self.root / "files").mkdir(parents=True, exist_ok=True)
        self.json = json
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.requests: list[str] = []
        self._projects: dict[str, dict[str, _File]] = defaultdict(dict)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._write_root()
        self._thread.start()

    # -- addresses ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def index_url(self) -> str:
        return f"{self.url}/simple/"

    def file_url(self, filename: str) -> str:
        return f"{self.url}/files/{filename}"

    # -- content ------------------------------------------------------------------------
    def publish(self, wheel: Path, *, requires_python: str | None = None,
                yanked: bool = False, metadata: bool = True, page: str | None = None) -> str:
        """Serve *wheel* (copied) on its project's page (or on the page of the project
        *page*, as a hostile index may list it); returns its URL."""
        filename = wheel.name
        target = self.root / "files" / filename
        shutil.copyfile(wheel, target)
        meta_sha = None
        if metadata and filename.endswith(".whl"):
            meta = _metadata_bytes(target)
            (self.root / "files" / (filename + ".metadata")).write_bytes(meta)
            meta_sha = hashlib.sha256(meta).hexdigest()
        if filename.endswith(".whl"):
            project = parse_wheel_filename(filename)[0]
        else:  # an sdist: name-version.tar.gz
            project = canonicalize_name(filename.rsplit("-", 1)[0])
        project = canonicalize_name(page) if page is not None else project
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        with self._lock:
            self._projects[project][filename] = _File(filename, digest, requires_python,
                                                      yanked, meta_sha)
            self._write_project(project)
            self._write_root()
        return self.file_url(filename)

    def remove(self, filename: str) -> None:
        with self._lock:
            for project, files in self._projects.items():
                if files.pop(filename, None):
                    self._write_project(project)
        (self.root / "files" / filename).unlink(missing_ok=True)

    def fault(self, path: str, *faults: Fault) -> None:
        """Queue *faults* for the next requests of URL *path* (``/files/x.whl``)."""
        with self._lock:
            self.faults[path].extend(faults)

    def _write_root(self) -> None:
        links = "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(self._projects))
        (self.root / "simple" / "index.html").write_text(
            f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")

    def _write_project(self, project: str) -> None:
        page = self.root / "simple" / project
        page.mkdir(exist_ok=True)
        files = sorted(self._projects[project].values(), key=lambda f: f.filename)
        anchors = []
        entries: list[dict[str, Any]] = []
        for f in files:
            attrs = ""
            if f.requires_python:
                attrs += f' data-requires-python="{html.escape(f.requires_python)}"'
            if f.yanked:
                attrs += ' data-yanked=""'
            if f.metadata_sha256:
                attrs += f' data-core-metadata="sha256={f.metadata_sha256}"'
            href = f"../../files/{f.filename}#sha256={f.sha256}"
            anchors.append(f'<a href="{href}"{attrs}>{f.filename}</a><br/>\n')
            entry: dict[str, Any] = {"filename": f.filename, "url": f"../../files/{f.filename}",
                                     "hashes": {"sha256": f.sha256},
                                     "size": (self.root / "files" / f.filename).stat().st_size}
            if f.requires_python:
                entry["requires-python"] = f.requires_python
            if f.yanked:
                entry["yanked"] = True
            if f.metadata_sha256:
                entry["core-metadata"] = {"sha256": f.metadata_sha256}
            entries.append(entry)
        (page / "index.html").write_text(
            f"<!DOCTYPE html>\n<html><body>\n<h1>Links for {project}</h1>\n"
            f"{''.join(anchors)}</body></html>\n")
        (page / "index.json").write_text(json.dumps(
            {"meta": {"api-version": "1.1"}, "name": project, "files": entries}))

    # -- the server ---------------------------------------------------------------------
    def _handler(self) -> type[SimpleHTTPRequestHandler]:
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(server.root), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.requests.append(path)
                    queue = server.faults.get(path)
                    fault = queue.pop(0) if queue else None
                    server.running += 1
                    server.most = max(server.most, server.running)
                try:
                    if server.delay:
                        server._stop.wait(server.delay)
                    self._answer(path, fault)
                finally:
                    with server._lock:
                        server.running -= 1

            def _answer(self, path: str, fault: Fault | None) -> None:
                if fault is not None and self._fault(fault, path):
                    return
                if path.startswith("/simple/") and path.endswith("/") and server.json \
                        and "json" in self.headers.get("Accept", ""):
                    target = server.root / path.lstrip("/") / "index.json"
                    if target.is_file():
                        self._send(target.read_bytes(), _JSON)
                        return
                super().do_GET()

            def _send(self, data: bytes, content_type: str, length: int | None = None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data) if length is None else length))
                self.end_headers()
                self.wfile.write(data)

            def _fault(self, fault: Fault, path: str) -> bool:
                if isinstance(fault, Status):
                    self.send_error(fault.code)
                elif isinstance(fault, Redirect):
                    self.send_response(302)
                    self.send_header("Location", fault.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif isinstance(fault, Hang):
                    server._stop.wait(60)
                    self.close_connection = True
                elif isinstance(fault, Stall | Trickle):
                    data = self._content(path)
                    self.send_response(200)
                    self.send_header("Content-Type", _JSON if path.startswith("/simple/")
                                     else "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if isinstance(fault, Stall):
                        self.wfile.write(data[:len(data) // 2])
                        self.wfile.flush()
                        with server._lock:
                            server.stalled.append(path)
                        server._stop.wait(60)
                    else:
                        for i in range(len(data)):
                            if server._stop.wait(fault.interval):
                                break
                            self.wfile.write(data[i:i + 1])
                            self.wfile.flush()
                    self.close_connection = True
                elif isinstance(fault, Body):
                    self._send(fault.data, "application/octet-stream")
                elif isinstance(fault, NoLength):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write((server.root / path.lstrip("/")).read_bytes())
                    self.close_connection = True
                elif isinstance(fault, Truncate):
                    data = (server.root / path.lstrip("/")).read_bytes()
                    self._send(data[:fault.size], "application/octet-stream", len(data))
                    self.close_connection = True
                return True

            def _content(self, path: str) -> bytes:
                """What *path* holds: a file, or a project page (PEP 691 JSON)."""
                target = server.root / path.lstrip("/")
                return (target / "index.json").read_bytes() if target.is_dir() \
                    else target.read_bytes()

        return Handler

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> IndexServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _metadata_bytes(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.count("/") == 1 and name.endswith(".dist-info/METADATA"):
                return zf.read(name)
    return b""


@contextmanager
def silent_server() -> Iterator[str]:
    """A listening socket that accepts connections and never answers: its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def use_index(monkeypatch: Any, tmp_path: Path, index: IndexServer, *,
              retries: int | None = 0) -> None:
    """Point the tools at *index* the way a user does (PIP_INDEX_URL), with an empty wheel
    cache under *tmp_path*, no faults left from another test and, unless *retries* is None,
    that many download retries."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_INDEX_URL", index.index_url)
    if retries is not None:
        monkeypatch.setenv("IPWHL_RETRIES", str(retries))
    index.faults.clear()

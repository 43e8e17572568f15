"""The HTTP side: a threaded, read-only IPFS path gateway over a :class:`BlockStore`.

Path gateway spec (ipfs/specs, http-gateways/path-gateway.md): ``GET/HEAD
/ipfs/{cid}/{path}``; a directory URL without a trailing slash redirects to it; a
directory with ``index.html`` serves it; ``ETag`` is the CID in quotes; ``Range`` gives
206.  Trustless gateway spec (http-gateways/trustless-gateway.md): ``?format=raw`` or
``Accept: application/vnd.ipld.raw`` gives one block, ``?format=car`` or ``Accept:
application/vnd.ipld.car`` a CAR of the path and its DAG.

Every block is verified by the store before any of its bytes are written.  The first
block of a response is read before the status line, so a bad block there gives 502
naming it; if a later block is bad, the connection is cut short (never wrong bytes).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ..errors import CarError, UnixFSError
from ..ipld.cid import cid_text, parse_cid
from ..ipld.dagpb import DataType
from ._http import Abort, ResponseWriter, content_type, parse_range
from .content import file_size, iter_car, iter_file, listing_html
from .paths import NotFoundError, Resolved, resolve
from .store import BlockMissingError, BlockStore, CorruptBlockError

__all__ = ["GatewayServer"]

_RAW = "application/vnd.ipld.raw"
_CAR = "application/vnd.ipld.car"
_IMMUTABLE = "public, max-age=29030400, immutable"
_DIRECTORIES = (DataType.DIRECTORY, DataType.HAMT_SHARD)


def _printable(text: str) -> str:
    """*text* with control characters escaped, so a request cannot forge log lines."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


class GatewayServer(ThreadingHTTPServer):
    """One thread per connection, at most *max_connections* at once (further ones wait in
    the listen queue): memory stays under about max_connections x one block (1 MiB)."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], store: BlockStore,
                 log: TextIO | None = None, max_connections: int = 128) -> None:
        self.store = store
        self.log = log or sys.stderr
        self._log_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()  # blocks the accept loop while every slot is taken
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: object, client_address: object) -> None:
        # socketserver prints a traceback here; one line is enough for a dropped client.
        self.log_line(f"{client_address}: connection error: {sys.exc_info()[1]!r}")

    def log_line(self, line: str) -> None:
        with self._log_lock:
            self.log.write(line + "\n")
            self.log.flush()


class _Handler(ResponseWriter):
    protocol_version = "HTTP/1.1"
    server_version = "ipwhl-gateway"
    server: GatewayServer
    timeout = 120  # an idle keep-alive connection frees its thread after this

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and
        # delayed ACKs add 40 ms to every small response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request is written by _serve

    def log_error(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    # -- one request ---------------------------------------------------------------

    def _serve(self, body: bool) -> None:
        began = time.monotonic()
        self._status, self._sent, self._note = 0, 0, ""
        try:
            self._route(body)
        except Abort as e:
            self._note = f"aborted: {e}"
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self._note = "client went away"
            self.close_connection = True
        except Exception as e:  # a bug must cost one request, not the server
            if self._status:
                self._note = f"aborted: {e!r}"
                self.close_connection = True
            else:
                self._error(500, repr(e), self.command != "HEAD")
        ms = (time.monotonic() - began) * 1000
        line = (f'{self.client_address[0]} "{self.command} {self.path}" '
                f"{self._status} {self._sent} {ms:.0f}ms")
        self.server.log_line(_printable(line + (f" {self._note}" if self._note else "")))

    def _route(self, body: bool) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/":
            roots = "".join(f'<li><a href="/ipfs/{cid_text(r)}/">{cid_text(r)}</a></li>'
                            for r in self.server.store.roots)
            page = f"<!DOCTYPE html>\n<html><body><ul>{roots}</ul></body></html>\n"
            return self._reply(200, page.encode(), "text/html; charset=utf-8", body)
        parts = url.path.split("/")
        if len(parts) < 3 or parts[1] != "ipfs" or not parts[2]:
            return self._error(404, "only /ipfs/<cid>/<path> is served", body)
        raw_segments = [s for s in parts[3:] if s]  # "a//b" is "a/b", as in kubo
        trailing = url.path.endswith("/")
        try:
            segments = [unquote(s, errors="strict") for s in raw_segments]
        except UnicodeDecodeError:
            segments = [""]
        if any(s in ("", ".", "..") or "/" in s for s in segments):  # "" only if undecodable
            return self._error(400, f"invalid path {url.path!r}", body)
        try:
            text = unquote(parts[2])
            root = parse_cid(text, strict=False)
        except ValueError as e:
            return self._error(400, f"invalid CID {text!r} ({e})", body)
        fmt = (query.get("format") or [""])[0]
        accept = self.headers.get("Accept", "")
        if not fmt and _RAW in accept:
            fmt = "raw"
        elif not fmt and _CAR in accept:
            fmt = "car"
        if fmt not in ("", "raw", "car"):
            return self._error(400, f"unsupported format {fmt!r} (expected raw or car)", body)
        store = self.server.store
        if root not in store:
            return self._error(404, f"block {cid_text(root)} is not in any served CAR", body)
        try:
            found = resolve(store, root, segments)
            if fmt == "raw":
                return self._block(found, body)
            if fmt == "car":
                return self._car(root, found, body)
            if found.node is not None and found.node.type in _DIRECTORIES:
                if not trailing:
                    location = quote(url.path, safe="/%") + "/"
                    location += f"?{url.query}" if url.query else ""
                    return self._reply(301, b"", None, body, {"Location": location})
                try:
                    index = resolve(store, found.cid, ["index.html"])
                except NotFoundError:
                    listing = listing_html(store, found.node, url.path)
                    return self._reply(200, listing, "text/html; charset=utf-8", body,
                                       self._cache(found.cid))
                return self._file(index, "index.html", body)
            return self._file(found, segments[-1] if segments else "", body)
        except NotFoundError as e:
            return self._error(404, str(e), body)
        except (CorruptBlockError, BlockMissingError) as e:
            return self._error(502, str(e), body)
        except (CarError, UnixFSError) as e:
            return self._error(502, str(e), body)

    def _cache(self, cid: bytes, suffix: str = "") -> dict[str, str]:
        return {"ETag": f'"{cid_text(cid)}{suffix}"', "Cache-Control": _IMMUTABLE,
                "X-Ipfs-Path": self.path.split("?")[0]}

    def _not_modified(self, headers: dict[str, str], body: bool) -> bool:
        wanted = self.headers.get("If-None-Match", "")
        if headers["ETag"] in [t.strip() for t in wanted.split(",")] or wanted == "*":
            self._reply(304, b"", None, body, headers)
            return True
        return False

    def _block(self, found: Resolved, body: bool) -> None:
        headers = self._cache(found.cid, ".raw")
        if self._not_modified(headers, body):
            return
        data = self.server.store.get(found.cid)
        self._reply(200, data, _RAW, body, headers)

    def _car(self, root: bytes, found: Resolved, body: bool) -> None:
        headers = self._cache(found.cid, ".car")
        if self._not_modified(headers, body):
            return
        chunks = iter_car(self.server.store, root, found.walked, found.cid)
        first = next(chunks)  # the header; the first block is checked below
        second = next(chunks, b"")
        headers["Transfer-Encoding"] = "chunked"
        self._start(200, _CAR, headers)
        if body:
            self._stream_chunked([first, second], chunks)

    def _file(self, found: Resolved, name: str, body: bool) -> None:
        store = self.server.store
        size = file_size(store, found.cid, found.node)
        headers = self._cache(found.cid)
        headers["Accept-Ranges"] = "bytes"
        if self._not_modified(headers, body):
            return
        wanted = parse_range(self.headers.get("Range"), size)
        if wanted == "unsatisfiable":
            headers["Content-Range"] = f"bytes */{size}"
            return self._reply(416, b"", None, body, headers)
        status, (start, end) = 200, (0, size)
        if isinstance(wanted, tuple):
            status, (start, end) = 206, wanted
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        chunks = iter_file(store, found.cid, found.node, start, end)
        first = next(chunks, memoryview(b"")) if body and end > start else memoryview(b"")
        headers["Content-Length"] = str(end - start)
        self._start(status, content_type(name), headers)
        if body:
            self._write(first)
            self._stream(chunks)

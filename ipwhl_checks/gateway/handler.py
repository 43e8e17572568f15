"""One request to the gateway: its path resolved, its representation chosen and sent.

Path gateway spec (ipfs/specs, http-gateways/path-gateway.md): ``GET/HEAD/OPTIONS
/ipfs/{cid}/{path}``; a directory URL without its trailing slash redirects (301) to it;
a directory serves its ``index.html``, else a listing; ``Range`` (one range: 206, several:
``multipart/byteranges``); ``If-None-Match`` (weak comparison, lists, ``*``: 304);
``Cache-Control: only-if-cached`` is 412 when a block is not here; ``X-Ipfs-Path``,
``X-Ipfs-Roots``, CORS on every response.  Trustless gateway spec
(http-gateways/trustless-gateway.md): ``application/vnd.ipld.raw`` (one block) and
``application/vnd.ipld.car`` (:mod:`.dagscope`); ``application/x-tar``
(:mod:`.tarstream`); a DAG-CBOR/DAG-JSON block as itself (:mod:`.negotiate`).

Every block is verified by the store before any of its bytes are written, and the first
block of a body is read before the status line: a bad or missing block there is 502
naming it; one found later cuts the connection short (:class:`~._http.Abort`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from urllib.parse import parse_qs, quote, unquote_to_bytes, urlencode

from ..errors import CarError, UnixFSError
from ..ipld.cid import cid_text, parse_cid
from ..ipld.dagpb import DataType
from ..ipld.multicodec import CBOR, DAG_CBOR, DAG_JSON, JSON
from ._bodies import Reader, write_ranges, write_stream
from ._http import Abort, Response, content_disposition, content_type, etag_match, parse_ranges
from ._request import Request
from .content import file_size, iter_file, iter_listing, listing_etag
from .dagscope import iter_car, resolve_range
from .negotiate import FORMATS, NegotiationError, Wanted, negotiate
from .paths import NotFoundError, RemainderError, Resolved, codec, resolve
from .store import BlockMissingError, BlockStore
from .tarstream import TarNameError, check_names, write_tar

__all__ = ["ALLOW", "Exchange"]

ALLOW = "GET, HEAD, OPTIONS"
_IMMUTABLE = "public, max-age=29030400, immutable"
_LISTING_CACHE = "public, max-age=604800, stale-while-revalidate=2678400"
_DIRECTORIES = (DataType.DIRECTORY, DataType.HAMT_SHARD)
_CODEC_FORMATS = {"dag-json": (DAG_JSON,), "json": (DAG_JSON, JSON),
                  "dag-cbor": (DAG_CBOR,), "cbor": (DAG_CBOR, CBOR)}
_CODEC_TYPES = {DAG_JSON: "dag-json", JSON: "json", DAG_CBOR: "dag-cbor", CBOR: "cbor"}


class _Stop(Exception):
    """A response was sent while resolving (an error, a 304, a 412)."""


class Exchange:
    """Answers *request* with *response* from *store*."""

    def __init__(self, store: BlockStore, request: Request, response: Response) -> None:
        self.store, self.request, self.resp = store, request, response
        self.path = self.query = ""
        self.wanted = Wanted()
        self.params: dict[str, list[str]] = {}

    def run(self) -> None:
        with contextlib.suppress(_Stop):
            self._run()

    def _fail(self, status: int, message: str, headers: dict[str, str] | None = None
              ) -> _Stop:
        self.resp.error(status, message, headers)
        return _Stop()

    def _run(self) -> None:
        method = self.request.method
        if method == "OPTIONS":
            return self.resp.reply(200, b"", None, {"Allow": ALLOW})
        if method not in ("GET", "HEAD"):
            raise self._fail(405, f"method {method} is not allowed: this gateway is read-only",
                             {"Allow": ALLOW})
        target = self.request.target
        if target.startswith(("http://", "https://")):  # RFC 9112 3.2.2: absolute form
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        if not target.startswith("/"):
            raise self._fail(400, f"request target {target[:100]!r} is not a path")
        self.path, _, self.query = target.partition("#")[0].partition("?")
        if self.path == "/":
            return self._roots_page()
        parts = self.path.split("/")
        if len(parts) < 3 or parts[1] != "ipfs" or not parts[2]:
            raise self._fail(404, "only /ipfs/<cid>/<path> is served")
        try:  # (the target was read as ISO-8859-1: back to its bytes, then UTF-8)
            text = unquote_to_bytes(parts[2].encode("latin-1")).decode()
            segments = [unquote_to_bytes(s.encode("latin-1")).decode()
                        for s in parts[3:] if s]  # "a//b" is "a/b", as in kubo
        except UnicodeDecodeError:
            raise self._fail(400, f"invalid path {self.path!r} (not UTF-8)") from None
        if any(s in (".", "..") or "/" in s or "\0" in s for s in segments):
            raise self._fail(400, f"invalid path {self.path!r}")
        try:
            root = parse_cid(text, strict=False)
        except ValueError as e:
            raise self._fail(400, f"invalid CID {text!r} ({e})") from None
        try:
            self.params = parse_qs(self.query.encode("latin-1").decode("utf-8", "replace"),
                                   keep_blank_values=True, max_num_fields=64)
            self.wanted = negotiate(self.params, self.request.header("accept"))
        except ValueError as e:  # (more than 64 query fields)
            raise self._fail(400, f"invalid query ({e})") from None
        except NegotiationError as e:
            raise self._fail(e.status, str(e)) from None
        self._answer(root, text, segments)

    def _answer(self, root: bytes, text: str, segments: list[str]) -> None:
        cache = {t.strip().lower() for t in (self.request.header("cache-control") or "")
                 .split(",")}
        if "only-if-cached" in cache:
            try:  # path gateway spec: 412 when the content is not in this gateway
                found = resolve(self.store, root, segments)
                if found.cid not in self.store:
                    raise BlockMissingError(found.cid)
            except (NotFoundError, RemainderError, BlockMissingError, CarError,
                    UnixFSError):
                raise self._fail(412, f"{self.path} is not all in the served CARs") from None
        if root not in self.store:
            raise self._fail(404, f"block {cid_text(root)} is not in any served CAR")
        try:
            found = resolve(self.store, root, segments)
            self._send(root, text, segments, found)
        except NotFoundError as e:
            raise self._fail(404, str(e)) from None
        except RemainderError as e:
            raise self._fail(501, str(e)) from None
        except (CarError, UnixFSError) as e:  # a missing or corrupt block, before the start
            raise self._fail(502, str(e)) from None

    def _send(self, root: bytes, text: str, segments: list[str], found: Resolved) -> None:
        fmt = self.wanted.format
        if fmt == "raw":
            return self._raw(found)
        if fmt == "car":
            return self._car(root, found)
        if fmt == "tar":
            return self._tar(found)
        if fmt in _CODEC_FORMATS:
            if codec(found.cid) in _CODEC_FORMATS[fmt] or not self.wanted.from_accept \
                    or fmt.startswith("dag-"):
                return self._codec(found, fmt)  # (or 406: no conversions here)
            self.wanted = Wanted()  # Accept: application/json on a file: the file
        if codec(found.cid) in _CODEC_TYPES:  # (Accept: application/json and the like)
            return self._codec(found, _CODEC_TYPES[codec(found.cid)])
        node = found.node
        if node is not None and node.type in _DIRECTORIES:
            if not self.path.endswith("/"):
                location = quote(self.path.encode("latin-1"), safe="/%") + "/"
                location += f"?{self.query}" if self.query else ""
                return self.resp.reply(301, b"", None, {"Location": location})
            try:
                index = resolve(self.store, found.cid, ["index.html"])
            except NotFoundError:
                return self._listing(found, text, segments)
            headers = self._headers(found, f'"{cid_text(found.cid)}"')
            return self._file(index, "index.html", headers)
        if node is not None and node.type == DataType.SYMLINK:
            headers = self._headers(found, f'"{cid_text(found.cid)}"')
            self._not_modified(headers)
            return self.resp.reply(200, node.data, "inode/symlink", headers)
        name = segments[-1] if segments else ""
        return self._file(found, name, self._headers(found, f'"{cid_text(found.cid)}"'))

    # -- headers ---------------------------------------------------------------------------

    def _headers(self, found: Resolved, etag: str, cache: str = _IMMUTABLE
                 ) -> dict[str, str]:
        headers = {"ETag": etag, "Cache-Control": cache, "X-Ipfs-Path": self.path,
                   "X-Ipfs-Roots": ",".join(cid_text(r) for r in found.roots), "Vary": "Accept"}
        if self.wanted.from_accept and self.wanted.format:
            # Path gateway spec: say where this representation lives without Accept.
            fields = {k: v[0] for k, v in self.params.items()}
            fields["format"] = self.wanted.format
            for key, value in self.wanted.accept_params.items():
                fields.setdefault(f"car-{key}", value)
            headers["Content-Location"] = f"{self.path}?{urlencode(sorted(fields.items()))}"
        return headers

    def _filename(self, default: str | None, kind: str, headers: dict[str, str]) -> None:
        name = self.params["filename"][0] if "filename" in self.params else default
        if name:
            if (self.params.get("download") or [""])[0] == "true":
                kind = "attachment"
            headers["Content-Disposition"] = content_disposition(kind, name)

    def _not_modified(self, headers: dict[str, str], *others: str) -> None:
        matched = etag_match(self.request.header("if-none-match"), [headers["ETag"], *others])
        if matched is not None:
            self.resp.reply(304, b"", None, {**headers, "ETag": matched})
            raise _Stop

    # -- representations -------------------------------------------------------------------

    def _file(self, found: Resolved, name: str, headers: dict[str, str]) -> None:
        size = file_size(self.store, found.cid, found.node)
        self._filename(None, "inline", headers)
        self._ranged(size, content_type(name), headers,
                     lambda start, end: iter_file(self.store, found.cid, found.node, start, end))

    def _raw(self, found: Resolved) -> None:
        headers = self._headers(found, f'"{cid_text(found.cid)}.raw"')
        headers["X-Content-Type-Options"] = "nosniff"
        self._filename(f"{cid_text(found.cid)}.bin", "attachment", headers)
        self._not_modified(headers)
        data = memoryview(self.store.get(found.cid))
        self._ranged(len(data), FORMATS["raw"], headers, lambda s, e: iter([data[s:e]]))

    def _codec(self, found: Resolved, fmt: str) -> None:
        kind = codec(found.cid)
        if kind not in _CODEC_FORMATS[fmt]:
            raise self._fail(406, f"{cid_text(found.cid)} is not {fmt} (its codec is "
                                  f"0x{kind:x}); this gateway does not convert codecs")
        headers = self._headers(found, f'"{cid_text(found.cid)}.{fmt}"')
        headers["X-Content-Type-Options"] = "nosniff"
        json = fmt.endswith("json")
        self._filename(f"{cid_text(found.cid)}.{'json' if json else 'cbor'}",
                       "inline" if json else "attachment", headers)
        self._not_modified(headers)
        data = memoryview(self.store.get(found.cid))
        self._ranged(len(data), FORMATS[fmt], headers, lambda s, e: iter([data[s:e]]))

    def _ranged(self, size: int, kind: str, headers: dict[str, str], read: Reader) -> None:
        """A body of *size* bytes read by *read(start, end)*, by the request's ``Range``."""
        headers.setdefault("Accept-Ranges", "bytes")
        self._not_modified(headers)
        header = self.request.header("range")
        if_range = self.request.header("if-range")  # RFC 9110 13.1.5: ranges of this only
        wanted = None if if_range and if_range != headers["ETag"] else \
            parse_ranges(header, size)
        if wanted == "unsatisfiable":
            headers["Content-Range"] = f"bytes */{size}"
            raise self._fail(416, f"no range of {header!r} is within the {size} bytes",
                             headers)
        write_ranges(self.resp, size, kind, headers, wanted if isinstance(wanted, list)
                     else None, read)

    def _car(self, root: bytes, found: Resolved) -> None:
        params = self.wanted.car
        span = None
        if params.byte_range is not None and found.node is not None \
                and found.node.type in (DataType.FILE, DataType.RAW):
            size = file_size(self.store, found.cid, found.node)
            span = resolve_range(params.byte_range, size)
            if span is None and params.byte_range[0] >= 0 and size:
                raise self._fail(400, f"entity-bytes {params.byte_range[0]}: starts past the "
                                      f"end of the {size}-byte file")
            if span is None:
                params = dataclasses.replace(params, scope="block", byte_range=None)
            elif span == (0, size - 1):
                span = None
        key = "\0".join([self.path.rstrip("/"), params.scope, "y" if params.dups else "n",
                         repr(params.byte_range)])
        digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"),
                                 digest_size=8).hexdigest()
        headers = self._headers(found, f'W/"{cid_text(root)}.car.{digest}"')
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Accept-Ranges"] = "none"
        self._filename(f"{cid_text(root)}.car", "attachment", headers)
        self._not_modified(headers)
        kind = f"{FORMATS['car']}; version=1; order=dfs; dups={'y' if params.dups else 'n'}"
        if found.cid not in self.store:
            raise BlockMissingError(found.cid)
        # the header and the first block, read before the status line
        write_stream(self.resp, {"Content-Type": kind, **headers},
                     iter_car(self.store, root, found, params, span), ready=2)

    def _tar(self, found: Resolved) -> None:
        top = cid_text(found.cid)
        headers = self._headers(found, f'W/"{top}.x-tar"')
        headers["X-Content-Type-Options"] = "nosniff"
        self._filename(f"{top}.tar", "attachment", headers)
        self._not_modified(headers)
        try:
            check_names(self.store, found.cid, found.node, top)
        except TarNameError as e:
            raise self._fail(400, f"cannot make a tar of {top}: {e}") from None
        self.resp.start(200, {"Content-Type": FORMATS["tar"], **headers}, None)
        if not self.resp.head_only:
            try:  # (tarfile writes through a callback: no first chunk to read ahead)
                write_tar(self.store, found.cid, found.node, top, self.resp.write)
            except (CarError, UnixFSError) as e:
                raise Abort(str(e)) from e
        self.resp.finish()

    def _listing(self, found: Resolved, text: str, segments: list[str]) -> None:
        assert found.node is not None
        headers = self._headers(found, listing_etag(found.cid), _LISTING_CACHE)
        self._not_modified(headers)
        write_stream(self.resp, {"Content-Type": "text/html; charset=utf-8", **headers},
                     iter_listing(self.store, found.cid, found.node, text, segments))

    def _roots_page(self) -> None:
        rows = "".join(f'<li><a href="/ipfs/{cid_text(r)}/">{cid_text(r)}</a></li>'
                       for r in self.store.roots)
        page = f"<!DOCTYPE html>\n<html><body><ul>{rows}</ul></body></html>\n"
        self.resp.reply(200, page.encode(), "text/html; charset=utf-8")

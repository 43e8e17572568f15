"""Property tests: any request to ``ipwhl serve`` gets one well-formed HTTP response.

Hypothesis writes requests from the grammar the gateway parses (method, path with odd
percent-encodings, query parameters of the trustless spec, ``Range``, ``Accept``,
``If-None-Match``, ``Cache-Control``...) and, separately, arbitrary bytes as a request
head.  Each is sent on a real socket; the answer is read by ``http.client`` (status line,
headers, body framing, chunked included): no 500, nothing the log calls an internal
error, an answer within a few seconds.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipwhl_checks.gateway import BlockStore, GatewayServer, Limits

from .conftest import running
from .gateway_fixtures import build

STRUCTURED_EXAMPLES = 400
RAW_EXAMPLES = 300
BOUND = 5.0  # seconds an answer may take


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    car = tmp_path_factory.mktemp("props") / "fixtures.car"
    cids = build(car)
    log = io.StringIO()
    store = BlockStore([car])
    server = GatewayServer(("127.0.0.1", 0), store, log=log, limits=Limits(header_timeout=2))
    try:
        with running(server) as port:
            yield port, cids, log
    finally:
        store.close()


KNOWN = ["{R2}/subdir/ascii.txt", "{R2}/subdir", "{H}/685.txt", "{H}", "{DOC}/files/single",
         "{DOC}", "{DL}/%C4%85/%C4%99", "{DL}/ą/ę/file-źł.txt", "{C1}/root2/root3/root4/",
         "{C1}/root2/root3/", "{RD}/multiblock.txt", "{RD}", "{F3}", "{SYM}/bar", "{SYM}",
         "{MB}", "{RB}/dir/ascii.txt", "{TAROUT}", "{TARIN}", "{PCT}", "{RC}/document"]


def _paths(cids: dict[str, str]) -> st.SearchStrategy[str]:
    """Mostly the fixtures' real paths, some other CIDs and some junk."""
    known = [re.sub(r"\{(\w+)\}", lambda m: cids[m.group(1)], k) for k in KNOWN]
    other = st.one_of(
        st.sampled_from(["bafkqaaa", "bafkqabtimvwgy3yk",
                         "QmYzfKSE55XCjD1MW128RfciAf2DViABhEiXfgVFMabSjN",
                         "bafybeie72edlprgtlwwctzljf6gkn2wnlrddqjbkxo3jomh4n7omwblxlz", "Qm",
                         "b", "%", "z" * 600, "bafybei%41"]),
        st.text(max_size=12).map(lambda t: quote(t, safe="")))
    return st.one_of(st.sampled_from(known), st.sampled_from(known), st.sampled_from(known),
                     other)


SEGMENT = st.one_of(
    st.sampled_from(["", ".", "..", "%", "%2", "%zz", "%C3", "%C3%28", "%00", "%2F", "%252F",
                     "%C4%85", "%C4%99", "ą", "index.html", "subdir", "ascii.txt", "dir",
                     "multiblock.txt", "685.txt", "1.txt", "files", "single", "cats", "root2",
                     "root3", "root4", "bar", "foo", "document", "0", "-1", "%2e%2e", "a+b"]),
    st.text(max_size=8).map(lambda t: quote(t, safe="")),
    st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
            max_size=4),
)
PARAM_VALUES = {
    "format": ["raw", "car", "tar", "dag-json", "dag-cbor", "json", "cbor", "ipns-record", "",
               "CAR", "x"],
    "dag-scope": ["block", "entity", "all", "", "none"],
    "entity-bytes": ["0:*", "0:0", "512:-256", "-5:*", "-9999:-3", "3:1", "a:b", ":", "0",
                     "99999999999999999999:*", "-0:-0", "1024:*", "5000:*", "1:2:3"],
    "car-version": ["1", "2", "", "x"],
    "car-order": ["dfs", "unk", "bfs", ""],
    "car-dups": ["y", "n", "", "maybe"],
    "filename": ["x.bin", "test\u0442\u0435\u0441\u0442.tar", '"quoted"', "a\\b", "%00", ""],
    "download": ["true", "false", ""],
}
QUERY = st.lists(st.one_of(
    st.sampled_from(sorted(PARAM_VALUES)).flatmap(
        lambda k: st.tuples(st.just(k), st.one_of(st.sampled_from(PARAM_VALUES[k]),
                                                 st.text(max_size=6)))),
    st.tuples(st.text(max_size=5), st.text(max_size=5))), max_size=4)
TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-+.", min_size=1, max_size=8)
MEDIA = st.one_of(
    st.sampled_from(["application/vnd.ipld.car", "application/vnd.ipld.raw", "*/*",
                     "text/html", "application/x-tar", "application/json",
                     "application/vnd.ipld.dag-json", "application/vnd.ipfs.ipns-record",
                     "application/vnd.ipld.car; version=1; order=dfs; dups=y",
                     "application/vnd.ipld.car; version=2", "application/vnd.ipld.car;q=0",
                     "application/vnd.ipld.car; dups=x", "application/vnd.ipld.car;order=\"unk\"",
                     ";;;", ",", "a/b;q=2", "a/b;q=0.5"]),
    st.tuples(TOKEN, TOKEN, st.lists(st.tuples(TOKEN, TOKEN), max_size=2)).map(
        lambda t: f"{t[0]}/{t[1]}" + "".join(f"; {k}={v}" for k, v in t[2])),
)
RANGE = st.one_of(
    st.sampled_from(["bytes=0-0", "bytes=7-9", "bytes=7-9,1-3", "bytes=-3", "bytes=6-16,0-4",
                     "bytes=0-", "bytes=99999-", "bytes=5-2", "bytes=-0", "bytes=", "bytes=,",
                     "items=0-1", "bytes=0-1," * 20, "bytes=18446744073709551616-"]),
    st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 5000)),
                       st.one_of(st.none(), st.integers(0, 5000))), min_size=1, max_size=4).map(
        lambda rs: "bytes=" + ",".join(f"{a if a is not None else ''}-{b if b is not None else ''}"
                                       for a, b in rs)),
)
VALUE = st.text(alphabet=st.characters(blacklist_characters="\r\n\0",
                                       blacklist_categories=("Cs",)), max_size=30)
HEADERS = st.fixed_dictionaries({}, optional={
    "Range": RANGE,
    "Accept": st.lists(MEDIA, min_size=1, max_size=3).map(", ".join),
    "If-None-Match": st.one_of(st.sampled_from(['"x"', "*", 'W/"x"', '"a", W/"b"', '"']),
                               VALUE),
    "Cache-Control": st.sampled_from(["only-if-cached", "no-cache", "only-if-cached, max-age=0",
                                      ""]),
    "If-Range": st.one_of(st.just('"x"'), VALUE),
    "X-Odd": VALUE,
})
METHOD = st.sampled_from(["GET"] * 8 + ["HEAD"] * 3 + ["OPTIONS", "POST", "DELETE", "BREW",
                                                        "get"])


def _exchange(port: int, head: bytes, method: str, cut: bool = False) -> tuple[int, float]:
    """(status, seconds) of the one response to *head*, read and framed by http.client.
    *cut*: the body may end short (the file whose middle block is missing: once the
    headers went out, the gateway cuts the connection rather than send wrong bytes)."""
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as sock:
        sock.sendall(head)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        try:
            response.read()
        except http.client.IncompleteRead:
            if not cut:
                raise
        return response.status, time.monotonic() - began


def _clean(log: io.StringIO) -> None:
    text = log.getvalue()
    assert "internal error" not in text and "Traceback" not in text, text[-2000:]


@settings(max_examples=STRUCTURED_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_request_gets_one_well_formed_answer(served, data) -> None:  # type: ignore[no-untyped-def]
    port, cids, log = served
    method = data.draw(METHOD)
    segments = data.draw(st.lists(SEGMENT, max_size=2)) if data.draw(st.booleans()) else []
    path = "/ipfs/" + data.draw(_paths(cids)) + "".join("/" + s for s in segments)
    path += data.draw(st.sampled_from(["", "/"]))
    query = data.draw(QUERY)
    if query:
        path += "?" + "&".join(f"{k}={v}" if data.draw(st.integers(0, 4)) == 0 else
                               f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
    headers = data.draw(HEADERS)
    lines = [f"{method} {path} HTTP/1.1", "Host: gateway", "Connection: close",
             *(f"{k}: {v}" for k, v in headers.items())]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    status, took = _exchange(port, head, method.upper(), cut=cids["F3"] in path)
    assert 100 <= status < 600 and status != 500
    assert took < BOUND
    _clean(log)


@settings(max_examples=RAW_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(raw=st.binary(min_size=1, max_size=300).filter(
    lambda b: b[0] not in b"\r\n" and b"\n\n" not in b and b"\n\r\n" not in b))
def test_any_bytes_as_a_head_get_one_well_formed_answer(served, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    port, _cids, log = served
    method = "HEAD" if raw.startswith(b"HEAD ") else "GET"
    status, took = _exchange(port, raw + b"\r\nConnection: close\r\n\r\n", method)
    assert 100 <= status < 600 and status != 500 and took < BOUND
    _clean(log)


def test_the_server_still_serves_after_the_fuzzing(served) -> None:  # type: ignore[no-untyped-def]
    port, cids, log = served
    head = (f"GET /ipfs/{cids['RD']}/hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            ).encode()
    assert _exchange(port, head, "GET")[0] == 200
    _clean(log)

"""The gateway's parsers and its CAR walk, against truths from elsewhere: the trustless
gateway spec's examples (entity-bytes, Accept), RFC 9110/9112 (request heads, ``q``), the
``dag-cbor`` package (an independent DAG-CBOR codec), and plain reference versions of the
fast paths (the sent-blocks bitmap against a set)."""

from __future__ import annotations

import dataclasses
import io
import random
from pathlib import Path

import dag_cbor
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multiformats import CID

from ipwhl_checks.errors import CarError
from ipwhl_checks.gateway import BlockStore
from ipwhl_checks.gateway._http import content_disposition, etag_match
from ipwhl_checks.gateway._request import HeadError, parse_head
from ipwhl_checks.gateway.dagscope import CarParams, Sent, car_blocks, iter_car, resolve_range
from ipwhl_checks.gateway.negotiate import NegotiationError, negotiate, parse_entity_bytes
from ipwhl_checks.gateway.paths import resolve
from ipwhl_checks.ipld.car import write_car
from ipwhl_checks.ipld.cid import cid_text
from ipwhl_checks.ipld.dagcbor import Link, decode_dag_cbor, decode_dag_json, links
from ipwhl_checks.unixfs import PROFILES, DagBuilder

# --- entity-bytes (trustless gateway spec, "entity-bytes"; boxo's tests) ---------------

ENTITY_BYTES = [  # text, file size, inclusive (first, last) or None (empty)
    ("0:*", 1026, (0, 1025)),
    ("512:*", 1026, (512, 1025)),
    ("512:1023", 1026, (512, 1023)),
    ("512:-256", 1026, (512, 770)),
    ("-5:*", 1026, (1021, 1025)),
    ("-9999:*", 1026, (0, 1025)),
    ("-9999:-3", 1026, (0, 1023)),
    ("0:0", 1026, (0, 0)),
    ("1000:99999", 1026, (1000, 1025)),  # partly past the end: cut at it
    ("1026:*", 1026, None),
    ("-3:-1", 1026, (1023, 1025)),
    ("0:*", 0, None),
]


@pytest.mark.parametrize(("text", "size", "expected"), ENTITY_BYTES)
def test_entity_bytes(text: str, size: int, expected: tuple[int, int] | None) -> None:
    assert resolve_range(parse_entity_bytes(text), size) == expected


@pytest.mark.parametrize("text", ["", "0", "a:b", "1:2:3", "5:3", "-1:-3", "0x1:*", "*:5",
                                  "1.5:*", " 1:2", "99999999999999999999:*"])
def test_bad_entity_bytes_are_400(text: str) -> None:
    with pytest.raises(NegotiationError) as caught:
        parse_entity_bytes(text)
    assert caught.value.status == 400


# --- format and Accept ------------------------------------------------------------------

CAR = "application/vnd.ipld.car"
NEGOTIATION = [  # query, Accept, (format, from Accept, scope, dups) or an error status
    ({}, None, ("", False, "all", False)),
    ({"format": ["car"]}, None, ("car", False, "all", False)),
    ({}, CAR, ("car", True, "all", False)),
    ({}, f"{CAR}; version=1; order=dfs; dups=y", ("car", True, "all", True)),
    ({}, f"text/html, {CAR};q=0.9", ("car", True, "all", False)),  # html is not a format
    ({}, f"application/vnd.ipld.raw;q=0.5, {CAR}", ("car", True, "all", False)),  # q first
    ({}, f"{CAR};q=0, application/vnd.ipld.raw", ("raw", True, "all", False)),  # q=0: never
    ({}, f'{CAR}; dups="y"', ("car", True, "all", True)),  # a quoted parameter value
    ({"format": ["raw"]}, CAR, ("raw", False, "all", False)),  # format wins
    ({"format": ["car"]}, f"{CAR}; dups=y", ("car", False, "all", True)),
    ({"format": ["car"], "car-dups": ["y"]}, f"{CAR}; dups=n", ("car", False, "all", True)),
    ({"format": ["car"], "entity-bytes": ["0:9"]}, None, ("car", False, "entity", False)),
    ({"format": ["car"], "dag-scope": ["all"], "entity-bytes": ["0:9"]}, None,
     ("car", False, "all", False)),
    ({"format": ["car"], "dag-scope": ["block"]}, None, ("car", False, "block", False)),
    ({}, "*/*", ("", False, "all", False)),
    ({}, "application/json", ("json", True, "all", False)),
    ({"format": ["zip"]}, None, 400),
    ({"format": ["car"], "car-version": ["2"]}, None, 400),
    ({}, f"{CAR}; version=2", 406),
    ({}, f"{CAR}; order=bfs", 406),
    ({"format": ["car"], "car-order": ["bfs"]}, None, 400),
    ({"format": ["car"], "car-dups": ["x"]}, None, 400),
    ({"format": ["car"], "dag-scope": ["some"]}, None, 400),
    ({}, "application/vnd.ipfs.ipns-record", 406),
    ({}, "application/vnd.ipld.unknown, application/vnd.ipld.raw", 406),
]


@pytest.mark.parametrize(("query", "accept", "expected"), NEGOTIATION)
def test_negotiation(query: dict[str, list[str]], accept: str | None, expected: object) -> None:
    if isinstance(expected, int):
        with pytest.raises(NegotiationError) as caught:
            negotiate(query, accept)
        assert caught.value.status == expected
        return
    wanted = negotiate(query, accept)
    assert (wanted.format, wanted.from_accept, wanted.car.scope, wanted.car.dups) == expected


@given(st.text(max_size=80))
def test_any_accept_is_a_choice_or_a_negotiation_error(accept: str) -> None:
    try:
        wanted = negotiate({}, accept)
    except NegotiationError as e:
        assert e.status in (400, 406)
    else:
        assert wanted.format in ("", "raw", "car", "tar", "dag-json", "dag-cbor", "json", "cbor")


def test_if_none_match() -> None:
    assert etag_match('"a", W/"b"', ['"b"']) == '"b"'  # weak comparison
    assert etag_match('W/"x"', ['W/"y"', '"x"']) == '"x"'
    assert etag_match("*", ['"z"']) == '"z"'
    assert etag_match('"a"', ['"b"']) is None and etag_match(None, ['"b"']) is None
    assert etag_match('"a,b", "c"', ['"a,b"']) == '"a,b"'  # a comma inside a tag


def test_content_disposition_is_rfc_8187() -> None:
    assert content_disposition("attachment", "test\u0442\u0435\u0441\u0442.tar") == (
        "attachment; filename=\"test____.tar\"; "
        "filename*=UTF-8''test%D1%82%D0%B5%D1%81%D1%82.tar")
    # quotes, backslashes and line breaks are escaped: nothing can end the header early
    assert content_disposition("inline", 'a "b"\\\r\n.txt') == (
        "inline; filename=\"a%20%22b%22%5C%0D%0A.txt\"; "
        "filename*=UTF-8''a%20%22b%22%5C%0D%0A.txt")


# --- request heads (RFC 9112) -----------------------------------------------------------

HEADS = [  # head, status of the HeadError or None
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", None),
    (b"GET / HTTP/1.0\r\n\r\n", None),  # HTTP/1.0 needs no Host
    (b"GET / HTTP/1.1\n\n", 400),  # no Host
    (b"GET / HTTP/1.1\nHost: x\n\n", None),  # bare LF line ends are accepted
    (b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
    (b"GET /\r\n\r\n", 400),  # HTTP/0.9: no status line could answer it
    (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET / http/1.1\r\nHost: x\r\n\r\n", 400),
    (b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),  # space before the colon
    (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),  # obsolete line folding
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 101 + b"\r\n", 431),
    (b"GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", None),  # raw UTF-8 in the target
]


@pytest.mark.parametrize(("head", "status"), HEADS)
def test_request_heads(head: bytes, status: int | None) -> None:
    if status is None:
        request = parse_head(head)
        assert request.method == "GET" and request.target.startswith("/")
        return
    with pytest.raises(HeadError) as caught:
        parse_head(head)
    assert caught.value.status == status


def test_keep_alive_and_bodies() -> None:
    assert parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").keep_alive
    assert not parse_head(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").keep_alive
    assert not parse_head(b"GET / HTTP/1.0\r\n\r\n").keep_alive
    assert parse_head(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive
    assert parse_head(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n").has_body
    assert not parse_head(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").has_body


# --- DAG-CBOR against the dag-cbor package --------------------------------------------

cids = st.binary(min_size=32, max_size=32).map(
    lambda d: CID("base32", 1, "raw", ("sha2-256", d)))
values = st.recursive(
    st.one_of(st.integers(min_value=-(2**64), max_value=2**64 - 1), st.text(max_size=8),
              st.binary(max_size=20), st.booleans(), st.none(), cids,
              st.floats(allow_nan=False, allow_infinity=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20)


def _ours(value: object) -> object:
    """*value* as our decoder gives it (links as Link)."""
    if isinstance(value, CID):
        return Link(bytes(value))
    if isinstance(value, dict):
        return {k: _ours(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ours(v) for v in value]
    return value


@settings(max_examples=300)
@given(values)
def test_dag_cbor_reads_what_the_dag_cbor_package_writes(value: object) -> None:
    data = dag_cbor.encode(value)
    decoded = decode_dag_cbor(data)
    assert decoded == _ours(dag_cbor.decode(data))
    assert list(links(decoded)) == [bytes(c) for c in _cids_in_order(dag_cbor.decode(data))]


def _cids_in_order(value: object) -> list[CID]:
    if isinstance(value, CID):
        return [value]
    if isinstance(value, dict):
        return [c for v in value.values() for c in _cids_in_order(v)]
    if isinstance(value, list):
        return [c for v in value for c in _cids_in_order(v)]
    return []


@settings(max_examples=300)
@given(st.binary(max_size=120))
def test_any_bytes_are_dag_cbor_or_one_value_error(data: bytes) -> None:
    try:
        decode_dag_cbor(data)
    except ValueError as e:
        assert "\n" not in str(e)


def test_deep_dag_cbor_and_dag_json_are_refused_at_once() -> None:
    with pytest.raises(ValueError, match="nested more than 64"):
        decode_dag_cbor(b"\x81" * 100_000 + b"\x00")
    with pytest.raises(ValueError, match="nested more than 64"):
        decode_dag_json(b"[" * 100_000)
    link = CID("base32", 1, "raw", ("sha2-256", bytes(32)))
    assert decode_dag_json(b'{"a":{"/":"' + str(link).encode() + b'"},"b":{"/":{"bytes":"AQI"}}}'
                           ) == {"a": Link(bytes(link)), "b": b"\x01\x02"}


# --- the sent-blocks bitmap against a set; memory and depth of the walk ----------------

@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, int]:
    """A file of 16,384 distinct 16-byte raw leaves (and its ~100 internal nodes)."""
    car = tmp_path_factory.mktemp("wide") / "wide.car"
    data = random.Random(16).randbytes(16 << 14)
    with car.open("wb") as f:
        writer = write_car(f, [b"\x01\x70\x12\x20" + bytes(32)])
        builder = DagBuilder(dataclasses.replace(PROFILES["unixfs-v1-2025"], chunk_size=16),
                             raw_sink=writer.add)
        root = builder.add_file(io.BytesIO(data))
        writer.replace_roots([root.raw])
        blocks = writer.blocks
    return car, root.raw, blocks


@pytest.fixture(scope="module")
def wide_store(wide):  # type: ignore[no-untyped-def]
    store = BlockStore([wide[0]])
    yield store
    store.close()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 299), st.booleans()), max_size=400))
def test_sent_agrees_with_a_set(wide_store, picks: list[tuple[int, bool]]) -> None:  # type: ignore[no-untyped-def]
    keys = list(wide_store._index)[:300]  # canonical CIDv1s; True: the CIDv0 form instead
    sent, plain = Sent(wide_store), set()
    sent._limit = 20  # (turn into the bitmap early)
    for i, v0 in picks:
        cid = keys[i][2:] if v0 and keys[i][:2] == b"\x01\x70" else keys[i]
        assert sent.first(cid) == (cid not in plain)
        plain.add(cid)


def test_a_wide_dag_streams_in_bounded_memory(wide, wide_store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """dups=n remembers 16,384 blocks in a bitmap of two bits per block of the store (a
    set of their CIDs would take ~1.5 MB, and grow with the DAG)."""
    from ipwhl_checks.gateway import dagscope

    made: list[Sent] = []

    class Recorded(Sent):
        def __init__(self, store: BlockStore) -> None:
            super().__init__(store)
            made.append(self)

    monkeypatch.setattr(dagscope, "Sent", Recorded)
    _car, root, count = wide
    found = resolve(wide_store, root, [])
    sent = sum(len(c) for c in iter_car(wide_store, root, found, CarParams()))
    assert sent > 16 << 14 and count > 16_384
    [used] = made
    assert used._set is None and len(used._bits) == (2 * len(wide_store) + 7) // 8 < 5000
    assert not used._other


def test_a_dag_deeper_than_the_walk_allows_is_a_car_error(tmp_path: Path) -> None:
    car = tmp_path / "deep.car"
    with car.open("wb") as f:
        writer = write_car(f, [b"\x01\x70\x12\x20" + bytes(32)])
        builder = DagBuilder("unixfs-v1-2025", raw_sink=writer.add)
        node = builder.add_bytes(b"bottom")
        for _ in range(600):
            node = builder.add_directory({"d": node})
        writer.replace_roots([node.raw])
    store = BlockStore([car])
    try:
        blocks = car_blocks(store, resolve(store, node.raw, []), CarParams())
        with pytest.raises(CarError, match=f"under {cid_text(node.raw)} is deeper than 512"):
            for _ in blocks:
                pass
    finally:
        store.close()

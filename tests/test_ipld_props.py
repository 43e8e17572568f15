"""Property tests of the codec layer's readers of outside input: CAR headers, CAR files
and dag-pb blocks.  Each gives a value or its one error type (ValueError for the codecs,
CarError for a file), never another exception, in bounded time; the header codec agrees
with an independent dag-cbor implementation (the dag-cbor package)."""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import dag_cbor
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multiformats import CID

from ipwhl_checks.errors import CarError
from ipwhl_checks.ipld.car import (
    CarReader,
    encode_header,
    index_car,
    open_car,
    parse_header,
    verify_car,
)
from ipwhl_checks.ipld.dagpb import PBNode, decode_node
from ipwhl_checks.ipld.varint import varint

from .conftest import run_ipwhl

DATA = Path(__file__).parent / "data" / "car"
GOOD = (DATA / "good-unixfs-v1-2025.car").read_bytes()

digests = st.binary(min_size=32, max_size=32)
cids = st.one_of(
    digests.map(lambda d: b"\x12\x20" + d),  # CIDv0
    st.tuples(st.sampled_from([0x55, 0x70, 0x71]), digests).map(
        lambda t: b"\x01" + varint(t[0]) + b"\x12\x20" + t[1]),
)


@given(st.lists(cids, max_size=5))
def test_header_is_what_dag_cbor_writes(roots: list[bytes]) -> None:
    header = encode_header(roots)
    assert header == dag_cbor.encode({"roots": [CID.decode(r) for r in roots], "version": 1})
    assert parse_header(header) == roots


cbor_values = st.recursive(
    st.one_of(st.integers(min_value=0, max_value=2**64 - 1), st.text(max_size=10),
              st.binary(max_size=40), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)


@given(cbor_values)
def test_any_dag_cbor_value_is_a_header_or_a_value_error(value: object) -> None:
    data = dag_cbor.encode(value)
    try:
        roots = parse_header(data)
    except ValueError:
        return
    assert isinstance(value, dict) and value.get("version") == 1 and roots == []


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_any_bytes_are_a_header_or_a_value_error(data: bytes) -> None:
    try:
        roots = parse_header(data)
    except ValueError as e:
        assert "\n" not in str(e)
    else:
        assert all(isinstance(r, bytes) for r in roots)


@pytest.mark.parametrize("nested", [b"\x81" * 50_000 + b"\x00", b"\xa1\x61a" * 50_000 + b"\x00",
                                    b"\xd8\x2a" * 50_000 + b"\x00"])
def test_deep_nesting_is_refused_at_once(nested: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(ValueError, match="nested more than"):
        parse_header(nested)
    assert time.monotonic() - started < 5  # (recursing 50,000 deep would crash)


def _read_all(data: bytes) -> None:
    reader = CarReader(io.BytesIO(data), "x.car")
    for _ in reader.blocks():
        pass


@settings(max_examples=300)
@given(st.data())
def test_a_mutated_car_is_read_or_refused_in_one_line(data: st.DataObject) -> None:
    car = bytearray(GOOD)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(car) - 1))
        car[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(car)))
    try:
        _read_all(bytes(car[:cut]))
    except CarError as e:
        assert str(e).startswith("x.car: ") and "\n" not in str(e)


@given(st.binary(max_size=300))
def test_any_bytes_are_a_car_or_a_car_error(data: bytes) -> None:
    with contextlib.suppress(CarError):
        _read_all(data)


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_any_bytes_are_a_dag_pb_node_or_a_value_error(block: bytes) -> None:
    try:
        node = decode_node(block)
    except ValueError as e:
        assert "\n" not in str(e)
    else:
        assert isinstance(node, PBNode)


def test_a_header_nested_50000_deep_is_one_line_from_the_commands(tmp_path: Path) -> None:
    body = b"\x81" * 50_000 + b"\x00"
    car = tmp_path / "deep.car"
    car.write_bytes(varint(len(body)) + body)
    with pytest.raises(CarError, match="nested more than"):
        verify_car(car)
    with open_car(car) as f, pytest.raises(CarError, match="nested more than"):
        index_car(f, str(car))
    for args in (["car", "--verify", str(car)], ["serve", str(car), "--port", "0"]):
        done = run_ipwhl(*args)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert len(done.stderr.splitlines()) == 1 and "nested more than 16" in done.stderr

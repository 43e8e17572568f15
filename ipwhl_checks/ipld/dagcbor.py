"""DAG-CBOR and DAG-JSON, read only: the values of a block and the links in them.

DAG-CBOR spec (https://ipld.io/specs/codecs/dag-cbor/spec/): CBOR (RFC 8949) restricted to
definite lengths, map keys that are text, 64-bit floats and one tag, 42, whose content is a
byte string ``0x00`` + a binary CID.  The reader here is lenient where a gateway can be
(any float width, any map key order) and strict where safety needs it: no indefinite
lengths, no other tags, at most *max_depth* levels of nesting, every length checked
against the bytes present; a bad block is one :class:`ValueError` line.

DAG-JSON spec (https://ipld.io/specs/codecs/dag-json/spec/): JSON where ``{"/": "<cid>"}``
is a link and ``{"/": {"bytes": "<base64>"}}`` is bytes.

A link comes back as :class:`Link` (its binary CID).  :func:`links` walks a decoded value
and yields its links in the order the encoding holds them (DAG-CBOR: map keys sorted by
length, then bytes), which is the order a depth-first CAR visits them.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from .cid import cid_fields, parse_cid

__all__ = ["Link", "decode_dag_cbor", "decode_dag_json", "links"]


@dataclass(frozen=True)
class Link:
    """A CID inside a block: the binary CID (a CIDv0 stays its multihash)."""

    cid: bytes


class _Reader:
    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data, self.pos, self.max_depth = data, 0, max_depth

    def head(self) -> tuple[int, int, int]:
        """(major type, additional information, argument) of the next item."""
        if self.pos >= len(self.data):
            raise ValueError("cut short")
        first = self.data[self.pos]
        self.pos += 1
        major, info = first >> 5, first & 31
        if info < 24:
            return major, info, info
        if info > 27:
            raise ValueError(f"unsupported CBOR additional information {info}")
        size = 1 << (info - 24)
        if self.pos + size > len(self.data):
            raise ValueError("cut short")
        value = int.from_bytes(self.data[self.pos:self.pos + size], "big")
        self.pos += size
        return major, info, value

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("cut short")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def item(self, depth: int = 0) -> object:
        if depth > self.max_depth:
            raise ValueError(f"nested more than {self.max_depth} levels deep")
        major, info, value = self.head()
        if major == 0:
            return value
        if major == 1:
            return -1 - value
        if major == 2:
            return self.take(value)
        if major == 3:
            try:
                return self.take(value).decode()
            except UnicodeDecodeError:
                raise ValueError("a text string is not UTF-8") from None
        if major in (4, 5) and value > len(self.data) - self.pos:  # an item takes a byte
            raise ValueError("cut short")
        if major == 4:
            return [self.item(depth + 1) for _ in range(value)]
        if major == 5:
            found: dict[object, object] = {}
            for _ in range(value):
                key = self.item(depth + 1)
                if not isinstance(key, str | int | bytes):
                    raise ValueError("a map key is not a string")
                found[key] = self.item(depth + 1)
            return found
        if major == 6 and value == 42:
            raw = self.item(depth + 1)
            if not isinstance(raw, bytes) or raw[:1] != b"\x00":
                raise ValueError("bad CID in tag 42")
            cid_fields(raw[1:])  # ValueError unless it is exactly one CID
            return Link(raw[1:])
        if major == 7:
            return self.simple(info, value)
        raise ValueError(f"unexpected CBOR major type {major}" + (
            f" (tag {value})" if major == 6 else ""))

    def simple(self, info: int, value: int) -> object:
        # RFC 8949 section 3.3: 20 false, 21 true, 22 null; 25/26/27 half, single, double.
        if info < 24 and value in (20, 21, 22):
            return {20: False, 21: True, 22: None}[value]
        if info in (25, 26, 27):
            size = 1 << (info - 24)
            return float(struct.unpack({2: ">e", 4: ">f", 8: ">d"}[size],
                                       value.to_bytes(size, "big"))[0])
        raise ValueError(f"unsupported CBOR simple value {value}")


def decode_dag_cbor(data: bytes, *, max_depth: int = 64) -> object:
    """The value DAG-CBOR *data* encodes (one item, nothing after it); ValueError saying
    why (one line) when it is not one."""
    reader = _Reader(data, max_depth)
    value = reader.item()
    if reader.pos != len(data):
        raise ValueError("bytes after the value")
    return value


def _json_value(value: object) -> object:
    if isinstance(value, dict):
        if set(value) == {"/"}:
            inner = value["/"]
            if isinstance(inner, str):
                return Link(parse_cid(inner, strict=False))
            if isinstance(inner, dict) and set(inner) == {"bytes"} \
                    and isinstance(inner["bytes"], str):
                text = inner["bytes"]
                return base64.b64decode(text + "=" * (-len(text) % 4))
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def decode_dag_json(data: bytes, *, max_depth: int = 64) -> object:
    """The value DAG-JSON *data* encodes, links as :class:`Link`; ValueError (one line)."""
    depth = level = 0
    in_string = escaped = False
    for byte in data:  # refuse deep nesting before json's recursion meets it
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == 0x5C, byte != 0x22)
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            level += 1
            depth = max(depth, level)
            if depth > max_depth:
                raise ValueError(f"nested more than {max_depth} levels deep")
        elif byte in (0x5D, 0x7D):
            level -= 1
    try:
        return _json_value(json.loads(data))
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"not DAG-JSON ({str(e).splitlines()[0]})") from None


def links(value: object) -> Iterator[bytes]:
    """The binary CIDs of the links in a decoded value, in encoding order."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Link):
            yield item.cid
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))

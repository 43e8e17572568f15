"""dag-pb nodes and the UnixFS ``Data`` message they carry: encode and decode.

dag-pb spec (https://ipld.io/specs/codecs/dag-pb/spec/)::

    message PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }
    message PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }

The canonical form writes ``Links`` (field 2) *before* ``Data`` (field 1), links in their
sorted order.  Like boxo's encoder we always write a link's ``Name`` (even empty) and
``Tsize``.

UnixFS spec (https://specs.ipfs.tech/unixfs/#data), the message in ``PBNode.Data``::

    message Data {
      enum DataType { Raw = 0; Directory = 1; File = 2; Metadata = 3; Symlink = 4; HAMTShard = 5; }
      required DataType Type = 1; optional bytes Data = 2; optional uint64 filesize = 3;
      repeated uint64 blocksizes = 4; optional uint64 hashType = 5; optional uint64 fanout = 6;
      optional uint32 mode = 7; optional UnixTime mtime = 8;
    }

proto2 writes ``blocksizes`` unpacked: one ``0x20 varint`` per entry; the decoder also
reads the packed form.  Decoding is lenient, as a gateway must be: unknown fields are
skipped as protobuf requires, and fields 7 (mode) and 8 (mtime) are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum

from .varint import read_varint, varint, varint_len

__all__ = [
    "DataType",
    "PBLink",
    "PBNode",
    "decode_node",
    "encode_pblink",
    "encode_pbnode",
    "encode_unixfs",
    "pblink_size",
]


class DataType(IntEnum):
    """UnixFS ``Data.Type`` (``RAW`` is UnixFS's raw data, not the multicodec ``raw``)."""

    RAW = 0
    DIRECTORY = 1
    FILE = 2
    METADATA = 3
    SYMLINK = 4
    HAMT_SHARD = 5


# --- encoding ---------------------------------------------------------------------------


def _bytes_field(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + varint(len(value)) + value


def encode_pblink(cid: bytes, name: bytes, tsize: int) -> bytes:
    """One PBLink *wrapped* as PBNode field 2 (tag 0x12), ready to concatenate."""
    # PBLink: Hash = 1 (0x0a), Name = 2 (0x12), Tsize = 3 (0x18)
    size = varint(tsize)
    cid_len, name_len = len(cid), len(name)
    body_len = 5 + cid_len + name_len + len(size)  # when each length takes one byte
    if body_len < 0x80:  # (a directory's links nearly always: a HAMT has thousands)
        return b"".join((bytes((0x12, body_len, 0x0A, cid_len)), cid,
                         bytes((0x12, name_len)), name, b"\x18", size))
    body = b"".join((b"\x0a", varint(cid_len), cid, b"\x12", varint(name_len), name,
                     b"\x18", size))
    return b"\x12" + varint(len(body)) + body


def pblink_size(cid_len: int, name_len: int, tsize: int) -> int:
    """``len(encode_pblink(...))`` computed arithmetically (boxo's linkSerializedSize)."""
    body = 1 + varint_len(cid_len) + cid_len + 1 + varint_len(name_len) + name_len
    body += 1 + varint_len(tsize)
    return 1 + varint_len(body) + body


def encode_pbnode(links: Iterable[bytes], data: bytes | None) -> bytes:
    """A PBNode from already-encoded links (see :func:`encode_pblink`) and optional Data."""
    out = b"".join(links)
    if data is not None:
        out += _bytes_field(0x0A, data)
    return out


def encode_unixfs(
    type_: DataType,
    *,
    data: bytes | None = None,
    filesize: int | None = None,
    blocksizes: Sequence[int] = (),
    hash_type: int | None = None,
    fanout: int | None = None,
) -> bytes:
    """A UnixFS Data message, fields in field-number order as gogo protobuf writes them."""
    out = bytearray(b"\x08")
    out += varint(type_)
    if data is not None:
        out += _bytes_field(0x12, data)
    if filesize is not None:
        out += b"\x18" + varint(filesize)
    for size in blocksizes:
        out += b"\x20" + varint(size)
    if hash_type is not None:
        out += b"\x28" + varint(hash_type)
    if fanout is not None:
        out += b"\x30" + varint(fanout)
    return bytes(out)


# --- decoding ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PBLink:
    """A decoded link: the child's binary CID, the link's name and the child's Tsize."""

    cid: bytes
    name: str
    tsize: int


@dataclass(frozen=True)
class PBNode:
    """A decoded dag-pb node with its UnixFS fields (``type`` -1 when it has no Data)."""

    links: tuple[PBLink, ...]
    type: int  # a DataType, or another number a newer UnixFS may define
    data: bytes  # UnixFS Data.Data: file bytes inline in this node, or a symlink target
    filesize: int | None
    blocksizes: tuple[int, ...]
    hash_type: int | None
    fanout: int | None


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Protobuf wire format: (field number, wire type, value) for each field of *buf*.

    Protobuf encoding spec: wire type 0 is a varint, 2 a length-delimited byte string,
    1 and 5 fixed 8 and 4 bytes (returned as bytes); 3 and 4 (groups) are not read.
    """
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
            yield number, wire, value
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            if pos + length > len(buf):
                raise ValueError("truncated length-delimited field")
            yield number, wire, buf[pos:pos + length]
            pos += length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > len(buf):
                raise ValueError("truncated fixed-size field")
            yield number, wire, buf[pos:pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _link(buf: bytes) -> PBLink:
    cid, name, tsize = b"", "", 0
    for number, wire, value in _fields(buf):
        if number == 1 and isinstance(value, bytes):
            cid = value
        elif number == 2 and isinstance(value, bytes):
            name = value.decode("utf-8")
        elif number == 3 and wire == 0 and isinstance(value, int):
            tsize = value
    if not cid:
        raise ValueError("link without a Hash")
    return PBLink(cid, name, tsize)


def decode_node(block: bytes) -> PBNode:
    """The dag-pb node in *block* with its UnixFS fields; ValueError if it is not valid
    dag-pb (or its Data not a valid protobuf message)."""
    links: list[PBLink] = []
    data: bytes | None = None
    try:
        for number, _wire, value in _fields(block):
            if number == 2 and isinstance(value, bytes):
                links.append(_link(value))
            elif number == 1 and isinstance(value, bytes):
                data = value
        if data is None:
            return PBNode(tuple(links), -1, b"", None, (), None, None)
        kind, inline, filesize, hash_type, fanout = -1, b"", None, None, None
        sizes: list[int] = []
        for number, wire, value in _fields(data):
            if number == 1 and isinstance(value, int):
                kind = value
            elif number == 2 and isinstance(value, bytes):
                inline = value
            elif number == 3 and isinstance(value, int):
                filesize = value
            elif number == 4 and wire == 0 and isinstance(value, int):
                sizes.append(value)
            elif number == 4 and isinstance(value, bytes):  # packed encoding, also valid
                pos = 0
                while pos < len(value):
                    size, pos = read_varint(value, pos)
                    sizes.append(size)
            elif number == 5 and isinstance(value, int):
                hash_type = value
            elif number == 6 and isinstance(value, int):
                fanout = value
    except UnicodeDecodeError as e:
        raise ValueError(f"a link name is not UTF-8 ({e.reason})") from None
    return PBNode(tuple(links), kind, inline, filesize, tuple(sizes), hash_type, fanout)

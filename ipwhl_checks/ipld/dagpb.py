"""Hand-written protobuf encoders and decoders for the two messages UnixFS needs.

dag-pb spec (https://ipld.io/specs/codecs/dag-pb/spec/)::

    message PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }
    message PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }

The canonical form writes ``Links`` (field 2) *before* ``Data`` (field 1), links in their
sorted order.  Like boxo's encoder we always write a link's ``Name`` (even empty) and
``Tsize``.

UnixFS spec (https://specs.ipfs.tech/unixfs/#data)::

    message Data {
      enum DataType { Raw = 0; Directory = 1; File = 2; Metadata = 3; Symlink = 4; HAMTShard = 5; }
      required DataType Type = 1; optional bytes Data = 2; optional uint64 filesize = 3;
      repeated uint64 blocksizes = 4; optional uint64 hashType = 5; optional uint64 fanout = 6;
      optional uint32 mode = 7; optional UnixTime mtime = 8;
    }

proto2 writes ``blocksizes`` unpacked: one ``0x20 varint`` per entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from .cid import read_varint, varint, varint_len

__all__ = [
    "DIRECTORY",
    "FILE",
    "HAMT_SHARD",
    "RAW",
    "SYMLINK",
    "PBLink",
    "UnixFSData",
    "decode_pbnode",
    "decode_unixfs",
    "encode_pblink",
    "encode_pbnode",
    "encode_unixfs",
    "iter_fields",
    "pblink_size",
    "varint",
    "varint_len",
]

RAW, DIRECTORY, FILE, METADATA, SYMLINK, HAMT_SHARD = range(6)


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
    type_: int,
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


# --- decoding (strict, for tests; the lenient reader is unixfs.dagpb) -------------------


def iter_fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
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
            yield number, wire, buf[pos : pos + length]
            pos += length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            yield number, wire, buf[pos : pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """:func:`iter_fields`, strict: dag-pb and UnixFS only use wire types 0 and 2."""
    for number, wire, value in iter_fields(buf):
        if wire not in (0, 2):
            raise ValueError(f"unsupported wire type {wire}")
        yield number, value


@dataclass(frozen=True)
class PBLink:
    cid: bytes
    name: bytes
    tsize: int


@dataclass(frozen=True)
class UnixFSData:
    type: int
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: tuple[int, ...] = field(default=())
    hash_type: int | None = None
    fanout: int | None = None


def decode_pbnode(block: bytes) -> tuple[list[PBLink], bytes | None]:
    """(links, data) of a dag-pb block; raises ValueError when it is not one."""
    links: list[PBLink] = []
    data: bytes | None = None
    for number, value in _fields(block):
        if number == 2 and isinstance(value, bytes):
            cid, name, tsize = b"", b"", 0
            for n, v in _fields(value):
                if n == 1 and isinstance(v, bytes):
                    cid = v
                elif n == 2 and isinstance(v, bytes):
                    name = v
                elif n == 3 and isinstance(v, int):
                    tsize = v
                else:
                    raise ValueError(f"unexpected PBLink field {n}")
            links.append(PBLink(cid, name, tsize))
        elif number == 1 and isinstance(value, bytes):
            data = value
        else:
            raise ValueError(f"unexpected PBNode field {number}")
    return links, data


def decode_unixfs(data: bytes) -> UnixFSData:
    """The UnixFS Data message in a dag-pb node's Data (mode and mtime are skipped)."""
    values: dict[str, object] = {}
    blocksizes: list[int] = []
    names = {1: "type", 2: "data", 3: "filesize", 5: "hash_type", 6: "fanout"}
    for number, value in _fields(data):
        if number == 4 and isinstance(value, int):
            blocksizes.append(value)
        elif number in names:
            values[names[number]] = value
    if "type" not in values:
        raise ValueError("UnixFS Data without a Type")
    return UnixFSData(blocksizes=tuple(blocksizes), **values)  # type: ignore[arg-type]

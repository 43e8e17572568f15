"""The fixtures of ipfs/gateway-conformance (v0.13.2), rebuilt with this project's tools.

Each shape is made as its README recipe makes it with kubo (``ipfs add``, ``ipfs files``
with CIDv1 and raw leaves, or CIDv0 with dag-pb leaves), with
:class:`ipwhl_checks.unixfs.DagBuilder` (the HAMT with a sharding threshold of 0 and the
1026-byte text chunked at 256 bytes, as the recipes ask), the two legacy tar fixtures
with names no builder accepts (``../foo``) from :mod:`ipwhl_checks.ipld.dagpb`'s encoder,
and the DAG-CBOR blocks with the ``dag-cbor`` package (DAG-JSON ones as its spec writes
them: no whitespace, keys sorted).  The CIDs the suite hard-codes
(:data:`OFFICIAL`, from its fixtures and tests) are the truth the rebuilt blocks must give:
:func:`build` checks every one.  Only the file with a missing block is random data (its
CIDs are ours; the suite pins them for its own random file).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import random
from pathlib import Path

import dag_cbor
from multiformats import CID

from ipwhl_checks.ipld.car import write_car
from ipwhl_checks.ipld.cid import cid_bytes, cid_text, parse_cid
from ipwhl_checks.ipld.dagpb import (
    DataType,
    decode_node,
    encode_pblink,
    encode_pbnode,
    encode_unixfs,
)
from ipwhl_checks.ipld.multicodec import CBOR, DAG_CBOR, DAG_JSON, DAG_PB, JSON
from ipwhl_checks.ipld.varint import varint
from ipwhl_checks.unixfs import PROFILES, DagBuilder

# fixtures/trustless_gateway_car/README.md: the text `echo -n $TEXT | ipfs add
# --cid-version=1 --chunker=size-256` reads (zsh: no word splitting, so 1026 bytes).
LOREM = (
    b"Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nunc non imperdiet nunc. Proin "
    b"ac quam ut nibh eleifend aliquet. Vestibulum ante ipsum primis in faucibus orci luctus "
    b"et ultrices posuere cubilia curae; Sed ligula dolor, imperdiet sagittis arcu et, semper "
    b"tincidunt urna. Donec et tempor augue, quis sollicitudin metus. Curabitur semper "
    b"ullamcorper aliquet. Mauris hendrerit sodales lectus eget fermentum. Proin sollicitudin "
    b"vestibulum commodo. Vivamus nec lectus eu augue aliquet dignissim nec condimentum justo. "
    b"In hac habitasse platea dictumst. Mauris vel sem neque.\n\nVivamus finibus, enim at "
    b"lacinia semper, arcu erat gravida lacus, sit amet gravida magna orci sit amet est. Sed "
    b"non leo lacus. Nullam viverra ipsum a tincidunt dapibus. Nulla pulvinar ligula sit amet "
    b"ante ultrices tempus. Proin purus urna, semper sed lobortis quis, gravida vitae ipsum. "
    b"Aliquam mi urna, pulvinar eu bibendum quis, convallis ac dolor. In gravida justo sed "
    b"risus ullamcorper, vitae luctus massa hendrerit. Pellentesque habitant amet."
)

# The CIDs gateway-conformance's fixtures and tests name (aliases as in the research notes).
OFFICIAL = {
    "RB": "bafybeie72edlprgtlwwctzljf6gkn2wnlrddqjbkxo3jomh4n7omwblxly",
    "DIRB": "bafybeifaqksygmsbnqe76kwvxoqxtkzcwssq5jkhuo65ldtqiunr3bxlra",
    "ASCB": "bafkreihhpc5y2pqvl5rbe5uuyhqjouybfs3rvlmisccgzue2kkt5zq6upq",
    "R2": "bafybeietjm63oynimmv5yyqay33nui4y4wx6u3peezwetxgiwvfmelutzu",
    "SUB2": "bafybeiggghzz6dlue3m6nb2dttnbrygxh3lrjl5764f2m4gq7dgzdt55o4",
    "ASC": "bafkreifkam6ns4aoolg3wedr4uzrs3kvq66p4pecirz6y2vlrngla62mxm",
    "HEL": "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
    "MB": "bafybeigcisqd7m5nf3qmuvjdbakl5bdnh4ocrmacaqkpuh77qjvggmt2sa",
    "L0": "bafkreie5noke3mb7hqxukzcy73nl23k6lxszxi5w3dtmuwz62wnvkpsscm",
    "L1": "bafkreih4ephajybraj6wnxsbwjwa77fukurtpl7oj7t7pfq545duhot7cq",
    "L2": "bafkreigu7buvm3cfunb35766dn7tmqyh2um62zcio63en2btvxuybgcpue",
    "L3": "bafkreicll3huefkc3qnrzeony7zcfo7cr3nbx64hnxrqzsixpceg332fhe",
    "L4": "bafkreifst3pqztuvj57lycamoi7z34b4emf7gawxs74nwrc2c7jncmpaqm",
    "RM": "bafybeidh6k2vzukelqtrjsmd4p52cpmltd2ufqrdtdg6yigi73in672fwu",
    "SUBM": "bafybeicnmple4ehlz3ostv2sbojz3zhh5q7tz5r2qkfdpqfilgggeen7xm",
    "RD": "bafybeihchr7vmgjaasntayyatmp5sv6xza57iy2h4xj7g46bpjij6yhrmy",
    "H": "bafybeidbclfqleg2uojchspzd4bob56dqetqjsj27gy2cq3klkkgxtpn4i",
    "SHARD07": "bafybeiawjmzmi5c6v5h75nepfpx7jj5ns5t54girned3kilvakmhctxlxy",
    "SHARDFD": "bafybeifajm5xyg46n4hjxg7clq2f7vcn7eg7bn3yevylcemr6vd7mp6gta",
    "RC": "bafybeia264q44a3kmfc2otctzu4egp2k235o3t7mslz2yjraymp4nv6asi",
    "DOC": "bafyreidy4q6mmetut5jzc54ambsfnatbyoujmwbfzyyolqw24majazwgha",
    "C1": "bafybeib3ffl2teiqdncv3mkz4r23b5ctrwkzrrhctdbne6iboayxuxk5ui",
    "C2": "bafybeih2w7hjocxjg6g2ku25hvmd53zj7og4txpby3vsusfefw5rrg5sii",
    "C3": "bafybeiawdvhmjcz65x5egzx4iukxc72hg4woks6v6fvgyupiyt3oczk5ja",
    "C4": "bafybeifq2rzpqnqrsdupncmkmhs3ckxxjhuvdcbvydkgvch3ms24k5lo7q",
    "IDX": "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
    "DL": "bafybeig6ka5mlwkl4subqhaiatalkcleo4jgnr3hqwvpmsqfca27cijp3i",
    "FUTF": "bafkreialihlqnf5uwo4byh4n3cmwlntwqzxxs2fg5vanqdi3d7tb2l5xkm",
    "SYM": "QmWvY6FaqFMS89YAQ9NAPjVP4WZKA1qbHbicc9HeSKQTgt",
    "PCT": "bafybeig675grnxcmshiuzdaz2xalm6ef4thxxds6o6ypakpghm5kghpc34",
    "TAROUT": "bafybeicaj7kvxpcv4neaqzwhrqqmdstu4dhrwfpknrgebq6nzcecfucvyu",
    "TARIN": "bafybeibfevfxlvxp5vxobr5oapczpf7resxnleb7tkqmdorc4gl5cdva3y",
    "J0": "baguqeeram5ujjqrwheyaty3w5gdsmoz6vittchvhk723jjqxk7hakxkd47xq",
    "J1": "baguqeeraxpdqyfizawpb7zl5gnpg7jw3myuynb42ngzmeo7xn5kmm5pabt6q",
    "J2": "baguqeerabz2ohuxlrfgan3sxrgsfeyi5woxikwoiun5i5cesn2zgp3evmy4q",
    "B0": "bafyreibs4utpgbn7uqegmd2goqz4bkyflre2ek2iwv743fhvylwi4zeeim",
    "B1": "bafyreig5alecq2l2akgajxywgnv22kuxh6xcagsnelepylqovt4t5jxt6u",
    "B2": "bafyreiaefvpp22slf5bzd4lqgzwbztqahwlldtqkpgmlhv7mh23pudle7y",
    "PJ": "bagaaierajjsnhsxqlgfrvknlt7z2heoljcgfv37cn45tu7mhmr23x3ekiboq",
    "PC": "bafireif3aymeikgfbofx533yf5vlx4kimzq6zmzmpra2mnzfsfnmv4hchm",
}
# The blocks of the HAMT's root shard and its 236 inner shards in DFS pre-order, as the
# suite's fixture holds them: their count and first and last are checked here.
HAMT_SHARDS = 237

# path_gateway_dag's plain-json.car and plain-cbor.car: one block each, codecs json (0x0200)
# and cbor (0x51), read by TestPlainCodec as they are.
PLAIN_JSON = b'{\n\t"test": "plain json"\n}\n'
PLAIN_CBOR = dag_cbor.encode({"test": "plain json"})

MISSING_FILE = random.Random(3072).randbytes(3072)  # the 3 KiB file with a missing block


def _link(cid: bytes, name: str, tsize: int | None) -> bytes:
    if tsize is not None:
        return encode_pblink(cid, name.encode(), tsize)
    # dag-pb spec: Tsize is optional; kubo's legacy tar fixtures leave it out, which our
    # encoder never does: PBLink {Hash = 1, Name = 2} by hand.
    body = b"\x0a" + varint(len(cid)) + cid + b"\x12" + varint(len(name.encode())) + \
        name.encode()
    return b"\x12" + varint(len(body)) + body


def _pbdir(links: list[tuple[str, bytes, int | None]]) -> tuple[bytes, bytes]:
    """(CID, block) of a basic directory with *links* (name, CID, Tsize) as given."""
    block = encode_pbnode([_link(cid, name, tsize) for name, cid, tsize in links],
                          encode_unixfs(DataType.DIRECTORY))
    return cid_bytes(1, DAG_PB, hashlib.sha256(block).digest()), block


def _dag_json(value: object) -> bytes:
    """DAG-JSON spec: no whitespace, map keys sorted; a link is ``{"/": "<cid>"}``."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def _traversals(blocks: dict[bytes, bytes]) -> dict[str, bytes]:
    """path_gateway_dag's dag-json-traversal.car and dag-cbor-traversal.car (the root's
    ``foo/link`` to a node whose ``bar`` links to a leaf), and the plain JSON and CBOR
    blocks; their blocks added to *blocks*."""
    def add(codec: int, block: bytes) -> bytes:
        cid = cid_bytes(1, codec, hashlib.sha256(block).digest())
        blocks[cid] = block
        return cid

    leaf = {"hello": "this is not a link"}
    got = {"J2": add(DAG_JSON, _dag_json(leaf))}
    got["J1"] = add(DAG_JSON, _dag_json({"bar": {"/": cid_text(got["J2"])}}))
    got["J0"] = add(DAG_JSON, _dag_json({"foo": {"link": {"/": cid_text(got["J1"])},
                                                 "object": {"banana": 10, "monkey": False}}}))
    got["B2"] = add(DAG_CBOR, dag_cbor.encode(leaf))
    got["B1"] = add(DAG_CBOR, dag_cbor.encode({"bar": CID.decode(got["B2"])}))
    got["B0"] = add(DAG_CBOR, dag_cbor.encode({"foo": {"link": CID.decode(got["B1"]),
                                                       "object": {"banana": 10,
                                                                  "monkey": False}}}))
    got["PJ"], got["PC"] = add(JSON, PLAIN_JSON), add(CBOR, PLAIN_CBOR)
    return got


def build(out: Path) -> dict[str, str]:
    """Write every fixture's blocks to the CAR *out* (the missing block left out); return
    the aliases' CIDs, the official ones checked."""
    blocks: dict[bytes, bytes] = {}

    def sink(cid: bytes, block: bytes) -> None:
        blocks.setdefault(cid, bytes(block))

    v1 = DagBuilder(PROFILES["unixfs-v1-2025"], raw_sink=sink)
    v0 = DagBuilder(PROFILES["unixfs-v0-2015"], raw_sink=sink)
    chunk256 = DagBuilder(dataclasses.replace(PROFILES["unixfs-v1-2025"], chunk_size=256),
                          raw_sink=sink)
    sharded = DagBuilder(dataclasses.replace(PROFILES["unixfs-v1-2025"], hamt_threshold=0),
                         raw_sink=sink)
    chunk1k = DagBuilder(dataclasses.replace(PROFILES["unixfs-v0-2015"], chunk_size=1024),
                         raw_sink=sink)
    got: dict[str, bytes] = {}
    file = v1.add_bytes
    got["ASCB"] = (ascb := file(b"hello application/vnd.ipld.raw\n")).raw
    got["DIRB"] = (dirb := v1.add_directory({"ascii.txt": ascb})).raw
    got["RB"] = v1.add_directory({"dir": dirb}).raw
    asc, hel = file(b"hello application/vnd.ipld.car\n"), file(b"hello world\n")
    mb = chunk256.add_file(io.BytesIO(LOREM))
    got.update(ASC=asc.raw, HEL=hel.raw, MB=mb.raw)
    got["SUB2"] = (sub2 := v1.add_directory({"ascii.txt": asc, "hello.txt": hel})).raw
    got["R2"] = v1.add_directory({"subdir": sub2}).raw
    subm = v1.add_directory({"ascii.txt": asc, "hello.txt": hel, "multiblock.txt": mb})
    got["SUBM"], got["RM"] = subm.raw, v1.add_directory({"subdir": subm}).raw
    got["RD"] = v1.add_directory({"ascii-copy.txt": asc, "ascii.txt": asc, "hello.txt": hel,
                                  "multiblock.txt": mb}).raw
    got["H"] = sharded.add_directory({f"{i}.txt": mb for i in range(1, 1001)}).raw
    doc = dag_cbor.encode({"cats": False, "monkeys": True,
                           "files": {"single": CID.decode(hel.raw),
                                     "multiblock": CID.decode(mb.raw)}})
    got["DOC"] = cid_bytes(1, DAG_CBOR, hashlib.sha256(doc).digest())
    blocks[got["DOC"]] = doc
    rc, blocks[rc] = _pbdir([("document", got["DOC"], 123)])  # (kubo's Tsize)
    got["RC"] = rc
    # gateway-cache: root2/root3/root4/index.html, added with -w
    got["IDX"] = (idx := file(b"hello\n")).raw
    got["C4"] = (c4 := v1.add_directory({"index.html": idx})).raw
    got["C3"] = (c3 := v1.add_directory({"root4": c4})).raw
    got["C2"] = (c2 := v1.add_directory({"root3": c3})).raw
    got["C1"] = v1.add_directory({"root2": c2}).raw
    got["FUTF"] = (futf := file(b"I am a txt file on path with utf8\n")).raw
    got["DL"] = v1.add_directory({
        **{d: v1.add_directory({"file.txt": file(f"I am a txt file in confusing /{d} dir\n"
                                                 .encode())}) for d in ("api", "ipfs", "ipns")},
        "ą": v1.add_directory({"ę": v1.add_directory({"file-źł.txt": futf})})}).raw
    got["SYM"] = v0.add_directory({"bar": v0.add_symlink("foo"),
                                   "foo": v0.add_bytes(b"content\n")}).raw
    got["PCT"] = v1.add_directory({"Portugal%2C+España=Peninsula Ibérica.txt":
                                   file(b"hello from a percent encoded filename\n")}).raw
    hello = file(b"Hello, world!\n").raw
    got["TAROUT"], blocks[got["TAROUT"]] = _pbdir([("../foo", hello, 14), ("bar", hello, 14)])
    inner, blocks[inner] = _pbdir([("../file", hello, 14)])
    middle, blocks[middle] = _pbdir([("directory", inner, None)])
    got["TARIN"], blocks[got["TARIN"]] = _pbdir([("foobar", middle, None)])
    # The 3 KiB file of three 1 KiB dag-pb leaves (CIDv0), the middle one missing.
    f3 = chunk1k.add_file(io.BytesIO(MISSING_FILE))
    got["F3"] = f3.raw
    got.update(_traversals(blocks))
    wrong = {alias: cid_text(got[alias]) for alias, text in OFFICIAL.items()
             if alias in got and cid_text(got[alias]) != text}
    assert not wrong, f"the rebuilt fixtures differ from gateway-conformance's: {wrong}"
    p0, p1, p2 = (link.cid for link in decode_node(blocks[f3.raw]).links)
    got.update(P0=p0, P1=p1, P2=p2)
    for alias in ("L0", "L1", "L2", "L3", "L4", "SHARD07", "SHARDFD"):
        got[alias] = parse_cid(OFFICIAL[alias])
        assert got[alias] in blocks, f"{alias} {OFFICIAL[alias]} was not rebuilt"
    with out.open("wb") as f:
        roots = ("RB", "R2", "RM", "RD", "H", "RC", "C1", "DL", "J0", "B0")
        car = write_car(f, [got[a] for a in roots])
        for cid, block in blocks.items():
            if cid != p1:
                car.add(cid, block)
    return {alias: cid_text(cid) for alias, cid in got.items()}

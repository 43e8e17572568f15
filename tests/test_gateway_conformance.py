"""``ipwhl serve`` against the cases of the IPFS gateway conformance suite that apply to a
read-only gateway of immutable ``/ipfs/`` content (ipfs/gateway-conformance v0.13.2).

The suite is a Go program; its cases are ported here as one table, run against the
gateway serving the suite's fixtures rebuilt with this project's tools
(:mod:`tests.gateway_fixtures`, which checks every CID the suite hard-codes).  The rules
are the suite's harness's (README, "harness facts"): a checked header must be sent exactly
once; a CAR body must be CAR v1 with at least one root, its blocks compared with the
expected CIDs exactly, in order where the suite says ``InThatOrder``.  Every case the
suite runs through ``StandardCARTestTransforms`` runs twice, with ``?format=car`` and
with ``Accept: application/vnd.ipld.car``, and its 200 answers also get the standard CAR
headers checked.  CAR bodies are read by the project's reader (each block verified), and
again by ``@ipld/car`` in :func:`test_cars_read_back_with_ipld_car` (npm).

Spec groups (``--specs``) ported: trustless-block-gateway, trustless-car-gateway,
trustless-car-gateway-optional, path-raw-gateway, path-unixfs-gateway,
path-range-gateway, path-tar-gateway, and path-dag-gateway but for its HTML previews and
TestGatewayJsonCbor.  What is left out, and why: the README's paragraph on
``tests/test_gateway_conformance.py``.
"""

from __future__ import annotations

import dataclasses
import http.client
import io
import json
import re
import subprocess
import tarfile
from dataclasses import dataclass, field

import pytest

from ipwhl_checks.gateway import BlockStore
from ipwhl_checks.ipld.car import read_car
from ipwhl_checks.ipld.cid import cid_text, parse_cid
from ipwhl_checks.ipld.dagpb import DataType, decode_node

from .gateway_fixtures import HAMT_SHARDS, MISSING_FILE, PLAIN_CBOR, PLAIN_JSON, build
from .gatewayutil import CI, gateway, needs_npm

CAR = "application/vnd.ipld.car"
RAW = "application/vnd.ipld.raw"
IMMUTABLE = "public, max-age=29030400, immutable"
LISTING_CACHE = "public, max-age=604800, stale-while-revalidate=2678400"
IDENTITY_HELLO = "bafkqabtimvwgy3yk"  # "hello\n" inline in the CID
IDENTITY_INLINED = "bafkqaf3imvwgy3zaneqgc3janfxgy2lomvscay3jmqfa"
ABSENT = "QmYzfKSE55XCjD1MW128RfciAf2DViABhEiXfgVFMabSjN"  # in no fixture
# (the suite makes a random one per run: car.RandomCID(); this is L0's, its digest changed)
ABSENT_RAW = "bafkreie5noke3mb7hqxukzcy73nl23k6lxszxi5w3dtmuwz62wnvkpsscq"


@dataclass
class Case:
    """A request and what the suite expects of the answer (see the module docstring)."""

    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    status: int | tuple[int, ...] = 200
    equals: dict[str, str] = field(default_factory=dict)
    contains: dict[str, tuple[str, ...]] = field(default_factory=dict)
    matches: dict[str, str] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    body: bytes | str | None = None
    body_has: tuple[str | bytes, ...] = ()
    body_lacks: tuple[str | bytes, ...] = ()
    blocks: str | None = None  # aliases, exactly and in that order
    block_set: str | None = None  # aliases, exactly, any order
    has_blocks: str | None = None  # aliases, at least these
    std_car: bool = False  # StandardCARTestTransforms: run as ?format=car and as Accept
    tar: dict[str, bytes] | None = None  # tar entries that must be there
    range_of: tuple[str, int, bytes] | None = None  # (type, size, content): the §0 rules


def car_cases() -> list[Case]:
    """TestTrustlessCar* (trustless-car-gateway, -optional); paths without ?format=car."""
    mb_leaves = "MB L0 L1 L2 L3 L4"
    cases = [
        Case("Pathing/through UnixFS directory", "/ipfs/{R2}/subdir/ascii.txt",
             blocks="R2 SUB2 ASC", std_car=True),
        Case("Pathing/through HAMT-sharded directory", "/ipfs/{H}/685.txt",
             blocks=f"H SHARDFD {mb_leaves}", std_car=True),
        Case("Pathing/DAG-CBOR root", "/ipfs/{DOC}/files/single", blocks="DOC HEL",
             std_car=True),
        Case("Pathing/non-existing file (404)", "/ipfs/{R2}/subdir/i-do-not-exist",
             status=404, std_car=True),
        Case("DagScopeBlock/directory on a path", "/ipfs/{R2}/subdir?dag-scope=block",
             blocks="R2 SUB2", std_car=True),
        Case("DagScopeBlock/file on a path", "/ipfs/{R2}/subdir/ascii.txt?dag-scope=block",
             blocks="R2 SUB2 ASC", std_car=True),
        Case("DagScopeBlock/file through a HAMT", "/ipfs/{H}/1.txt?dag-scope=block",
             blocks="H SHARD07 MB", std_car=True),
        Case("DagScopeEntity/directory", "/ipfs/{R2}?dag-scope=entity", blocks="R2",
             std_car=True),
        Case("DagScopeEntity/HAMT directory", "/ipfs/{H}?dag-scope=entity", blocks="SHARDS",
             std_car=True),
        Case("DagScopeEntity/file", "/ipfs/{RM}/subdir/ascii.txt?dag-scope=entity",
             blocks="RM SUBM ASC", std_car=True),
        Case("DagScopeEntity/chunked file", "/ipfs/{RM}/subdir/multiblock.txt?dag-scope=entity",
             blocks=f"RM SUBM {mb_leaves}", std_car=True),
        Case("DagScopeEntity/DAG-CBOR", "/ipfs/{RC}/document?dag-scope=entity",
             blocks="RC DOC", std_car=True),
        Case("DagScopeAll/directory", "/ipfs/{RM}/subdir?dag-scope=all",
             blocks=f"RM SUBM ASC HEL {mb_leaves}", std_car=True),
        Case("DagScopeAll/chunked file", "/ipfs/{RM}/subdir/multiblock.txt?dag-scope=all",
             blocks=f"RM SUBM {mb_leaves}", std_car=True),
        Case("EntityBytes/missing block after the range",
             "/ipfs/{F3}?dag-scope=entity&entity-bytes=0:1000", block_set="F3 P0", std_car=True),
        Case("EntityBytes/missing block before the range",
             "/ipfs/{F3}?dag-scope=entity&entity-bytes=2200:*", block_set="F3 P2",
             std_car=True),
        Case("EntityBytes/whole file",
             "/ipfs/{RM}/subdir/multiblock.txt?dag-scope=entity&entity-bytes=0:*",
             blocks=f"RM SUBM {mb_leaves}", std_car=True),
        Case("EntityBytes/directory (ignored)", "/ipfs/{H}?dag-scope=entity&entity-bytes=0:*",
             blocks="SHARDS", std_car=True),
    ]
    for spec, leaves in [("512:*", "L2 L3 L4"), ("512:1023", "L2 L3"), ("512:-256", "L2 L3"),
                         ("-5:*", "L3 L4"), ("-9999:*", "L0 L1 L2 L3 L4"),
                         ("-9999:-3", "L0 L1 L2 L3"), ("0:0", "L0")]:
        cases.append(Case(f"EntityBytes/{spec}",
                          f"/ipfs/{{MB}}?dag-scope=entity&entity-bytes={spec}",
                          blocks=f"MB {leaves}", std_car=True))
    dups_y = f"{CAR}; version=1; order=dfs; dups=y"
    cases += [
        Case("OrderAndDuplicates/dfs and dups=y", "/ipfs/{RD}", {"Accept": dups_y},
             contains={"Content-Type": (CAR, "order=dfs", "dups=y")},
             blocks=f"RD ASC ASC HEL {mb_leaves}"),
        Case("OrderAndDuplicates/dfs and dups=n", "/ipfs/{RD}",
             {"Accept": f"{CAR}; version=1; order=dfs; dups=n"},
             contains={"Content-Type": (CAR, "order=dfs", "dups=n")},
             blocks=f"RD ASC HEL {mb_leaves}"),
        Case("OrderAndDuplicates/order=unk", "/ipfs/{RD}",
             {"Accept": f"{CAR}; version=1; order=unk"},
             contains={"Content-Type": (CAR, "order=")}, has_blocks=f"RD ASC HEL {mb_leaves}"),
        Case("OrderAndDuplicates/identity CID, dups=y", f"/ipfs/{IDENTITY_INLINED}",
             {"Accept": f"{CAR}; dups=y"}, contains={"Content-Type": (CAR, "dups=y")},
             blocks=""),
        Case("OrderAndDuplicates/?format=car takes Accept's params", "/ipfs/{RD}?format=car",
             {"Accept": dups_y}, contains={"Content-Type": (CAR, "dups=y")},
             blocks=f"RD ASC ASC HEL {mb_leaves}"),
        Case("OrderAndDuplicates/car-order beats Accept", "/ipfs/{RD}?format=car&car-order=dfs",
             {"Accept": f"{CAR}; order=unk"}, contains={"Content-Type": ("order=dfs",)}),
        Case("OrderAndDuplicates/car-dups beats Accept", "/ipfs/{RD}?format=car&car-dups=y",
             {"Accept": f"{CAR}; dups=n"}, contains={"Content-Type": ("dups=y",)}),
        Case("FormatPrecedence/format=car over Accept raw", "/ipfs/{DIRB}?format=car",
             {"Accept": RAW}, contains={"Content-Type": (CAR,)}),
        Case("FormatPrecedence/format=raw over Accept car", "/ipfs/{DIRB}?format=raw",
             {"Accept": CAR}, equals={"Content-Type": RAW}),
    ]
    return cases


def _raw_cases(prefix: str, path: str, file_path: str) -> list[Case]:
    return [
        Case(f"{prefix}/format=raw", f"{path}?format=raw", body="block:DIRB"),
        Case(f"{prefix}/Accept raw", path, {"Accept": RAW}, body="block:DIRB"),
        Case(f"{prefix}/response headers", file_path, {"Accept": RAW},
             equals={"Content-Type": RAW, "Content-Length": "31",
                     "X-Content-Type-Options": "nosniff"},
             contains={"Content-Disposition": ("attachment;",)},
             body=b"hello application/vnd.ipld.raw\n"),
        Case(f"{prefix}/filename", f"{file_path}?filename=foobar.bin", {"Accept": RAW},
             contains={"Content-Disposition": ("attachment;", 'filename="foobar.bin')}),
        Case(f"{prefix}/caching headers", file_path, {"Accept": RAW},
             present=("Etag",), equals={"X-Ipfs-Path": file_path},
             contains={"Cache-Control": ("public", "immutable", "max-age=29030400"),
                       "X-Ipfs-Roots": ("{RB}" if "RB" in file_path else "{ASCB}",)}),
    ]


def path_cases() -> list[Case]:
    """TestTrustlessRaw*, TestGatewayBlock, the UnixFS path gateway, ranges, CORS, tar."""
    ascb = b"hello application/vnd.ipld.raw\n"
    asc = b"hello application/vnd.ipld.car\n"
    cases = [
        *_raw_cases("TrustlessRaw", "/ipfs/{DIRB}", "/ipfs/{ASCB}"),
        Case("TrustlessRawRanges/single range", "/ipfs/{ASCB}",
             {"Accept": RAW, "Range": "bytes=7-9"}, status=(200, 206),
             range_of=(RAW, 31, ascb)),
        Case("TrustlessRawRanges/multiple ranges", "/ipfs/{ASCB}",
             {"Accept": RAW, "Range": "bytes=7-9,1-3"}, status=(200, 206),
             range_of=(RAW, 31, ascb)),
        *_raw_cases("GatewayBlock", "/ipfs/{RB}/dir", "/ipfs/{RB}/dir/ascii.txt"),
        Case("GatewayBlock/single range", "/ipfs/{RB}/dir", {"Accept": RAW, "Range": "bytes=6-16"},
             status=206, equals={"Content-Type": RAW, "Content-Range": "bytes 6-16/57"},
             body="block:DIRB[6:17]"),
        # TestUnixFSDirectoryListing
        Case("DirectoryListing/root has no backlink", "/ipfs/{DL}/", body_has=("Index of",),
             body_lacks=('<a href="/ipfs/{DL}/">..</a>',)),
        Case("DirectoryListing/redirect to the trailing slash", "/ipfs/{DL}/%C4%85/%C4%99",
             status=301, equals={"Location": "/ipfs/{DL}/%C4%85/%C4%99/"}),
        Case("DirectoryListing/listing", "/ipfs/{DL}/%C4%85/%C4%99/",
             contains={"Etag": ('"DirIndex-',)}, body_has=(
                 "Index of",
                 '/ipfs/<a href="/ipfs/{DL}">{DL}</a>/<a href="/ipfs/{DL}/%C4%85">ą</a>/'
                 '<a href="/ipfs/{DL}/%C4%85/%C4%99">ę</a>',
                 '<a href="/ipfs/{DL}/%C4%85/%C4%99/..">..</a>',
                 '<a href="/ipfs/{DL}/%C4%85/%C4%99/file-%C5%BA%C5%82.txt">file-źł.txt</a>',
                 '<a class="ipfs-hash" translate="no" '
                 'href="/ipfs/{FUTF}?filename=file-%25C5%25BA%25C5%2582.txt">')),
        Case("DirectoryListing/missing entry", "/ipfs/{DL}/i-do-not-exist", status=404),
        # TestGatewayCache
        Case("Cache/listing", "/ipfs/{C1}/root2/root3/",
             equals={"X-Ipfs-Path": "/ipfs/{C1}/root2/root3/", "X-Ipfs-Roots": "{C1},{C2},{C3}",
                     "Cache-Control": LISTING_CACHE},
             matches={"Etag": "DirIndex-.*_CID-{C3}"}),
        Case("Cache/directory with index.html", "/ipfs/{C1}/root2/root3/root4/",
             equals={"Cache-Control": IMMUTABLE, "X-Ipfs-Path": "/ipfs/{C1}/root2/root3/root4/",
                     "X-Ipfs-Roots": "{C1},{C2},{C3},{C4}", "Etag": '"{C4}"'}),
        Case("Cache/file", "/ipfs/{C1}/root2/root3/root4/index.html",
             equals={"Cache-Control": IMMUTABLE,
                     "X-Ipfs-Path": "/ipfs/{C1}/root2/root3/root4/index.html",
                     "X-Ipfs-Roots": "{C1},{C2},{C3},{C4},{IDX}", "Etag": '"{IDX}"'}),
        Case("Cache/directory as raw", "/ipfs/{C1}/root2/root3/root4/?format=raw",
             equals={"Cache-Control": IMMUTABLE}, body="block:C4"),
        Case("Cache/HEAD only-if-cached, present", "/ipfs/{C1}/root2/root3/root4/",
             {"Cache-Control": "only-if-cached"}, method="HEAD"),
        Case("Cache/HEAD only-if-cached, absent", f"/ipfs/{ABSENT}",
             {"Cache-Control": "only-if-cached"}, method="HEAD", status=412),
        Case("Cache/GET only-if-cached, present", "/ipfs/{C1}/root2/root3/root4/",
             {"Cache-Control": "only-if-cached"}),
        Case("Cache/GET only-if-cached, absent", f"/ipfs/{ABSENT}",
             {"Cache-Control": "only-if-cached"}, status=412),
        Case("Cache/If-None-Match file", "/ipfs/{C1}/root2/root3/root4/index.html",
             {"If-None-Match": '"{IDX}"'}, status=304),
        Case("Cache/If-None-Match directory with index.html", "/ipfs/{C1}/root2/root3/root4/",
             {"If-None-Match": '"{C4}"'}, status=304),
        Case("Cache/If-None-Match list", "/ipfs/{C1}/root2/root3/root4/index.html",
             {"If-None-Match": '"fakeEtag1", "fakeEtag2", "{IDX}"'}, status=304),
        Case("Cache/If-None-Match weak", "/ipfs/{C1}/root2/root3/root4/index.html",
             {"If-None-Match": 'W/"{IDX}"'}, status=304),
        Case("Cache/If-None-Match wildcard", "/ipfs/{C1}/root2/root3/root4/index.html",
             {"If-None-Match": "*"}, status=304),
        # TestGatewaySymlink
        Case("Symlink/listing", "/ipfs/{SYM}/", body_has=(">foo<", ">bar<")),
        Case("Symlink/directory as raw", "/ipfs/{SYM}?format=raw", body="block:SYM"),
        Case("Symlink/the link's target", "/ipfs/{SYM}/bar", body=b"foo"),
        # TestGatewayUnixFSFileRanges
        Case("FileRanges/Accept-Ranges", "/ipfs/{RD}/ascii.txt",
             equals={"Accept-Ranges": "bytes"}, body=asc),
        Case("FileRanges/single range", "/ipfs/{RD}/ascii.txt", {"Range": "bytes=6-16"},
             status=206, equals={"Content-Range": "bytes 6-16/31"}, body=asc[6:17]),
        Case("FileRanges/suffix range", "/ipfs/{RD}/ascii.txt", {"Range": "bytes=-3"},
             status=206, equals={"Content-Range": "bytes 28-30/31"}, body=asc[28:]),
        Case("FileRanges/multiple ranges", "/ipfs/{RD}/ascii.txt", {"Range": "bytes=6-16,0-4"},
             status=206, body_has=("Content-Range: bytes 6-16/31", "Content-Range: bytes 0-4/31",
                                   asc[6:17], asc[0:5])),
        Case("FileRanges/missing block after the range", "/ipfs/{F3}",
             {"Range": "bytes=997-1000"}, status=206,
             equals={"Content-Range": "bytes 997-1000/3072"}, body=MISSING_FILE[997:1001]),
        Case("FileRanges/missing block before the range", "/ipfs/{F3}",
             {"Range": "bytes=2200-2201"}, status=206,
             equals={"Content-Range": "bytes 2200-2201/3072"}, body=MISSING_FILE[2200:2202]),
        Case("Miscellaneous/percent-encoded file name",
             "/ipfs/{PCT}/Portugal%252C+Espa%C3%B1a=Peninsula%20Ib%C3%A9rica.txt",
             body=b"hello from a percent encoded filename\n"),
    ]
    cors = {"Access-Control-Allow-Origin": "*"}
    cors_has = {"Access-Control-Allow-Methods": ("GET", "HEAD", "OPTIONS"),
                "Access-Control-Allow-Headers": ("Content-Type", "Range", "User-Agent",
                                                 "X-Requested-With"),
                "Access-Control-Expose-Headers": ("Content-Range", "Content-Length",
                                                  "X-Ipfs-Path", "X-Ipfs-Roots",
                                                  "X-Chunked-Output", "X-Stream-Output")}
    for method in ("GET", "OPTIONS"):
        cases.append(Case(f"Cors/{method}", f"/ipfs/{IDENTITY_HELLO}/", method=method,
                          status=(200, 301, 404), equals=cors, contains=cors_has))
    futf = b"I am a txt file on path with utf8\n"
    tar_headers = {"Content-Disposition": ("attachment;",), "Etag": ('W/"{FUTF}.x-tar',),
                   "Content-Type": ("application/x-tar",)}
    cases += [
        Case("Tar/format=tar", "/ipfs/{FUTF}?format=tar", contains=tar_headers,
             tar={"{FUTF}": futf}),
        Case("Tar/Accept", "/ipfs/{FUTF}", {"Accept": "application/x-tar"},
             contains=tar_headers, tar={}),
        Case("Tar/directory", "/ipfs/{DL}?format=tar", tar={"{DL}/ą/ę/file-źł.txt": futf}),
        Case("Tar/filename", "/ipfs/{DL}?filename=test%D1%82%D0%B5%D1%81%D1%82.tar&format=tar",
             contains={"Content-Disposition": (
                 "attachment; filename=\"test____.tar\"; "
                 "filename*=UTF-8''test%D1%82%D0%B5%D1%81%D1%82.tar",)}),
        Case("Tar/entry outside the root", "/ipfs/{TAROUT}?format=tar",
             status=tuple(range(400, 600))),
        Case("Tar/entries inside the root", "/ipfs/{TARIN}?format=tar",
             tar={"{TARIN}/foobar/file": b"Hello, world!\n"}),
        # TestCodecMismatchReturns406 (path-dag-gateway: the cases a UnixFS gateway meets)
        Case("CodecMismatch/raw as dag-json", "/ipfs/{FUTF}?format=dag-json", status=406),
        Case("CodecMismatch/raw as dag-cbor", "/ipfs/{FUTF}?format=dag-cbor", status=406),
        Case("CodecMismatch/raw, Accept dag-json", "/ipfs/{FUTF}",
             {"Accept": "application/vnd.ipld.dag-json"}, status=406),
        Case("CodecMismatch/dag-json as dag-cbor", "/ipfs/{J0}?format=dag-cbor", status=406),
        Case("CodecMismatch/dag-cbor as dag-json", "/ipfs/{DOC}?format=dag-json", status=406),
        Case("CodecMismatch/dag-cbor, Accept dag-json", "/ipfs/{DOC}",
             {"Accept": "application/vnd.ipld.dag-json"}, status=406),
        # trustless gateway spec: the probe
        Case("Probe/raw", "/ipfs/bafkqaaa?format=raw", body=b""),
        Case("Probe/car", "/ipfs/bafkqaaa?format=car", blocks="",
             contains={"Content-Type": (CAR,)}),
    ]
    return cases


def _variants(case: Case) -> list[Case]:
    """helpers.StandardCARTestTransforms: ``?format=car``, then ``Accept`` alone."""
    if not case.std_car:
        return [case]
    std = {}
    if case.status == 200:
        std = {"equals": {"X-Content-Type-Options": "nosniff", "Accept-Ranges": "none"},
               "contains": {"Content-Type": (CAR,)},
               "matches": {"Content-Disposition": r'attachment; filename=".*\.car"'},
               "present": ("Etag",)}
    out = []
    for how in ("format=car", "Accept Header"):
        path, headers = case.path, dict(case.headers)
        if how == "format=car":
            path += ("&" if "?" in path else "?") + "format=car"
        else:
            headers["Accept"] = CAR
        out.append(Case(f"{case.name} ({how})", path, headers, case.method, case.status,
                        {**case.equals, **std.get("equals", {})},  # type: ignore[dict-item]
                        {**case.contains, **std.get("contains", {})},  # type: ignore[dict-item]
                        {**case.matches, **std.get("matches", {})},  # type: ignore[dict-item]
                        case.absent, (*case.present, *std.get("present", ())), case.body,
                        case.body_has, case.body_lacks, case.blocks, case.block_set,
                        case.has_blocks))
    return out


def _with_ranges(case: Case, kind: str, content: bytes) -> list[Case]:
    """helpers.IncludeRandomRangeTests: the full request, then bytes=7-9 and bytes=7-9,1-3."""
    out = [dataclasses.replace(case, name=f"{case.name} - full request", body=content)]
    for what, spec in (("single range", "bytes=7-9"), ("multi range", "bytes=7-9,1-3")):
        out.append(dataclasses.replace(case, name=f"{case.name} - {what}",
                                       headers={**case.headers, "Range": spec},
                                       status=(200, 206),
                                       range_of=(kind, len(content), content)))
    return out


def dag_cases() -> list[Case]:
    """TestPathing, TestPlainCodec and TestNativeDag (path-dag-gateway) but its HTML previews."""
    cases = []
    for codec, root in (("json", "J0"), ("cbor", "B0")):
        cases += [
            Case(f"Pathing/DAG-{codec.upper()} path remainder",
                 f"/ipfs/{{{root}}}/foo?format=dag-{codec}", status=501),
            Case(f"Pathing/DAG-{codec.upper()} traverses links",
                 f"/ipfs/{{{root}}}/foo/link/bar?format=dag-{codec}",
                 body=f"block:{root[0]}2"),
            Case(f"Pathing/DAG-{codec.upper()} missing link",
                 f"/ipfs/{{{root}}}/foo/i-do-not-exist", status=404),
        ]
    for codec, alias, content, disposition in (("json", "PJ", PLAIN_JSON, "inline"),
                                               ("cbor", "PC", PLAIN_CBOR, "attachment")):
        kind = f"application/{codec}"
        named = {"Content-Disposition": (f'{disposition}; filename="{{{alias}}}.{codec}"',)}
        for how, path, headers in (("no format", f"/ipfs/{{{alias}}}", {}),
                                   ("?format=", f"/ipfs/{{{alias}}}?format={codec}", {}),
                                   ("Accept", f"/ipfs/{{{alias}}}", {"Accept": kind})):
            cases += _with_ranges(Case(f"PlainCodec/{codec}, {how}", path, headers,
                                       contains=named), kind, content)
    for codec, root, disposition in (("json", "J0", "inline"), ("cbor", "B0", "attachment")):
        dag = f"application/vnd.ipld.dag-{codec}"
        path, name = f"/ipfs/{{{root}}}", f"NativeDag/DAG-{codec.upper()}"
        block = f"block:{root}"
        cases += [
            Case(f"{name}, no format", path, body=block),
            Case(f"{name}, ?format=dag-{codec}", f"{path}?format=dag-{codec}", body=block),
            Case(f"{name}, Accept dag-{codec}", path, {"Accept": dag}, body=block),
            Case(f"{name}, ?format={codec}", f"{path}?format={codec}", body=block,
                 equals={"Content-Type": f"application/{codec}"}),
            Case(f"{name}, Accept {codec}", path, {"Accept": f"application/{codec}"}, body=block,
                 equals={"Content-Type": f"application/{codec}"}),
            Case(f"{name}, Accept dag-{codec} headers", path, {"Accept": dag},
                 equals={"Content-Type": dag,
                         "Content-Length": str(124 if codec == "json" else 76)},
                 contains={"Content-Disposition": (
                     f'{disposition}; filename="{{{root}}}.{codec}"',)}),
            Case(f"{name}, ?filename=", f"{path}?filename=foobar.{codec}", {"Accept": dag},
                 contains={"Content-Disposition": (
                     f'{disposition}; filename="foobar.{codec}"',)}),
            Case(f"{name}, ?download=true", f"{path}?filename=foobar.{codec}&download=true",
                 {"Accept": dag},
                 contains={"Content-Disposition": (f'attachment; filename="foobar.{codec}"',)}),
            Case(f"{name}, cache headers", path, {"Accept": dag},
                 contains={"Etag": (f"{{{root}}}.dag-{codec}",), "Cache-Control": (IMMUTABLE,)},
                 present=("X-Ipfs-Path", "X-Ipfs-Roots")),
            Case(f"{name}, HEAD", path, method="HEAD", contains={"Content-Type": (dag,)},
                 present=("Content-Length",)),
            Case(f"{name}, HEAD ?format=dag-{codec}", f"{path}?format=dag-{codec}",
                 method="HEAD", contains={"Etag": (f"{{{root}}}.dag-{codec}",),
                                          "Content-Type": (dag,)},
                 present=("Content-Length",)),
            Case(f"{name}, HEAD only-if-cached, absent", f"/ipfs/{ABSENT_RAW}",
                 {"Cache-Control": "only-if-cached"}, method="HEAD", status=412),
        ]
    return cases


CASES = [v for c in car_cases() + path_cases() + dag_cases() for v in _variants(c)]


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("conformance")
    car = base / "fixtures.car"
    cids = build(car)
    store = BlockStore([car])
    try:
        cids["SHARDS"] = " ".join(_hamt_shards(store, parse_cid(cids["H"])))
    finally:
        store.close()
    with gateway(car) as (host, log):
        yield host, cids, log


def _hamt_shards(store: BlockStore, root: bytes) -> list[str]:
    """The HAMT's shard blocks in DFS pre-order, by a plain recursive walk of the fixture."""
    node = decode_node(store.get(root))
    assert node.type == DataType.HAMT_SHARD
    found = [cid_text(root)]
    for link in node.links:
        if len(link.name) == 2:  # fanout 256: a sub-shard's name is its two hex digits
            found += _hamt_shards(store, link.cid)
    return found


def _fill(text: str, cids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: cids[m.group(1)], text)


def request(host: str, case: Case, cids: dict[str, str]
            ) -> tuple[int, list[tuple[str, str]], bytes]:
    conn = http.client.HTTPConnection(host, timeout=30)
    try:
        conn.request(case.method, _fill(case.path, cids),
                     headers={k: _fill(v, cids) for k, v in case.headers.items()})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def header(headers: list[tuple[str, str]], name: str) -> str:
    """The suite's IsUniqAnd: the header must be sent exactly once."""
    values = [v for k, v in headers if k.lower() == name.lower()]
    assert len(values) == 1, f"{name} sent {len(values)} times: {values}"
    return values[0]


def car_blocks(body: bytes) -> tuple[list[bytes], list[str]]:
    """(roots, block CIDs in order) of a CAR body, every block verified (our reader)."""
    reader = read_car(io.BytesIO(body), "response")
    return reader.root_cids, [cid_text(cid) for cid, _data, _at in reader.blocks()]


def check(case: Case, cids: dict[str, str], status: int, headers: list[tuple[str, str]],
          body: bytes, store: BlockStore) -> None:
    wanted = case.status if isinstance(case.status, tuple) else (case.status,)
    assert status in wanted, (status, body[:300])
    for name, value in case.equals.items():
        assert header(headers, name) == _fill(value, cids), name
    for name, parts in case.contains.items():
        got = header(headers, name)
        for part in parts:
            assert _fill(part, cids) in got, (name, part, got)
    for name, pattern in case.matches.items():
        assert re.search(_fill(pattern, cids), header(headers, name)), name
    for name in case.present:
        assert header(headers, name)
    for name in case.absent:
        assert not [v for k, v in headers if k.lower() == name.lower()], name
    expected_body = case.body
    if isinstance(expected_body, str):  # "block:ALIAS[a:b]": a block's bytes
        alias, _, part = expected_body[6:].partition("[")
        expected_body = store.get(parse_cid(cids[alias]))
        if part:
            first, last = (int(x) for x in part.rstrip("]").split(":"))
            expected_body = expected_body[first:last]
    if expected_body is not None:
        assert body == expected_body
    text = body.decode("utf-8", "replace")
    for piece in case.body_has:
        assert (_fill(piece, cids).encode() if isinstance(piece, str) else piece) in body, piece
    for piece in case.body_lacks:
        assert _fill(piece, cids) not in text if isinstance(piece, str) else piece not in body
    if case.range_of is not None:
        check_range(case, status, headers, body)
    if case.tar is not None and status == 200:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:") as tar:
            for name, content in case.tar.items():
                member = tar.extractfile(_fill(name, cids))
                assert member is not None and member.read() == content, name
    if case.blocks is not None or case.block_set is not None or case.has_blocks is not None:
        roots, got = car_blocks(body)
        assert roots, "a CAR with no roots (go-car refuses it)"
        if case.blocks is not None:
            assert got == [_alias(a, cids) for a in _aliases(case.blocks, cids)]
        if case.block_set is not None:
            assert sorted(got) == sorted(_alias(a, cids) for a in case.block_set.split())
        if case.has_blocks is not None:
            assert {_alias(a, cids) for a in case.has_blocks.split()} <= set(got)


def _aliases(text: str, cids: dict[str, str]) -> list[str]:
    return [part for a in text.split() for part in (cids[a].split() if a == "SHARDS" else [a])]


def _alias(name: str, cids: dict[str, str]) -> str:
    return cids.get(name, name)


def check_range(case: Case, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    """helpers' range rules for bytes=7-9 and bytes=7-9,1-3 (any allowed form)."""
    kind, size, content = case.range_of  # type: ignore[misc]
    if status == 200:
        assert body == content and header(headers, "Content-Type") == kind
        return
    if "," not in case.headers["Range"] or header(headers, "Content-Type") == kind:
        assert header(headers, "Content-Type") == kind
        assert header(headers, "Content-Range") == f"bytes 7-9/{size}"
        assert body == content[7:10]
        return
    assert header(headers, "Content-Type").startswith("multipart/byteranges")
    for piece in (f"Content-Type: {kind}".encode(), f"Content-Range: bytes 7-9/{size}".encode(),
                  content[7:10], content[1:4]):
        assert piece in body


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance(fx, case: Case) -> None:  # type: ignore[no-untyped-def]
    host, cids, _log = fx
    status, headers, body = request(host, case, cids)
    check(case, cids, status, headers, body, _BlockSource(host))  # type: ignore[arg-type]


class _BlockSource:
    """Blocks for the expected bodies, fetched as ``?format=raw`` and checked here by hash
    (multiformats), so the expectation does not come from the gateway's own reader."""

    def __init__(self, host: str) -> None:
        self.host = host

    def get(self, cid: bytes) -> bytes:
        from multiformats import CID, multihash

        conn = http.client.HTTPConnection(self.host, timeout=30)
        try:
            conn.request("GET", f"/ipfs/{cid_text(cid)}?format=raw")
            data = conn.getresponse().read()
        finally:
            conn.close()
        parsed = CID.decode(cid)
        assert multihash.digest(data, parsed.hashfun) == parsed.digest
        return data


def test_the_hamt_is_the_suites(fx) -> None:  # type: ignore[no-untyped-def]
    _host, cids, _log = fx
    shards = cids["SHARDS"].split()
    assert len(shards) == HAMT_SHARDS and shards[0] == cids["H"]
    assert {cids["SHARD07"], cids["SHARDFD"]} <= set(shards)


def test_listing_etag_revalidates(fx) -> None:  # type: ignore[no-untyped-def]
    """TestGatewayCache: a listing's ETag is strong; If-None-Match with it, or weakened, 304."""
    host, cids, _log = fx
    case = Case("listing", "/ipfs/{C1}/root2/root3/")
    status, headers, _body = request(host, case, cids)
    etag = header(headers, "Etag")
    assert status == 200 and etag.startswith('"') and etag.endswith('"')
    for tag in (etag, f"W/{etag}"):
        case.headers = {"If-None-Match": tag}
        status, headers, body = request(host, case, cids)
        assert (status, body, header(headers, "Etag")) == (304, b"", etag)


ISSUE_A = [  # the issue's items beyond the suite: (path, headers, status, header checks)
    ("/ipfs/{RD}?format=car&car-version=2", {}, 400, {}),
    ("/ipfs/{RD}", {"Accept": f"{CAR}; version=2"}, 406, {}),
    ("/ipfs/{RD}?format=car&car-dups=maybe", {}, 400, {}),
    ("/ipfs/{RD}?format=car&car-order=random", {}, 400, {}),
    ("/ipfs/{RD}?format=car&dag-scope=most", {}, 400, {}),
    ("/ipfs/{MB}?format=car&entity-bytes=3:1", {}, 400, {}),
    ("/ipfs/{MB}?format=car&entity-bytes=a:*", {}, 400, {}),
    ("/ipfs/{MB}?format=car&entity-bytes=5000:*", {}, 400, {}),
    ("/ipfs/{RD}?format=car", {}, 200,
     {"Content-Type": f"{CAR}; version=1; order=dfs; dups=n",
      "Content-Disposition": "attachment; filename=\"{RD}.car\"; filename*=UTF-8''{RD}.car"}),
    ("/ipfs/{ASCB}?format=raw", {}, 200,
     {"Content-Disposition": "attachment; filename=\"{ASCB}.bin\"; filename*=UTF-8''{ASCB}.bin"}),
    ("/ipfs/{RD}", {"Accept": f"{CAR}; dups=y"}, 200,
     {"Content-Location": "/ipfs/{RD}?car-dups=y&format=car"}),
    ("/ipfs/{ASCB}", {"Accept": RAW}, 200, {"Content-Location": "/ipfs/{ASCB}?format=raw"}),
    ("/ipfs/{RD}/ascii.txt", {}, 200, {"X-Ipfs-Roots": "{RD},{ASC}"}),
    ("/ipfs/{RD}/ascii.txt", {"Accept": "text/html,*/*;q=0.8"}, 200,
     {"Content-Type": "text/plain; charset=utf-8"}),
    ("/ipfs/{RD}/ascii.txt", {"Accept": f"{CAR};q=0, {RAW};q=0.5, text/html;q=0.9"}, 200,
     {"Content-Type": RAW}),  # RFC 9110: q=0 is "not acceptable"; text/html is the default
    ("/ipfs/{RD}", {"Accept": "application/vnd.ipfs.ipns-record"}, 406, {}),
    ("/ipfs/{RD}?format=ipns-record", {}, 400, {}),
    ("/ipfs/{DOC}/cats", {}, 501, {}),
    ("/ipfs/{DOC}/files/nothing?format=car", {}, 404, {}),
    ("/ipfs/{F3}?format=car&dag-scope=block", {}, 200, {}),
]


@pytest.mark.parametrize(("path", "headers", "status", "expected"), ISSUE_A)
def test_issue_cases(fx, path, headers, status, expected) -> None:  # type: ignore[no-untyped-def]
    host, cids, _log = fx
    got, got_headers, body = request(host, Case("x", path, headers), cids)
    assert got == status, body[:200]
    for name, value in expected.items():
        assert header(got_headers, name) == _fill(value, cids)
    if status == 200 and "format=raw" not in path and "Accept" not in headers:
        assert not [k for k, _ in got_headers if k.lower() == "content-location"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writable_methods_are_refused(fx, method: str) -> None:  # type: ignore[no-untyped-def]
    """The writable gateway left the specs (and the suite): a read-only gateway answers 405
    and says what it allows (boxo does the same)."""
    host, cids, _log = fx
    status, headers, _body = request(host, Case("x", "/ipfs/{RD}/ascii.txt", method=method),
                                     cids)
    assert (status, header(headers, "Allow")) == (405, "GET, HEAD, OPTIONS")


def test_car_etags_follow_the_options(fx) -> None:  # type: ignore[no-untyped-def]
    """Weak, and different whenever scope, byte range, dups or path change the blocks."""
    host, cids, _log = fx
    etags = {}
    for query in ["", "&dag-scope=all", "&dag-scope=entity", "&dag-scope=block",
                  "&entity-bytes=0:0", "&entity-bytes=512:*", "&car-dups=y"]:
        case = Case("x", f"/ipfs/{{MB}}?format=car{query}")
        status, headers, body = request(host, case, cids)
        assert status == 200
        etags[query] = (header(headers, "Etag"), car_blocks(body)[1])
        case.headers = {"If-None-Match": etags[query][0]}
        assert request(host, case, cids)[0] == 304
    assert all(tag.startswith('W/"') for tag, _ in etags.values())
    by_blocks: dict[tuple[str, ...], set[str]] = {}
    for tag, blocks in etags.values():
        by_blocks.setdefault(tuple(blocks), set()).add(tag)
    tags = [tag for tag, _ in etags.values()]
    # different responses never share an ETag (equal ones may: "" and dag-scope=all)
    assert len({tuple(b) for _t, b in etags.values()}) <= len(set(tags))
    for tag in set(tags):
        assert len({tuple(b) for t, b in etags.values() if t == tag}) == 1


def test_head_is_get_without_the_body(fx) -> None:  # type: ignore[no-untyped-def]
    host, cids, _log = fx
    for path in ["/ipfs/{RD}/multiblock.txt", "/ipfs/{RD}?format=car", "/ipfs/{ASCB}?format=raw",
                 "/ipfs/{DL}/", "/ipfs/{DL}?format=tar", "/ipfs/{RD}/nothing"]:
        get_status, get_headers, _ = request(host, Case("x", path), cids)
        head_status, head_headers, body = request(host, Case("x", path, method="HEAD"), cids)
        assert (head_status, body) == (get_status, b"")
        skip = {"date", "content-length"} if path.endswith("nothing") else {"date"}
        assert [h for h in head_headers if h[0].lower() not in skip] == \
            [h for h in get_headers if h[0].lower() not in skip]


READ_CARS = """
import { CarBlockIterator } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import fs from 'node:fs'
const out = {}
for (const file of process.argv.slice(1)) {
  const blocks = await CarBlockIterator.fromIterable(fs.createReadStream(file))
  const roots = (await blocks.getRoots()).map(String)
  const cids = []
  for await (const { cid, bytes } of blocks) {
    if (cid.multihash.code !== 0x12) throw new Error('unexpected hash ' + cid)
    const digest = await sha256.digest(bytes)
    if (!equals(digest.bytes, cid.multihash.bytes)) throw new Error('bad block ' + cid)
    cids.push(cid.toString())
  }
  out[file] = { roots, cids, version: blocks.version }
}
function equals (a, b) { return a.length === b.length && a.every((x, i) => x === b[i]) }
process.stdout.write(JSON.stringify(out))
"""


@pytest.mark.npm
@needs_npm
def test_cars_read_back_with_ipld_car(fx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every CAR case once more, read by @ipld/car (its own CAR parser, blocks hashed with
    multiformats' sha256): the same blocks in the same order as the table says."""
    host, cids, _log = fx
    files = {}
    for i, case in enumerate(CASES):
        if (case.blocks is None and case.block_set is None) or case.status != 200:
            continue
        status, _headers, body = request(host, case, cids)
        assert status == 200
        files[str(tmp_path / f"{i}.car")] = case
        (tmp_path / f"{i}.car").write_bytes(body)
    done = subprocess.run(["node", "--input-type=module", "-e", READ_CARS, *files], cwd=CI,
                          capture_output=True, text=True, timeout=120, check=True)
    read = json.loads(done.stdout)
    assert len(read) == len(files) == 53
    for name, case in files.items():
        assert read[name]["version"] == 1 and read[name]["roots"], case.name
        if case.blocks is not None:
            assert read[name]["cids"] == [_alias(a, cids) for a in _aliases(case.blocks, cids)]
        else:
            assert sorted(read[name]["cids"]) == sorted(_alias(a, cids) for a in
                                                        (case.block_set or "").split())


def test_the_suite_counts() -> None:
    """What was ported (the README's table says the same)."""
    assert len(car_cases()) == 34 and len(path_cases()) == 56 and len(dag_cases()) == 48
    assert sum(c.std_car for c in car_cases()) == 25  # each run twice
    assert len(CASES) == 163

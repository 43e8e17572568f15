"""Which representation a request asks for: ``?format=``, ``Accept`` and the CAR options.

Path gateway spec (ipfs/specs, http-gateways/path-gateway.md) and IPIP-412/523:

* ``?format=`` wins over ``Accept``; an unknown ``format`` is 400;
* ``Accept`` is read as RFC 9110 12.5.1 says: entries sorted by ``q`` (``q=0`` dropped,
  ties in the order written); the first one naming a type this gateway knows chooses it
  (``text/html``, ``*/*`` and the like leave the default: the deserialized content); an
  IPLD or IPFS type it does not serve (``application/vnd.ipfs.ipns-record``) is 406;
* a CAR's options come from the ``Accept`` entry when its type is the chosen format's,
  then from ``car-version``, ``car-order`` and ``car-dups``, which override it:
  ``version`` must be 1, ``order`` ``dfs`` or ``unk`` (this gateway always writes
  ``dfs``), ``dups`` ``y`` or ``n`` (default ``n``): anything else is 400 (406 when it
  came from ``Accept``);
* ``dag-scope`` is ``block``, ``entity`` or ``all`` (default); ``entity-bytes=from:to``
  (integers, negative counting from the end; ``to`` may be ``*``) implies ``entity``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .dagscope import CarParams

__all__ = ["FORMATS", "NegotiationError", "Wanted", "negotiate", "parse_entity_bytes"]

FORMATS = {
    "raw": "application/vnd.ipld.raw",
    "car": "application/vnd.ipld.car",
    "tar": "application/x-tar",
    "dag-json": "application/vnd.ipld.dag-json",
    "dag-cbor": "application/vnd.ipld.dag-cbor",
    "json": "application/json",
    "cbor": "application/cbor",
}
_BY_TYPE = {kind: name for name, kind in FORMATS.items()}
_ENTRY = re.compile(r'\s*([^\s;,/]+/[^\s;,]+)\s*((?:;\s*[^\s=;,]+\s*=\s*(?:"[^"]*"|[^\s;,"]*)\s*)*)'
                    r"(?:,|$)")
_PARAM = re.compile(r';\s*([^\s=;,]+)\s*=\s*("[^"]*"|[^\s;,"]*)')
_Q = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")
_BYTES = re.compile(r"(-?\d{1,19}):(-?\d{1,19}|\*)")


class NegotiationError(Exception):
    """The request asks for something this gateway cannot give: *status* is 400 or 406."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Wanted:
    """The chosen format (``""``: the deserialized content), whether ``Accept`` alone
    chose it, the ``Accept`` parameters that applied, and the CAR options."""

    format: str = ""
    from_accept: bool = False
    accept_params: dict[str, str] = field(default_factory=dict)
    car: CarParams = field(default_factory=CarParams)


def _accept(header: str) -> list[tuple[str, dict[str, str]]]:
    """(type, parameters without q) of each Accept entry, best first."""
    entries: list[tuple[float, int, str, dict[str, str]]] = []
    for i, matched in enumerate(_ENTRY.finditer(header)):
        kind = matched.group(1).lower()
        params = {k.lower(): v.strip('"') for k, v in _PARAM.findall(matched.group(2))}
        q = params.pop("q", "1")
        if not _Q.fullmatch(q) or float(q) == 0:
            continue
        entries.append((-float(q), i, kind, params))
    return [(kind, params) for _q, _i, kind, params in sorted(entries)]


def parse_entity_bytes(text: str) -> tuple[int, int | None]:
    """``from:to`` as (from, to), ``to`` None for ``*``; NegotiationError (400)."""
    matched = _BYTES.fullmatch(text)
    if matched is None:
        raise NegotiationError(400, f"invalid entity-bytes {text!r} (expected FROM:TO, "
                                    "integers, TO may be '*')")
    first, last = int(matched.group(1)), matched.group(2)
    to = None if last == "*" else int(last)
    if to is not None and (first >= 0) == (to >= 0) and first > to:
        raise NegotiationError(400, f"invalid entity-bytes {text!r} (FROM is after TO)")
    return first, to


def _option(name: str, value: str, allowed: tuple[str, ...], status: int) -> str:
    if value not in allowed:
        raise NegotiationError(status, f"unsupported {name} {value!r} for "
                                       f"application/vnd.ipld.car (expected "
                                       f"{' or '.join(a for a in allowed if a)})")
    return value


def negotiate(query: Mapping[str, list[str]], accept: str | None) -> Wanted:
    """The representation *query* (parsed, first value of each name counts) and the
    ``Accept`` header ask for; NegotiationError when it cannot be given."""
    fmt = (query.get("format") or [""])[0]
    if fmt and fmt not in FORMATS:
        raise NegotiationError(400, f"unsupported format {fmt!r} (expected one of "
                                    f"{', '.join(FORMATS)})")
    chosen: tuple[str, dict[str, str]] | None = None
    for kind, params in _accept(accept or ""):
        if kind in _BY_TYPE:
            chosen = (kind, params)
            break
        if kind.startswith(("application/vnd.ipld.", "application/vnd.ipfs.")):
            if not fmt:
                raise NegotiationError(406, f"{kind} is not served here (expected one of "
                                            f"{', '.join(FORMATS.values())})")
            break
    from_accept = not fmt and chosen is not None
    if from_accept and chosen is not None:
        fmt = _BY_TYPE[chosen[0]]
    params = chosen[1] if chosen is not None and chosen[0] == FORMATS.get(fmt) else {}
    if fmt != "car":
        return Wanted(fmt, from_accept)
    status = 406 if params else 400
    _option("version", params.get("version", ""), ("", "1"), status)
    _option("order", params.get("order", ""), ("", "dfs", "unk"), status)
    dups = _option("dups", params.get("dups", ""), ("", "y", "n"), status)
    if "car-version" in query:
        _option("car-version", query["car-version"][0], ("", "1"), 400)
    if "car-order" in query:
        _option("car-order", query["car-order"][0], ("", "dfs", "unk"), 400)
    if "car-dups" in query:
        dups = _option("car-dups", query["car-dups"][0], ("", "y", "n"), 400)
    scope = (query.get("dag-scope") or [""])[0]
    if scope not in ("", "block", "entity", "all"):
        raise NegotiationError(400, f"invalid dag-scope {scope!r} (expected block, entity "
                                    "or all)")
    byte_range = None
    if "entity-bytes" in query:
        byte_range = parse_entity_bytes(query["entity-bytes"][0])
    if scope in ("block", "all"):
        byte_range = None  # entity-bytes only applies to an entity
    elif byte_range is not None or scope == "entity":
        scope = "entity"
    kept = {k: v for k, v in params.items() if k in ("version", "order", "dups")}
    return Wanted(fmt, from_accept, kept,
                  CarParams(scope or "all", byte_range, dups == "y"))

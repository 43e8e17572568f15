"""The schema of one declaration: checks IW100-IW108 and IW110, each a function with a
stable id (IW109 is the integration file's, :mod:`ipwhl_checks.repo.integration`).

Each check's docstring says what is wrong, why it matters and how to fix it
(``ipwhl check --explain IW1xx`` prints it).  :mod:`ipwhl_checks.repo.declaration` runs them
through :func:`~ipwhl_checks.repo.declaration.parse_declaration`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from functools import lru_cache

import multiformats
from packaging.markers import (
    Marker,
    UndefinedComparison,
    UndefinedEnvironmentName,
    default_environment,
)
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from ..errors import DeclarationError
from ..ipld.cid import cid_fields, cid_text, parse_cid
from ..ipld.multicodec import DAG_PB, RAW, SHA2_256
from ..util import toml
from .extras import marker_extras
from .source import Source, parse_source, redact

__all__ = ["CHECKS", "KEYS", "REQUIRED_KEYS", "Messages", "check_content_id",
           "parse_requirement", "parse_specifier_set"]

# The keys of a declaration, in canonical order.
KEYS = ("source", "content-id", "requires-python", "extras", "dependencies")
REQUIRED_KEYS = ("source", "content-id")

Messages = list[tuple[str, str]]  # (check id, message)

_SPACE = re.compile(r"\s")
_TOML_TYPES = {str: "a string", int: "an integer", float: "a float", bool: "a boolean",
               list: "an array", dict: "a table"}


def _kind(value: object) -> str:
    return _TOML_TYPES.get(type(value), "a date/time")


_SHOWN = 200  # characters of a bad value quoted in a message: a problem is one short line


def _q(text: str) -> str:
    """*text* quoted for a message, cut after :data:`_SHOWN` characters."""
    if len(text) <= _SHOWN:
        return repr(text)
    return f"{text[:_SHOWN]!r}... ({len(text)} characters)"


def _key(key: str) -> str:
    """A TOML key as a message shows it: as written, unless quoting is needed for one line."""
    return key if key.isprintable() and len(key) <= _SHOWN else _q(key)


# --- the checks -------------------------------------------------------------------------

def _iw100_toml(data: bytes) -> tuple[dict[str, object] | None, Messages]:
    """IW100 not TOML: the file is not UTF-8 text that parses as TOML, or cannot be read
    as a regular file (a symbolic link, a FIFO, an unreadable file).

    Why: nothing else can be checked, and tools that read the tree would fail on it; git
    commits a symbolic link, not the file it points to, so a publish from the commit
    refuses one.
    Fix: correct the syntax at the line and column given (or run ``ipwhl fmt`` on a
    file written by ``ipwhl add``); replace a link or a special file by the declaration.
    """
    try:
        return toml.loads(data.decode("utf-8")), []
    except UnicodeDecodeError as e:
        return None, [("IW100", f"not UTF-8 text (byte {e.start} is {data[e.start]:#04x})")]
    except toml.TomlError as e:
        return None, [("IW100", f"invalid TOML: {e}")]


def _iw101_unknown_keys(table: Mapping[str, object]) -> Messages:
    """IW101 unknown key: the declaration has a key the schema does not know.

    Why: a misspelt key (``contentid``) would otherwise be ignored silently and the value
    the curator meant would be missing.  Fix: use one of the keys ``source``,
    ``content-id``, ``requires-python``, ``extras``, ``dependencies`` (the message
    suggests the nearest one) or remove the key.
    """
    problems = []
    for key in table:
        if key in KEYS:
            continue
        close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(KEYS)}"
        problems.append(("IW101", f"{_key(key)}: unknown key, {hint}"))
    return problems


def _iw102_missing_keys(table: Mapping[str, object]) -> Messages:
    """IW102 missing key: a required key (``source`` or ``content-id``) is absent.

    Why: without them the wheel can neither be fetched nor verified.  Fix: add the key;
    ``ipwhl add`` writes both.
    """
    return [("IW102", f"{key}: missing required key") for key in REQUIRED_KEYS
            if key not in table]


def _iw103_source(value: object) -> tuple[Messages, Source | None]:
    """IW103 bad source: ``source`` is not ``index:PROJECT/FILENAME`` or a URL of a wheel.

    Why: the source says where the wheel file is fetched from: the file *FILENAME* on the
    index's page of *PROJECT* (a valid, normalized project name whose wheel the file is),
    or an absolute ``https`` (``http``, ``file``) URL whose last segment is the wheel's
    file name.  A URL must not carry a user name or password: declarations are published
    (in the tree's ``manifest.json``), so the credentials would be too; the message shows
    ``****`` in their place.  Fix: write the wheel's URL or index reference as a TOML
    string without white space (``ipwhl add`` writes it); serve a private wheel from a
    location that needs no credentials in the URL.
    """
    if not isinstance(value, str):
        return [("IW103", f"source: expected a string, got {_kind(value)}")], None
    if not value or _SPACE.search(value):
        return [("IW103", f"source: {_q(redact(value))} is empty or contains white space")], \
            None
    try:
        return [], parse_source(value)
    except DeclarationError as e:
        return [("IW103", f"source: {e}")], None


def _iw110_source_wheel(source: Source, filename: str) -> Messages:
    """IW110 source names another wheel: the file the source names is not the wheel the
    declaration's path names.

    Why: the declaration would promise one wheel (its path: project, version, tags) and
    fetch another: ``data/.../evil/evil-1.0-py3-none-any.toml`` whose source is
    ``index:sneaky/sneaky-1.0-py3-none-any.whl``, or a URL of another project's wheel.
    The online check would refuse the download (IW503); this says so without it.
    Fix: point ``source`` at this wheel (``ipwhl add`` writes it), or move the declaration
    to the path of the wheel its source names.
    """
    if source.filename != filename:
        return [("IW110", f"source: names {source.filename!r} but the declaration is for "
                          f"{filename!r}")]
    return []


# UnixFS / CID spec: the kinds of CID each import profile produces.
_PROFILE_CIDS = {
    "unixfs-v0-2015": ((0, DAG_PB),),
    "unixfs-v1-2025": ((1, RAW), (1, DAG_PB)),
}


def _name(table: str, code: int) -> str:
    """The multicodec table's name of *code* (multiformats' table)."""
    try:
        return str(getattr(multiformats, table).get(code=code).name)
    except (KeyError, ValueError):
        return f"0x{code:x}"


def check_content_id(value: object, profile: str) -> list[str]:
    """The problems of *value* as the content-id of a wheel in a repository of *profile*."""
    if not isinstance(value, str):
        return [f"content-id: expected a string, got {_kind(value)}"]
    try:
        version, codec, hash_code, digest = cid_fields(parse_cid(value))
    except ValueError as e:
        return [f"content-id: {_q(value)} is not a CID ({e})"]
    if hash_code != SHA2_256 or len(digest) != 32:
        return [f"content-id: {_q(value)} uses hash {_name('multihash', hash_code)}, "
                "expected sha2-256"]
    kind = (version, codec)
    if version == 1 and kind in _PROFILE_CIDS["unixfs-v1-2025"]:
        written = cid_text(parse_cid(value))
        if written != value:  # a valid CID, but not as `ipfs add` prints it
            return [f"content-id: {_q(value)} is not in base32, write it as {written!r}"]
    expected = _PROFILE_CIDS.get(profile, ())
    if kind not in expected:
        made = " or ".join(f"CIDv{v} {_name('multicodec', c)}" for v, c in expected)
        return [f"content-id: {_q(value)} is a CIDv{version} {_name('multicodec', codec)}, but "
                f"the repository's profile {profile!r} makes {made}"]
    return []


def _iw104_content_id(value: object, profile: str) -> Messages:
    """IW104 bad content-id: ``content-id`` is not a CID of the kind the profile makes.

    Why: the content-id names the wheel's bytes on IPFS; the published index links to it
    and installers verify against it.  It must parse (multiformats), use sha2-256, and be
    what ``ipfs add`` gives under the repository's import profile: CIDv0 (``Qm...``) for
    ``unixfs-v0-2015``, a base32 CIDv1 raw or dag-pb (``bafk...``/``bafy...``) for
    ``unixfs-v1-2025``.  Fix: run ``ipwhl cid WHEEL`` and copy what it prints.
    """
    return [("IW104", message) for message in check_content_id(value, profile)]


@lru_cache(maxsize=4096)
def _specifier(text: str) -> SpecifierSet:
    """``SpecifierSet(text)``, cached by its text (see :func:`parse_requirement`)."""
    return _usable(SpecifierSet(text))


def parse_specifier_set(text: str) -> SpecifierSet:
    """A PEP 440 specifier set whose versions can be compared; :class:`InvalidSpecifier`
    otherwise (cached by its text: the result is shared, a value nothing assigns to)."""
    return _specifier(text)


def _usable(specifiers: SpecifierSet) -> SpecifierSet:
    """*specifiers*, once each version in it parses: packaging accepts ``>=1111...`` of
    5,000 digits, then fails with a plain ValueError (``int()``'s digit limit) at the first
    comparison, deep inside a check."""
    for spec in specifiers:
        if spec.operator == "===":
            continue  # PEP 440: arbitrary equality compares strings
        try:
            Version(spec.version.removesuffix(".*"))
        except ValueError:  # (the pattern matched: only int()'s digit limit is left)
            raise InvalidSpecifier(f"{_q(str(spec))} has a number too long to compare") \
                from None
    return specifiers


# A marker is evaluated once here, so that one whose comparisons cannot be made fails as
# an invalid requirement and not in the dependency check; the values are irrelevant.
_SAMPLE: dict[str, str] = {**{str(k): str(v) for k, v in default_environment().items()},
                           "extra": ""}


def _usable_marker(marker: Marker | None) -> None:
    if marker is None:
        return
    try:
        marker.evaluate(_SAMPLE)
    except (UndefinedComparison, UndefinedEnvironmentName):
        pass  # the dependency check reports these (IW405)
    except ValueError:
        raise InvalidRequirement("its marker compares a version number too long to compare") \
            from None


def _iw105_requires_python(value: object) -> tuple[Messages, SpecifierSet | None]:
    """IW105 bad requires-python: ``requires-python`` is not a PEP 440 specifier set.

    Why: it decides on which Pythons the wheel is installable, for the dependency check
    and for pip (``data-requires-python`` in the index).  Fix: copy the wheel's
    ``Requires-Python`` metadata, e.g. ``'>=3.8'``.
    """
    if not isinstance(value, str):
        return [("IW105", f"requires-python: expected a string, got {_kind(value)}")], None
    try:
        return [], _specifier(value)
    except InvalidSpecifier:  # (also a version that cannot be compared: see _usable)
        return [("IW105", f"requires-python: {_q(value)} is not a valid PEP 440 "
                 "specifier set")], None


# PEP 685 / core metadata: a valid extra name (checked before normalization).
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def _strings(key: str, value: object, check: str) -> tuple[Messages, list[str]]:
    if not isinstance(value, list):
        return [(check, f"{key}: expected an array of strings, got {_kind(value)}")], []
    problems = [(check, f"{key}[{i}]: expected a string, got {_kind(v)}")
                for i, v in enumerate(value) if not isinstance(v, str)]
    return problems, [v for v in value if isinstance(v, str)]


def _iw106_extras(value: object) -> tuple[Messages, tuple[str, ...]]:
    """IW106 bad extras: ``extras`` is not an array of unique, normalized extra names.

    Why: dependencies name extras by their normalized name (PEP 685); a dependency on
    ``pkg[extra]`` is satisfied only if the declaration lists that extra.  Fix: copy the
    wheel's ``Provides-Extra`` values, normalized (lowercase, ``-`` for runs of ``-_.``),
    each once.
    """
    problems, names = _strings("extras", value, "IW106")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(("IW106", f"extras: {_q(name)} is listed twice"))
            continue
        seen.add(name)
        if not _NAME.match(name):
            problems.append(("IW106", f"extras: {_q(name)} is not a valid extra name"))
        elif canonicalize_name(name) != name:
            problems.append(("IW106", f"extras: {_q(name)} is not normalized, "
                             f"expected {_q(canonicalize_name(name))}"))
    return problems, tuple(names)


@lru_cache(maxsize=65536)
def parse_requirement(text: str) -> Requirement:
    """``Requirement(text)``, cached by its text: a tree repeats the same requirement
    strings often, and parsing them is most of the cost of loading it.

    The result is shared by every declaration that lists the text.  packaging's
    requirements and specifier sets are values: nothing here assigns to their attributes,
    and no cache downstream relies on the sharing (they key by value).

    Stricter than packaging: every version it names must be comparable, and its marker
    must evaluate (or fail only for an undefined comparison, which the dependency check
    reports), so that no check downstream meets a ValueError; a marker nested too deep
    for the interpreter is an invalid requirement too.
    """
    try:
        requirement = Requirement(text)
    except RecursionError:
        raise InvalidRequirement("nested too deep") from None
    try:
        _usable(requirement.specifier)
    except InvalidSpecifier as e:
        raise InvalidRequirement(str(e)) from None
    _usable_marker(requirement.marker)
    return requirement


def _iw107_dependencies(value: object) -> tuple[Messages, tuple[Requirement, ...]]:
    """IW107 bad dependencies: ``dependencies`` is not an array of PEP 508 requirements.

    Why: the dependency check and the resolver read each entry as a requirement; one that
    does not parse cannot be checked.  Fix: copy the wheel's ``Requires-Dist`` values,
    each once, e.g. ``'idna<4,>=2.5'`` or ``'PySocks>=1.5.6; extra == "socks"'``.
    """
    problems, texts = _strings("dependencies", value, "IW107")
    requirements = []
    seen: set[str] = set()
    for text in texts:
        try:
            requirement = parse_requirement(text)
        except InvalidRequirement as e:
            problems.append(("IW107", f"dependencies: {_q(text)} is not a valid PEP 508 "
                             f"requirement ({str(e).splitlines()[0]})"))
            continue
        key = "".join(text.split())  # PEP 508: white space between tokens is insignificant
        if key in seen:
            problems.append(("IW107", f"dependencies: {_q(text)} is listed twice"))
        seen.add(key)
        requirements.append(requirement)
    return problems, tuple(requirements)


def _iw108_undeclared_extras(requirements: tuple[Requirement, ...],
                             extras: tuple[str, ...]) -> Messages:
    """IW108 undeclared extra: a dependency's marker names only extras not in ``extras``.

    Why: such a dependency can never be asked for: ``extras`` is the curated subset of
    the wheel's ``Provides-Extra`` the repository supports, and ``dependencies`` keep only
    what no extra or a declared extra asks for (:mod:`ipwhl_checks.repo.extras`).  So the
    declaration lost an extra, kept a dependency it should have dropped, or the marker is
    misspelt.  Fix: add the extra to ``extras`` (if the wheel provides it and the
    repository supports it), drop the dependency, or correct the marker.
    """
    declared = {canonicalize_name(e) for e in extras}
    problems = []
    for requirement in requirements:
        named = marker_extras(requirement.marker)
        if any(canonicalize_name(name) in declared for name in named):
            continue  # `extra == "a" or extra == "b"`: asked for by a declared extra
        for name in named:
            problems.append(("IW108", f"dependencies: {_q(str(requirement))} names extra "
                             f"{_q(name)}, which is not in extras"))
    return problems


CHECKS: dict[str, Callable[..., object]] = {
    "IW100": _iw100_toml,
    "IW101": _iw101_unknown_keys,
    "IW102": _iw102_missing_keys,
    "IW103": _iw103_source,
    "IW104": _iw104_content_id,
    "IW105": _iw105_requires_python,
    "IW106": _iw106_extras,
    "IW107": _iw107_dependencies,
    "IW108": _iw108_undeclared_extras,
    "IW110": _iw110_source_wheel,
}


_Lists = tuple[tuple[tuple[str, str], ...], tuple[str, ...], tuple[Requirement, ...]]


def _lists(extras: object, dependencies: object) -> _Lists:
    """IW106-IW108 on the two lists: (problems, extras, requirements), all tuples.

    Cached by the lists' values when both are arrays of strings: the wheels of one release
    (and many releases) repeat the same lists, and parsing requirements is most of the
    cost of a check.  :func:`_check_lists` is the plain computation."""
    if (isinstance(extras, list) and isinstance(dependencies, list)
            and all(isinstance(v, str) for v in extras)
            and all(isinstance(v, str) for v in dependencies)):
        return _cached_lists(tuple(extras), tuple(dependencies))
    return _check_lists(extras, dependencies)


def _check_lists(extras: object, dependencies: object) -> _Lists:
    problems, extra_names = _iw106_extras(extras)
    found, requirements = _iw107_dependencies(dependencies)
    problems += found + _iw108_undeclared_extras(requirements, extra_names)
    return tuple(problems), extra_names, requirements


@lru_cache(maxsize=16384)
def _cached_lists(extras: tuple[str, ...], dependencies: tuple[str, ...]) -> _Lists:
    return _check_lists(list(extras), list(dependencies))

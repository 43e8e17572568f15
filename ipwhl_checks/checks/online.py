"""The online checks (IW5xx): each declaration against the wheel its source gives.

The wheel is downloaded (or taken from the verified cache,
:func:`ipwhl_checks.sources.fetch.fetch_wheel`) and its ``.dist-info/METADATA`` compared
with the declaration, field by field, with ``packaging``'s normalization and no regard to
order. ``extras`` may be a subset of the wheel's (curated,
:mod:`ipwhl_checks.repo.extras`); ``dependencies`` are compared with the wheel's
requirements for no extra and the declared extras. A source that cannot be read is
reported as ``source: ...`` (IW501), apart from the mismatches, which name the field:
``path: dependencies: declared 'idna<3' but the wheel requires 'idna<4,>=2.5'``.

The pre-commit hook ``ipwhl-sources`` (``pre-push`` and ``manual`` stages) runs them as
``ipwhl check --online`` on the declarations a push changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from ..errors import DeclarationError, DownloadError, IpwhlError, WheelError
from ..repo.declaration import Declaration, Problem
from ..repo.extras import requirements_for_extras
from ..repo.settings import Settings, format_size
from ..repo.source import parse_source
from ..sources.fetch import Client, ContentMismatch, FetchOptions, fetch_wheel
from ..sources.wheel import WheelInfo, read_wheel
from ..util.progress import Progress

__all__ = ["CHECKS", "check_online", "compare", "normalized_requirement"]

def _iw501_unreachable(declaration: Declaration, error: IpwhlError) -> list[str]:
    """IW501 source unreachable: the wheel could not be downloaded from its ``source``.

    Why: nobody can verify (or install) a wheel that cannot be fetched.  The message says
    what failed: no connection, an HTTP error, a timeout, a refused URL (plain http to
    another host, a redirect to a local file), the size cap, or a file that is not listed
    on the index's project page.  Fix: correct ``source``, or retry when the server is back.
    """
    return [f"source: {error}"]


def _iw502_content_id(declaration: Declaration, error: ContentMismatch) -> list[str]:
    """IW502 content-id mismatch: the source gives other bytes than the declared CID.

    Why: the CID is the promise IPWHL makes; different bytes are a different wheel (or a
    tampered one).  Fix: if the wheel was rebuilt upstream, regenerate the declaration
    with ``ipwhl add``; otherwise find out why the source changed.
    """
    return [f"content-id: declared {error.declared!r} but {error.url} gives {error.actual!r}"]


def _iw503_not_the_wheel(declaration: Declaration, error: IpwhlError) -> list[str]:
    """IW503 not the declared wheel: the source names another file, or is not a valid wheel.

    Why: the file name carries the project, version and tags the tree is checked with.
    Fix: point ``source`` at the wheel the declaration's file name names.
    """
    return [f"source: {error}"]


def _specifier(value: SpecifierSet | None) -> str:
    return repr(str(value)) if value is not None else "nothing"


def _iw504_requires_python(declared: SpecifierSet | None, wheel: SpecifierSet | None) -> list[str]:
    """IW504 requires-python mismatch: ``requires-python`` differs from the wheel's Requires-Python.

    Why: the dependency checks decide on which Pythons the wheel is installable from it.
    Fix: copy the wheel's value (``ipwhl add`` does).
    """
    if declared == wheel:
        return []
    wants = f"requires {_specifier(wheel)}" if wheel is not None else "requires nothing"
    return [f"requires-python: declared {_specifier(declared)} but the wheel {wants}"]


def _iw505_extras(declared: Iterable[str], wheel: Iterable[str]) -> list[str]:
    """IW505 extra not provided: ``extras`` names an extra the wheel's Provides-Extra lacks.

    Why: a requirement on that extra would install less than asked, and the dependency
    check would trust an extra that does not exist.  ``extras`` is the curated subset of
    the wheel's extras the repository supports (:mod:`ipwhl_checks.repo.extras`), so an extra
    of the wheel that is not declared is fine.  Fix: drop the extra, or correct its
    spelling (normalized, PEP 685).
    """
    theirs = {canonicalize_name(e) for e in wheel}
    return [f"extras: declared {e!r} but the wheel does not provide it"
            for e in sorted({canonicalize_name(e) for e in declared} - theirs)]


def normalized_requirement(requirement: Requirement) -> str:
    """One text per meaning: normalized name and extras, sorted specifiers, marker."""
    text: str = canonicalize_name(requirement.name)
    if requirement.extras:
        text += "[" + ",".join(sorted(canonicalize_name(e) for e in requirement.extras)) + "]"
    text += f" @ {requirement.url}" if requirement.url else str(requirement.specifier)
    if requirement.marker is not None:
        text += f"; {requirement.marker}"
    return text


def _iw506_dependencies(declared: Iterable[Requirement],
                        wheel: Iterable[Requirement]) -> list[str]:
    """IW506 dependencies mismatch: ``dependencies`` differ from the wheel's, for its extras.

    The wheel's are its Requires-Dist whose marker names no extra or a declared one
    (*wheel* comes restricted, :func:`ipwhl_checks.repo.extras.requirements_for_extras`).
    Why: the dependency checks and the resolver trust the declaration; a dependency added,
    dropped or loosened there lets the repository promise an install set pip would not
    produce.  Fix: declare exactly those requirements (``ipwhl add`` does).
    """
    groups: dict[tuple[str, str], tuple[dict[str, Requirement], dict[str, Requirement]]]
    groups = defaultdict(lambda: ({}, {}))
    for side, requirements in enumerate((declared, wheel)):
        for r in requirements:
            key = (str(canonicalize_name(r.name)), str(r.marker or ""))
            groups[key][side].setdefault(normalized_requirement(r), r)
    messages = []
    for key in sorted(groups):
        ours, theirs = groups[key]
        only_ours = [ours[k] for k in sorted(ours.keys() - theirs.keys())]
        only_theirs = [theirs[k] for k in sorted(theirs.keys() - ours.keys())]
        if len(only_ours) == 1 and len(only_theirs) == 1:
            messages.append(f"dependencies: declared {str(only_ours[0])!r} but the wheel "
                            f"requires {str(only_theirs[0])!r}")
            continue
        messages += [f"dependencies: declared {str(r)!r} but the wheel does not require it"
                     for r in only_ours]
        messages += [f"dependencies: the wheel requires {str(r)!r} but it is not declared"
                     for r in only_theirs]
    return messages


def _iw508_too_large(size: int, settings: Settings) -> list[str]:
    """IW508 wheel too large: the wheel is larger than the repository's ``max-wheel-size``.

    Why: the repository is published and mirrored whole; ``max-wheel-size`` in
    ``repository.toml`` keeps it practical to do so (for example the index's own default
    upload limit, 100 MiB).  ``ipwhl add`` passes over such wheels and ``ipwhl publish``
    refuses them.  Fix: remove the declaration (the project then has no wheel for the
    environments it covered: ``ipwhl coverage`` shows it), declare a smaller wheel of the
    release, or raise the limit.
    """
    if not settings.over_limit(size):
        return []
    assert settings.max_wheel_size is not None
    return [f"size: the wheel is {format_size(size)}, more than the repository's "
            f"max-wheel-size of {format_size(settings.max_wheel_size)}"]


CHECKS: dict[str, Callable[..., object]] = {
    "IW501": _iw501_unreachable,
    "IW502": _iw502_content_id,
    "IW503": _iw503_not_the_wheel,
    "IW504": _iw504_requires_python,
    "IW505": _iw505_extras,
    "IW506": _iw506_dependencies,
    "IW508": _iw508_too_large,
}


def compare(declaration: Declaration, wheel: WheelInfo) -> list[Problem]:
    """The fields where *declaration* says other than *wheel*'s METADATA (for its extras)."""
    path = str(declaration.path)
    return ([Problem(path, m, "IW504") for m in _iw504_requires_python(
                declaration.requires_python, wheel.requires_python)]
            + [Problem(path, m, "IW505") for m in _iw505_extras(declaration.extras,
                                                                wheel.extras)]
            + [Problem(path, m, "IW506") for m in _iw506_dependencies(
                declaration.dependencies,
                requirements_for_extras(wheel.dependencies, declaration.extras))])


def _check_one(declaration: Declaration, settings: Settings, index_url: str | None,
               allow_file: bool, client: Client) -> list[Problem]:
    path = str(declaration.path)
    try:
        source = parse_source(declaration.source)
    except DeclarationError as e:
        return [Problem(path, f"source: {e}", "IW503")]
    if source.filename != declaration.filename:
        return [Problem(path, f"source: names {source.filename!r} but the declaration is for "
                              f"{declaration.filename!r}", "IW503")]
    try:
        wheel_path = fetch_wheel(declaration, settings, index_url=index_url,
                                 allow_file=allow_file, client=client)
    except ContentMismatch as e:
        return [Problem(path, m, "IW502") for m in _iw502_content_id(declaration, e)]
    except DownloadError as e:
        return [Problem(path, m, "IW501") for m in _iw501_unreachable(declaration, e)]
    too_large = [Problem(path, m, "IW508")
                 for m in _iw508_too_large(wheel_path.stat().st_size, settings)]
    try:
        wheel = read_wheel(wheel_path, declaration.filename)
    except WheelError as e:
        return [*too_large, Problem(path, f"source: not a valid wheel: {e}", "IW503")]
    return too_large + compare(declaration, wheel)


def check_online(declarations: Sequence[Declaration], settings: Settings, *,
                 index_url: str | None = None, allow_file: bool = False,
                 jobs: int | None = None) -> list[Problem]:
    """Every online problem of *declarations*, sorted; *jobs* downloads run at a time
    (default: :class:`FetchOptions`'), one progress display for them all."""
    if not declarations:
        return []
    options = FetchOptions.from_env(allow_file=allow_file, **({"jobs": jobs} if jobs else {}))
    with Client(options) as client, \
            Progress("checking", "wheels", done_verb="checked") as client.progress:
        results = client.map(lambda d: _check_one(d, settings, index_url, allow_file, client),
                             declarations, name=lambda d: d.filename)
    return sorted(p for found in results for p in found)

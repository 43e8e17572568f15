"""The registry of check ids: every check, and what ``ipwhl check --explain ID`` prints.

Check ids are stable; each names a function whose docstring says what is wrong, why it
matters and how to fix it:

* IW1xx the schema of one declaration (:mod:`ipwhl_checks.repo.declaration`);
* IW2xx the layout of the tree (:mod:`ipwhl_checks.repo.layout`);
* IW3xx overlaps: two declarations of a project installable together
  (:mod:`ipwhl_checks.checks.overlap`);
* IW4xx unsatisfied dependencies on a supported environment (:mod:`ipwhl_checks.checks.deps`);
* IW5xx the online checks of the wheels themselves (:mod:`ipwhl_checks.checks.online`), and
  the files two projects' wheels would both write (:mod:`ipwhl_checks.checks.clash`);
* IW109 and IW406, the integration file (:mod:`ipwhl_checks.repo.integration`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

__all__ = ["all_checks", "explain", "summary"]


def all_checks() -> dict[str, Callable[..., object]]:
    """Every check id, sorted, with the function that documents it."""
    # (imported here: the online checks load the HTTP client, which the hooks never need)
    from ..repo import declaration, integration, layout
    from . import clash, deps, online, overlap

    found: dict[str, Callable[..., object]] = {}
    for module in (declaration, layout, overlap, deps, online, clash, integration):
        found.update(module.CHECKS)
    return dict(sorted(found.items()))


def explain(check: str) -> str:
    """The documentation of one check id."""
    doc = inspect.getdoc(all_checks()[check]) or ""
    return doc if doc.startswith(check) else f"{check} {doc}"


def summary(check: str) -> str:
    """The one-line summary of one check id: its documentation's first paragraph, on one
    line (``IW101 unknown key: the declaration has a key the schema does not know.``)."""
    first = explain(check).split("\n\n", 1)[0]
    return " ".join(first.split()).replace("``", "`")

"""The site as an ``--out`` tree holds it: what a publish may replace.

``--out`` replaces only a tree this tool published (:func:`~ipwhl_checks.publish.outputs
.check_published`); beside the projects, such a tree has ``_browse/`` and the extra
directories (``/integration/``), which its ``_browse/site.json`` names
(:mod:`.state`): every entry of ``_browse/`` is a file or directory the state links, its
own ``site.json``, or a page (``p/<prefix>/<name>.html``) in a page directory it links.
"""

from __future__ import annotations

import os
from pathlib import Path

from ...errors import PublishError
from ...util.regular import read_regular
from .html import PAGES, SITE_DIR
from .state import STATE_NAME, read_state

__all__ = ["site_entries"]


def site_entries(tree: Path) -> tuple[dict[str, set[str]], str | None]:
    """The extra directories of the published *tree* with their files, as its site's state
    names them, and why its ``_browse/`` is not the site a publish wrote (None when it is)."""
    browse = tree / SITE_DIR
    where = f"{SITE_DIR}/{STATE_NAME}"
    try:
        state = read_state(read_regular(browse / STATE_NAME, follow_symlinks=False), where)
    except FileNotFoundError:
        return {}, f"no {where}"
    except OSError as e:
        return {}, f"{where}: {e.strerror or e}"
    except PublishError as e:
        return {}, str(e)
    if state is None:
        return {}, f"{where} is of another format"
    extra: dict[str, set[str]] = {}
    for relpath in state.header.extra:
        directory, _, name = relpath.partition("/")
        extra.setdefault(directory, set()).add(name)
    links = state.header.links
    for top, dirs, files in os.walk(browse):
        rel = Path(top).relative_to(browse).as_posix()
        for name in [*dirs, *files]:
            path = name if rel == "." else f"{rel}/{name}"
            linked = path in links or (path == STATE_NAME and name in files) or (
                name in files and name.endswith(".html") and rel in links
                and rel.startswith(f"{PAGES}/") and path.count("/") == 2)
            if not linked or os.path.islink(os.path.join(top, name)) \
                    or (name in dirs) != (path in links and "." not in name):
                return extra, f"'{SITE_DIR}/{path}' is not in its {STATE_NAME}"
    return extra, None

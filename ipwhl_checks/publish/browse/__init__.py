"""A site to look a project up in, inside the published tree: ``/_browse/``.

Static pages beside the PEP 503 tree (which stays byte for byte what pip reads; the root
``index.html`` only gains a search form, which pip ignores)::

    /_browse/index.html               the release's figures, the search, the coverage picture
    /_browse/projects.html            every project's page, by initial
    /_browse/changes.html             projects added, removed, upgraded since a baseline
    /_browse/p/<prefix>/<name>.html   one page per project (prefix as in the data tree)
    /_browse/search/<00-3f>.js        the search index (:mod:`.search`)
    /_browse/site.css, site.js        the only assets: nothing is loaded from elsewhere
    /_browse/site.json                what the next publish reuses (:mod:`.state`)

The pages show the integration results the publish carries (``/integration/<environment>
.json``, :mod:`.integration`).

Every page is readable without JavaScript (the search needs it), every link is relative
and names a file, so the site works under any ``/ipfs/<cid>/`` prefix and from an
``--out`` directory opened as files.  Pages are pure functions of the data (sorted, no
time stamps): the same tree gives the same CID, and a publish on top of a previous release
links every unchanged page by CID (:class:`.site.Site`).
"""

from pathlib import Path

from ...errors import PublishError
from .changes import Baseline
from .html import SITE_DIR, page_path
from .integration import DIRECTORY, Results, read_results
from .site import Site
from .state import STATE_NAME, State, digest_bytes, read_state

__all__ = ["DIRECTORY", "SITE_DIR", "STATE_NAME", "Baseline", "Results", "Site", "State",
           "page_path", "previous_state", "read_results", "read_state", "site_beside"]


def site_beside(manifest: Path) -> bytes | None:
    """The ``_browse/site.json`` of the published tree whose ``manifest.json`` is at
    *manifest* (an ``--out`` directory), if there is one."""
    path = Path(manifest).parent / SITE_DIR / STATE_NAME
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise PublishError(f"{path}: cannot read the previous site ({e.strerror or e})") from e


def previous_state(data: bytes | None, manifest: bytes | None, where: str) -> State | None:
    """The previous site's state *data* if it can be built on: it was published with the
    previous *manifest* (its bytes); None otherwise (the whole site is then rebuilt)."""
    if data is None or manifest is None:
        return None
    state = read_state(data, where)
    if state is None or state.header.manifest != digest_bytes(manifest):
        return None
    return state

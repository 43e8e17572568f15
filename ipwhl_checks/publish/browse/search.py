"""The search index: every project's name, version and summary, in 64 shards.

``_browse/search/<shard>.js`` holds the projects of four prefix directories
(:func:`~ipwhl_checks.repo.layout.prefix`, ``<shard>`` being the prefix divided by 4, two
hex digits), so a release rewrites only the shards of the projects it changes.  Each shard
is one call,
``ipwhlSearch(<JSON>);``, whose JSON is::

    {"format": "ipwhl-search/1", "projects": [["<name>", "<version>", "<summary>"], ...]}

(sorted by name): a script, not a ``.json`` file, because a browser loads a script from an
``--out`` directory opened as files (``file://``), where it refuses to ``fetch`` one.
``site.js`` loads the 64 shards when the search box is first used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

__all__ = ["FORMAT", "SHARDS", "search_shard", "shard_of", "shard_prefixes"]

FORMAT = "ipwhl-search/1"
SHARDS = tuple(f"{i:02x}" for i in range(64))


def shard_of(prefix: str) -> str:
    """The shard of the projects under the prefix directory *prefix*."""
    return f"{int(prefix, 16) // 4:02x}"


def shard_prefixes(shard: str) -> list[str]:
    """The four prefix directories of *shard*."""
    first = int(shard, 16) * 4
    return [f"{first + i:02x}" for i in range(4)]


def search_shard(rows: Sequence[tuple[str, str, str]]) -> bytes:
    """One shard's bytes: *rows* are (name, version, summary), sorted by name."""
    doc = {"format": FORMAT, "projects": [list(row) for row in rows]}
    # ensure_ascii: the script is ASCII whatever its charset is taken to be; "</" cannot
    # occur in a JSON string written so ("/" is not escaped, but "<" becomes \u003c)
    text = json.dumps(doc, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    return f"ipwhlSearch({text});\n".encode("ascii")

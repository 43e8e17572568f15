"""Check: the whole-tree checks and the registry of check ids.

Overlaps (IW3xx, :mod:`.overlap`), dependencies (IW4xx, :mod:`.deps`), the online checks
of the wheels (IW5xx, :mod:`.online`), all offline checks in one call (:mod:`.run`), and
every id with its explanation (:mod:`.registry`)."""

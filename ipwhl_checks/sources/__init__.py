"""Fetch: wheels from where declarations say they are.

The HTTP client and its policy (:mod:`.http`), pip's index (:mod:`.pipconfig`), simple
index pages (:mod:`.simple_index`), the content-addressed wheel cache's layout
(:mod:`.cache`), verified downloads into it (:mod:`.fetch`), reading a wheel's metadata
(:mod:`.wheel`)."""

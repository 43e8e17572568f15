"""Curate: keeping the repository current.

Adding projects from an index (:mod:`.add`) and finding those behind it
(:mod:`.outdated`)."""

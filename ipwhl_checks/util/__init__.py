"""Shared ground for every stage: files written whole (:mod:`.atomic`), only regular
files read (:mod:`.regular`), git run (:mod:`.git`), the cyclic GC paused (:mod:`.nogc`),
what a command shows while it downloads (:mod:`.progress`), threads that leave signals to
the main thread (:mod:`.threads`), TOML read as outside input (:mod:`.toml`)."""

"""Declare: the data repository as curators write it.

Settings (:mod:`.settings`), one declaration and its schema (:mod:`.declaration`), where
declarations live (:mod:`.layout`), a whole tree loaded (:mod:`.tree`), the canonical
format (:mod:`.fmt`), the ``source`` field (:mod:`.source`) and curated extras
(:mod:`.extras`)."""

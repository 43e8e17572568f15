"""Install: what the repository gives an installer.

The install set for one environment (:mod:`.resolve`) and hash-checking locks from a
published CID (:mod:`.lock`)."""

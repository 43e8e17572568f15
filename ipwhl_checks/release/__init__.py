"""Release: signed tags carrying the root CID, and what reads them.

Tag messages and tag creation (:mod:`.tag`), signatures against the allowed signers
(:mod:`.signatures`), verifying a release (:mod:`.verify`), the newest release's manifest
(:mod:`.last`), pointing pip at a release (:mod:`.use`)."""

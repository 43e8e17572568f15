"""The IPLD codec layer: the only owner of varints (:mod:`.varint`), CIDs (:mod:`.cid`),
multicodec codes (:mod:`.multicodec`), dag-pb with UnixFS Data (:mod:`.dagpb`), DAG-CBOR
and DAG-JSON (:mod:`.dagcbor`, read only) and CAR files (:mod:`.car`).  It imports only
the standard library and kept libraries."""

"""Publish: a checked data tree as one UnixFS DAG, its manifest and a CAR.

:mod:`.build` builds it; :mod:`.scan` reads the tree (files on disk, or a commit's tree
from :mod:`.committed`, with :mod:`.gitchanges` listing what changed); :mod:`.manifest`
writes and reads ``manifest.json`` (:mod:`.previous` reads the last release's for an
incremental publish); :mod:`.simple_html` writes the PEP 503 pages; :mod:`.browse` the
site to look projects up in (``/_browse/``); :mod:`.outputs` stages the ``--out`` tree and
the CAR."""

from .build import PublishOptions, PublishResult, publish, source_commit

__all__ = ["PublishOptions", "PublishResult", "publish", "source_commit"]

"""Blobs never outlive their rows: the sweep that finds objects no row names and removes them.

The rule everywhere is rows first, then blobs: a use case deletes its rows, and their blobs go
once that commits (``jobs.delete_blobs``). What that rule cannot promise is the second step: a
worker may die between the commit and the delete, or the store may refuse it. Such a blob is a
child's voice with nothing left to find it, so this sweep lists the store's folders and removes
every object that no row names. Objects younger than ``GRACE`` are left alone: a blob is written
before the rows that name it commit (a transcode's renditions, an upload's chunk).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from voicebox.clock import utcnow
from voicebox.extensions import current_blob_store, db
from voicebox.services import blob_inventory
from voicebox.storage.base import BlobStore

log = logging.getLogger(__name__)

# Longer than any transaction or transcode that writes a blob before its row commits.
GRACE = timedelta(hours=6)
BATCH = 500


def sweep(now: datetime | None = None) -> int:
    """Remove the objects no row names, older than ``GRACE``; how many went."""
    cutoff = (now or utcnow()) - GRACE
    store = current_blob_store()
    removed = 0
    for folder in blob_inventory.FOLDERS:
        batch: list[str] = []
        for listed in store.listing(folder):
            if listed.modified_at < cutoff:
                batch.append(listed.key)
            if len(batch) == BATCH:
                removed += _remove_unnamed(store, batch)
                batch = []
        removed += _remove_unnamed(store, batch)
    return removed


def _remove_unnamed(store: BlobStore, keys: list[str]) -> int:
    orphans = set(keys) - blob_inventory.named(keys)
    db.session.remove()  # no transaction held while the store is called
    for key in sorted(orphans):
        store.delete(key)
        log.warning("deleted blob %s: no row names it", key)
    return len(orphans)

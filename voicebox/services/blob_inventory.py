"""Which blobs the rows name: what the sweep keeps, and what a restored backup must hold."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select

from voicebox.extensions import current_blob_store, db
from voicebox.models import Export, Recording, Upload, UploadChunk

# The folders voicebox writes to; a recording migrated from a message keeps its ``messages/`` key.
FOLDERS = ("recordings/", "messages/", "uploads/", "exports/")
# Rows read at a time while every named key is listed.
BATCH = 500


def named(keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` that a row names: a recording's audio, an upload's chunk or file, an
    export's zip."""
    keys = list(keys)
    if not keys:
        return set()
    # A recording's blobs live in a folder named after it: read only those recordings.
    owners = {key.split("/")[1] for key in keys if key.startswith(("recordings/", "messages/"))}
    found = {
        key
        for recording in db.session.scalars(select(Recording).where(Recording.id.in_(owners)))
        for key in recording.blob_keys
    }
    found.update(db.session.scalars(select(UploadChunk.key).where(UploadChunk.key.in_(keys))))
    found.update(db.session.scalars(select(Upload.blob_key).where(Upload.blob_key.in_(keys))))
    found.update(db.session.scalars(select(Export.blob_key).where(Export.blob_key.in_(keys))))
    return found & set(keys)


def every_named() -> Iterator[str]:
    """Every key a row names, read in batches."""
    for recording in db.session.scalars(select(Recording).execution_options(yield_per=BATCH)):
        yield from recording.blob_keys
    for column in (UploadChunk.key, Upload.blob_key, Export.blob_key):
        yield from (key for key in db.session.scalars(select(column)) if key is not None)


def missing() -> list[str]:
    """The keys rows name that the store does not hold, sorted."""
    store = current_blob_store()
    return sorted(key for key in set(every_named()) if not store.exists(key))

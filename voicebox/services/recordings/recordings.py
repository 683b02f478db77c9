"""Recordings: taking one in, showing what became of it, playing it, and letting it go.

A recording is the audio alone; messages, library stories and help threads refer to one, and
``processing`` turns it into renditions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import select

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Invalid, NotFound, TooLarge
from voicebox.extensions import current_blob_store, current_settings, db
from voicebox.models import Recording, RecordingStatus
from voicebox.models.base import new_id
from voicebox.services.accounts.tokens import Principal
from voicebox.services.blobs import BlobStream
from voicebox.services.recordings import uploads


def take(principal: Principal, audio: BinaryIO | None, upload_id: str | None, max_seconds: int) -> Recording:
    """A recording waiting for its transcode (in the caller's transaction), its original stored
    or taken from the caller's finished upload; the transcode is enqueued for the commit."""
    recording = Recording(
        id=new_id(),
        status=RecordingStatus.PROCESSING,
        max_seconds=max_seconds,
        attempts=0,
        lease_expires_at=utcnow() + jobs.TRANSCODE_QUEUE_GRACE,
    )
    if upload_id is not None:
        recording.original_key, recording.original_bytes = uploads.take_completed(principal, upload_id)
    elif audio is not None:
        recording.original_key, recording.original_bytes = _store_original(recording.id, audio)
    else:
        raise Invalid("Attach the recording as 'audio', or give an 'upload_id'.", {"audio": ["Required."]})
    db.session.add(recording)
    db.session.flush()  # rows that refer to it are inserted after it
    jobs.enqueue(jobs.TRANSCODE, recording.id)
    return recording


def _store_original(recording_id: str, audio: BinaryIO) -> tuple[str, int]:
    audio.seek(0, 2)
    size = audio.tell()
    audio.seek(0)
    if size == 0:
        raise Invalid("The recording is empty.", {"audio": ["Empty file."]})
    if size > current_settings().max_upload_bytes:
        raise TooLarge(f"Recordings are limited to {current_settings().max_upload_bytes} bytes.")
    key = f"recordings/{recording_id}/original"
    current_blob_store().put(key, audio)
    jobs.stored(key)
    return key, size


def shown_failure(recording: Any) -> dict[str, str] | None:
    """Why a recording (or a row with its failure columns) failed, as callers see it; None if
    it did not."""
    if recording.failure_reason is None:
        return None
    return {"reason": recording.failure_reason, "detail": recording.failure_detail or ""}


def shown_renditions(recording: Any) -> list[dict[str, Any]]:
    """A recording's renditions as callers see them: never where they are stored."""
    return [{k: r[k] for k in ("format", "bitrate", "bytes")} for r in recording.renditions or []]


def open_audio(recording_id: str, format_: str) -> str | BlobStream:
    """A short-lived URL to send the client to, or, from a store that has none, the bytes; for
    a recording the caller may hear."""
    rendition = _rendition(db.session.get_one(Recording, recording_id), format_)
    store = current_blob_store()
    ttl = current_settings().audio_link_ttl_seconds
    if store.redirects:
        return store.presigned_url(rendition["key"], ttl)
    key = rendition["key"]
    return BlobStream(store.stat(key), lambda start, stop: store.open_range(key, start, stop), ttl)


def audio_link(recording_id: str, format_: str) -> tuple[str, datetime]:
    """A short-lived link to one rendition that needs no token (an audio element sends none),
    and when it expires; for a recording the caller may hear."""
    rendition = _rendition(db.session.get_one(Recording, recording_id), format_)
    ttl = current_settings().audio_link_ttl_seconds
    return current_blob_store().presigned_url(rendition["key"], ttl), utcnow() + timedelta(seconds=ttl)


def _rendition(recording: Recording, format_: str) -> dict:
    rendition = next((r for r in recording.renditions or [] if r["format"] == format_), None)
    if rendition is None:
        raise NotFound("This recording has no audio in that format yet.")
    return rendition


def remove(recording_ids: list[str]) -> None:
    """Delete recordings nothing refers to any more (in the caller's transaction); their blobs
    go once it commits."""
    db.session.flush()  # the rows that referred to them are gone first
    found = db.session.scalars(select(Recording).where(Recording.id.in_(recording_ids)))
    for recording in found:
        jobs.delete_blobs(recording.blob_keys)
        db.session.delete(recording)

"""Transcoding a message's recording into its renditions, once, however often it is asked.

The message row holds the work's state: ``status`` processing with a lease and an attempt count.
A worker that dies leaves the lease to expire; the sweeper enqueues the message again, and
after ``media_max_attempts`` tries it fails, so a recording that crashes workers cannot loop.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Update, or_, select, update

from voicebox import jobs, media
from voicebox.clock import utcnow
from voicebox.extensions import current_blob_store, current_settings, db
from voicebox.models import Kind, Message, MessageStatus
from voicebox.services.scheduling import delivery
from voicebox.storage import StorageUnavailable

log = logging.getLogger(__name__)
# A running transcode keeps its message this long; past it, the sweeper presumes the worker died.
LEASE = timedelta(seconds=jobs.TRANSCODE_TIME_LIMIT_SECONDS + 60)


def _out_of_attempts(attempts: int) -> str:
    return f"The recording could not be processed in {attempts} attempts."


def _failed(message_id: str, reason: media.Reason, detail: str) -> Update:
    """Fail a message still processing; it holds no lease from then on."""
    return (
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.PROCESSING)
        .values(
            status=MessageStatus.FAILED,
            failure_reason=reason,
            failure_detail=detail[:255],
            started_at=None,
            lease_expires_at=None,
        )
    )


def _fail(message_id: str, reason: media.Reason, detail: str) -> None:
    db.session.execute(_failed(message_id, reason, detail))
    db.session.commit()


def _start_attempt(message_id: str) -> Message | None:
    """Claim the message for this run and count the attempt; None if there is nothing to do.

    The claim is one conditional update, so a duplicate of the task (the sweeper re-enqueued a
    message still waiting in a long queue) finds it running and leaves it alone.
    """
    message = db.session.get(Message, message_id)
    if message is None or message.status != MessageStatus.PROCESSING:
        return None
    if message.attempts >= current_settings().media_max_attempts:
        _fail(message_id, media.Reason.CORRUPT, _out_of_attempts(message.attempts))
        return None
    now = utcnow()
    claimed = db.session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.status == MessageStatus.PROCESSING,
            or_(Message.started_at.is_(None), Message.lease_expires_at < now),
        )
        .values(attempts=Message.attempts + 1, started_at=now, lease_expires_at=now + LEASE)
    ).rowcount
    db.session.commit()
    return db.session.get(Message, message_id) if claimed == 1 else None


def _give_back_attempt(message_id: str) -> None:
    """A storage outage is not the recording's fault: end this run without using up an attempt,
    so the task's own retry can claim the message again."""
    db.session.rollback()
    db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.PROCESSING, Message.attempts > 0)
        .values(
            attempts=Message.attempts - 1,
            started_at=None,
            lease_expires_at=utcnow() + jobs.TRANSCODE_QUEUE_GRACE,
        )
    )
    db.session.commit()


def transcode(message_id: str) -> str:
    """Process the message if it still needs it; returns what happened (for the task's log)."""
    message = _start_attempt(message_id)
    if message is None:
        return "skipped"
    settings = current_settings()
    if message.original_bytes > settings.max_upload_bytes:
        _fail(message_id, media.Reason.TOO_LARGE, "The recording is larger than the limit.")
        return "failed"
    max_seconds = settings.max_story_seconds if message.kind == Kind.STORY else settings.max_message_seconds
    original_key = message.original_key
    db.session.rollback()  # hold no transaction open while decoding for minutes
    try:
        with tempfile.TemporaryDirectory(prefix="voicebox-media-") as scratch:
            rendered, renditions = _render(message_id, original_key, Path(scratch), max_seconds)
    except media.Rejected as rejected:
        _fail(message_id, rejected.reason, rejected.detail)
        return "failed"
    except StorageUnavailable:
        _give_back_attempt(message_id)
        raise
    return _finish(message_id, rendered, renditions)


def _render(
    message_id: str, original_key: str, workdir: Path, max_seconds: int
) -> tuple[media.Rendered, list[dict]]:
    """Fetch the original, render it, and store the renditions (the row does not know them yet)."""
    store = current_blob_store()
    original = workdir / "original"
    with original.open("wb") as out:
        for chunk in store.open_range(original_key):
            out.write(chunk)
    with original.open("rb") as source:
        rendered = media.render(source, workdir, max_seconds, current_settings().media_time_limit_seconds)
    renditions = []
    for file in rendered.files:
        key = f"messages/{message_id}/{file.spec.format}.{file.spec.extension}"
        store.put(key, file.path)
        renditions.append(
            {"format": file.spec.format, "bitrate": file.spec.bitrate, "bytes": file.bytes, "key": key}
        )
    return rendered, renditions


def _finish(message_id: str, rendered: media.Rendered, renditions: list[dict]) -> str:
    message = db.session.scalar(select(Message).where(Message.id == message_id).with_for_update())
    if message is None:
        # Deleted while we worked: what we stored belongs to nobody.
        db.session.rollback()
        for rendition in renditions:
            current_blob_store().delete(rendition["key"])
        return "abandoned"
    if message.status != MessageStatus.PROCESSING:
        # Finished or failed by another run; the renditions we wrote share its keys, so stay.
        db.session.rollback()
        return "skipped"
    message.duration_ms = rendered.duration_ms
    message.waveform = rendered.waveform
    message.renditions = renditions
    message.started_at = message.lease_expires_at = None
    delivery.prepare(message)
    db.session.commit()
    log.info(
        "message %s ready: %d ms, loudness %.1f LUFS, gain %+.1f dB",
        message_id,
        rendered.duration_ms,
        rendered.loudness_in,
        rendered.gain_db,
    )
    return message.status


def sweep() -> dict[str, int]:
    """Enqueue again every message whose worker lease ran out; fail those out of attempts."""
    settings = current_settings()
    now = utcnow()
    stuck = list(
        db.session.scalars(
            select(Message)
            .where(Message.status == MessageStatus.PROCESSING, Message.lease_expires_at < now)
            .limit(500)
            .with_for_update(skip_locked=True)
        )
    )
    counts = {"requeued": 0, "failed": 0}
    for message in stuck:
        if message.attempts >= settings.media_max_attempts:
            db.session.execute(_failed(message.id, media.Reason.CORRUPT, _out_of_attempts(message.attempts)))
            counts["failed"] += 1
        else:
            message.started_at = None
            message.lease_expires_at = now + jobs.TRANSCODE_QUEUE_GRACE
            jobs.enqueue(jobs.TRANSCODE, message.id)
            counts["requeued"] += 1
    db.session.commit()
    return counts

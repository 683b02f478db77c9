"""Transcoding a recording into its renditions, once, however often it is asked.

The recording row holds the work's state: ``status`` processing with a lease and an attempt
count. A worker that dies leaves the lease to expire; the sweeper enqueues the recording
again, and after ``media_max_attempts`` tries it fails, so a recording that crashes workers
cannot loop. When it is settled (ready or failed), its followers are told in the same
transaction: the domains whose rows wait for it (a message goes on its way). The app factory
names them, since recordings sit below every domain that uses one.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError

from voicebox import jobs, media, metrics
from voicebox.clock import utcnow
from voicebox.extensions import current_blob_store, current_settings, db
from voicebox.models import Recording, RecordingStatus
from voicebox.services.work import changed, unit, use_case
from voicebox.storage import StorageUnavailable

log = logging.getLogger(__name__)
# A running transcode keeps its recording this long; past it, the sweeper presumes the worker died.
LEASE = timedelta(seconds=jobs.TRANSCODE_TIME_LIMIT_SECONDS + 60)
# Told of a settled recording (its id, and ready or failed), in the transaction that settles it.
Follower = Callable[[str, RecordingStatus], None]
_FOLLOWERS = "voicebox.recording_followers"
# How long a finished render waits for the database to come back before its task gives up.
FINISH_PATIENCE_SECONDS = 60


def init_app(app: Flask, followers: Sequence[Follower]) -> None:
    """Name the domains that wait for recordings (the app factory's wiring)."""
    app.extensions[_FOLLOWERS] = tuple(followers)


def _settled(recording_id: str, status: RecordingStatus) -> None:
    for follower in current_app.extensions[_FOLLOWERS]:
        follower(recording_id, status)


def _out_of_attempts(attempts: int) -> str:
    return f"The recording could not be processed in {attempts} attempts."


def _fail(recording_id: str, reason: media.Reason, detail: str) -> None:
    """Fail a recording still processing (it holds no lease from then on), and tell its
    followers; in the caller's transaction."""
    failed = changed(
        update(Recording)
        .where(Recording.id == recording_id, Recording.status == RecordingStatus.PROCESSING)
        .values(
            status=RecordingStatus.FAILED,
            failure_reason=reason,
            failure_detail=detail[:255],
            started_at=None,
            lease_expires_at=None,
        )
    )
    if failed:
        _settled(recording_id, RecordingStatus.FAILED)


@dataclass(frozen=True)
class _Work:
    """What a claimed attempt needs of its recording, read before the claim commits."""

    original_key: str
    original_bytes: int
    max_seconds: int


def _start_attempt(recording_id: str) -> _Work | None:
    """Claim the recording for this run and count the attempt; None if there is nothing to do.

    The claim is one conditional update, so a duplicate of the task (the sweeper re-enqueued a
    recording still waiting in a long queue) finds it running and leaves it alone.
    """
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.status != RecordingStatus.PROCESSING:
        return None
    if recording.attempts >= current_settings().media_max_attempts:
        _fail(recording_id, media.Reason.CORRUPT, _out_of_attempts(recording.attempts))
        return None
    now = utcnow()
    claimed = changed(
        update(Recording)
        .where(
            Recording.id == recording_id,
            Recording.status == RecordingStatus.PROCESSING,
            or_(Recording.started_at.is_(None), Recording.lease_expires_at < now),
        )
        .values(attempts=Recording.attempts + 1, started_at=now, lease_expires_at=now + LEASE)
    )
    if claimed != 1:
        return None
    return _Work(recording.original_key, recording.original_bytes, recording.max_seconds)


def _give_back_attempt(recording_id: str) -> None:
    """A storage outage is not the recording's fault: end this run without using up an attempt,
    so the task's own retry can claim the recording again."""
    db.session.execute(
        update(Recording)
        .where(
            Recording.id == recording_id,
            Recording.status == RecordingStatus.PROCESSING,
            Recording.attempts > 0,
        )
        .values(
            attempts=Recording.attempts - 1,
            started_at=None,
            lease_expires_at=utcnow() + jobs.TRANSCODE_QUEUE_GRACE,
        )
    )


def transcode(recording_id: str) -> str:
    """Process the recording if it still needs it; returns what happened (for the task's log).

    Each step commits on its own: the claim before minutes of decoding (which hold no
    transaction open), then the outcome.
    """
    with unit(alone=True):
        work = _start_attempt(recording_id)
    if work is None:
        return "skipped"
    if work.original_bytes > current_settings().max_upload_bytes:
        with unit(alone=True):
            _fail(recording_id, media.Reason.TOO_LARGE, "The recording is larger than the limit.")
        return _counted("failed", media.Reason.TOO_LARGE)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="voicebox-media-") as scratch:
            rendered, renditions = _render(recording_id, work.original_key, Path(scratch), work.max_seconds)
    except media.Rejected as rejected:
        with unit(alone=True):
            _fail(recording_id, rejected.reason, rejected.detail)
        return _counted("failed", rejected.reason)
    except StorageUnavailable:
        with unit(alone=True):
            _give_back_attempt(recording_id)
        metrics.TRANSCODES.labels("storage_unavailable").inc()
        raise
    metrics.TRANSCODE_SECONDS.observe(time.perf_counter() - started)
    return _counted(_finish_patiently(recording_id, rendered, renditions))


def _finish_patiently(recording_id: str, rendered: media.Rendered, renditions: list[dict]) -> str:
    """Record the outcome, waiting out a database that is away for a moment: the renditions are
    stored, and a retry of the task would find the recording under this run's lease and leave
    it for the sweeper, long after the database came back."""
    pause = 1.0
    deadline = time.monotonic() + FINISH_PATIENCE_SECONDS
    while True:
        try:
            with unit(alone=True):
                return _finish(recording_id, rendered, renditions)
        except OperationalError:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("database away while finishing recording %s; trying again", recording_id)
            time.sleep(pause)
            pause = min(pause * 2, 10.0)


def _counted(outcome: str, reason: str | None = None) -> str:
    """Count a transcode's outcome once its row is committed."""
    metrics.TRANSCODES.labels(outcome).inc()
    if reason is not None:
        metrics.TRANSCODE_FAILURES.labels(reason).inc()
    return outcome


def _render(
    recording_id: str, original_key: str, workdir: Path, max_seconds: int
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
        key = f"recordings/{recording_id}/{file.spec.format}.{file.spec.extension}"
        store.put(key, file.path)
        renditions.append(
            {"format": file.spec.format, "bitrate": file.spec.bitrate, "bytes": file.bytes, "key": key}
        )
    return rendered, renditions


def _finish(recording_id: str, rendered: media.Rendered, renditions: list[dict]) -> str:
    recording = db.session.scalar(select(Recording).where(Recording.id == recording_id).with_for_update())
    if recording is None:
        # Deleted while we worked: what we stored belongs to nobody.
        jobs.delete_blobs(rendition["key"] for rendition in renditions)
        return "abandoned"
    if recording.status != RecordingStatus.PROCESSING:
        # Finished or failed by another run; the renditions we wrote share its keys, so stay.
        return "skipped"
    recording.status = RecordingStatus.READY
    recording.duration_ms = rendered.duration_ms
    recording.waveform = rendered.waveform
    recording.renditions = renditions
    recording.started_at = recording.lease_expires_at = None
    _settled(recording_id, RecordingStatus.READY)
    log.info(
        "recording %s ready: %d ms, loudness %.1f LUFS, gain %+.1f dB",
        recording_id,
        rendered.duration_ms,
        rendered.loudness_in,
        rendered.gain_db,
    )
    return RecordingStatus.READY


@use_case
def sweep() -> dict[str, int]:
    """Enqueue again every recording whose worker lease ran out; fail those out of attempts."""
    settings = current_settings()
    now = utcnow()
    stuck = list(
        db.session.scalars(
            select(Recording)
            .where(Recording.status == RecordingStatus.PROCESSING, Recording.lease_expires_at < now)
            .limit(500)
            .with_for_update(skip_locked=True)
        )
    )
    counts = {"requeued": 0, "failed": 0}
    for recording in stuck:
        if recording.attempts >= settings.media_max_attempts:
            _fail(recording.id, media.Reason.CORRUPT, _out_of_attempts(recording.attempts))
            counts["failed"] += 1
        else:
            recording.started_at = None
            recording.lease_expires_at = now + jobs.TRANSCODE_QUEUE_GRACE
            jobs.enqueue(jobs.TRANSCODE, recording.id)
            counts["requeued"] += 1
    return counts

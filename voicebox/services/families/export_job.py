"""Writing a child's export, as a worker's job: claimed under a lease, attempts counted, its
progress in the row, the zip stored, then handed over; a sweep enqueues again the runs that
were lost and deletes exports past their time."""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select, update

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.extensions import current_blob_store, db
from voicebox.models import (
    Child,
    Export,
    ExportStatus,
)
from voicebox.services.families.export_archive import write
from voicebox.services.families.exports import QUEUE_GRACE, UNFINISHED, retention
from voicebox.services.work import changed, unit, use_case
from voicebox.storage import StorageUnavailable

log = logging.getLogger(__name__)


MAX_ATTEMPTS = 3


# A run's lease outlasts the task's time limit, so the sweeper never starts a second beside it.
LEASE = timedelta(minutes=20)


TIME_LIMIT_SECONDS = 900


BATCH = 100


def make(export_id: str) -> str:
    """Write, store and hand over one export; returns what happened (for the task's log).

    Safe to run twice: the claim is one conditional update, so a second run finds the export
    taken or done and leaves it alone. Each step commits on its own; no transaction stays open
    while audio is copied.
    """
    with unit(alone=True):
        child_id = _claim(export_id)
    if child_id is None:
        return "skipped"
    try:
        with tempfile.TemporaryDirectory(prefix="voicebox-export-") as scratch:
            path = Path(scratch) / "export.zip"
            write(child_id, path, lambda percent: _report(export_id, percent))
            key = f"exports/{export_id}/voicebox-{utcnow():%Y%m%d}.zip"
            current_blob_store().put(key, path)
            size = path.stat().st_size
    except StorageUnavailable:
        with unit(alone=True):
            _give_back(export_id)
        raise
    with unit(alone=True):
        return _finish(export_id, child_id, key, size)


def _claim(export_id: str) -> str | None:
    """Take the export for this run and count the attempt; its child's id, or None if there is
    nothing to do."""
    export = db.session.get(Export, export_id)
    if export is None or export.status not in UNFINISHED:
        return None
    if export.attempts >= MAX_ATTEMPTS:
        _fail(export)
        return None
    now = utcnow()
    claimed = changed(
        update(Export)
        .where(
            Export.id == export_id,
            or_(
                Export.status == ExportStatus.QUEUED,
                (Export.status == ExportStatus.WORKING) & (Export.lease_expires_at < now),
            ),
        )
        .values(status=ExportStatus.WORKING, attempts=Export.attempts + 1, lease_expires_at=now + LEASE)
    )
    return export.child_id if claimed == 1 else None


def _give_back(export_id: str) -> None:
    """A storage outage is not the export's fault: queue it again without using up an attempt,
    so the task's own retry can claim it."""
    db.session.execute(
        update(Export)
        .where(Export.id == export_id, Export.status == ExportStatus.WORKING, Export.attempts > 0)
        .values(
            status=ExportStatus.QUEUED,
            attempts=Export.attempts - 1,
            progress=0,
            lease_expires_at=utcnow() + QUEUE_GRACE,
        )
    )


def _fail(export: Export) -> None:
    log.error("export %s failed after %d attempts", export.id, export.attempts)
    export.status = ExportStatus.FAILED
    export.finished_at = utcnow()
    export.lease_expires_at = None


def _report(export_id: str, percent: int) -> None:
    with unit(alone=True):
        db.session.execute(
            update(Export)
            .where(Export.id == export_id, Export.status == ExportStatus.WORKING, Export.progress < percent)
            .values(progress=percent)
        )


def _finish(export_id: str, child_id: str, key: str, size: int) -> str:
    # The child's row first, in the order erasing takes it: a child marked for erasing since
    # the claim gets no export, and one erased later finds this zip in the row to delete.
    child = db.session.get(Child, child_id, with_for_update=True)
    export = db.session.get(Export, export_id, with_for_update=True)
    if child is None or child.erase_requested_at is not None or export is None:
        jobs.delete_blobs([key])
        return "abandoned"
    if export.status != ExportStatus.WORKING:
        jobs.delete_blobs([key])
        return "skipped"
    now = utcnow()
    export.status = ExportStatus.READY
    export.progress = 100
    export.blob_key = key
    export.bytes = size
    export.finished_at = now
    export.expires_at = now + retention()
    export.lease_expires_at = None
    return ExportStatus.READY


@use_case
def sweep() -> dict[str, int]:
    """Delete one batch of exports past their time, zips with them; enqueue again those whose
    run was lost, and fail those out of attempts."""
    now = utcnow()
    expired = db.session.execute(
        select(Export.id, Export.blob_key).where(Export.expires_at < now).limit(BATCH)
    ).all()
    db.session.execute(delete(Export).where(Export.id.in_([row.id for row in expired])))
    jobs.delete_blobs(row.blob_key for row in expired if row.blob_key)
    stuck = list(
        db.session.scalars(
            select(Export)
            .where(Export.status.in_(UNFINISHED), Export.lease_expires_at < now)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    for export in stuck:
        if export.attempts >= MAX_ATTEMPTS:
            _fail(export)
        else:
            # Queued again, so the next run may claim it at once.
            export.status = ExportStatus.QUEUED
            export.lease_expires_at = now + QUEUE_GRACE
            jobs.enqueue(jobs.EXPORT_CHILD, export.id)
    return {"expired": len(expired), "requeued": len(stuck)}

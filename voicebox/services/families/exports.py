"""A child's export: everything voicebox holds about a child, for a guardian, in one zip.

A guardian asks; a worker writes the zip (``export_job``, which claims it under a lease, records
its progress and stores it; the zip's contents are ``export_archive``'s); the guardian downloads
it through a signed link until it expires (``VOICEBOX_EXPORT_RETENTION_HOURS``, 24), when the
sweeper deletes zip and row. Help requests are never in it: the person a child needs help about
may be a guardian.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Conflict, NotFound
from voicebox.extensions import current_blob_store, current_settings, db
from voicebox.models import (
    Export,
    ExportStatus,
)
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal
from voicebox.services.work import use_case

# A guardian may hold this many exports of a child at once (each is kept a day).
MAX_KEPT = 3
UNFINISHED = (ExportStatus.QUEUED, ExportStatus.WORKING)
# An export still waiting in the queue after this long is enqueued again (its task was lost).
QUEUE_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class ExportView:
    """An export as a guardian sees it: ``download_url`` only once it is ready."""

    id: str
    child_id: str
    status: str
    progress: int
    bytes: int | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime
    download_url: str | None


def _view(export: Export) -> ExportView:
    link = None
    if export.status == ExportStatus.READY and export.blob_key:
        remaining = int((export.expires_at - utcnow()).total_seconds())
        link = current_blob_store().presigned_url(export.blob_key, max(remaining, 1))
    return ExportView(
        export.id,
        export.child_id,
        export.status,
        export.progress,
        export.bytes,
        export.created_at,
        export.finished_at,
        export.expires_at,
        link,
    )


@use_case
def request_export(principal: Principal, child_id: str) -> ExportView:
    """Ask for a child's export; while one is being made, asking again answers that one."""
    policy.guarded_child(principal, child_id)
    kept = list(
        db.session.scalars(
            select(Export)
            .where(Export.child_id == child_id, Export.status != ExportStatus.FAILED)
            .order_by(Export.created_at.desc())
        )
    )
    unfinished = next((export for export in kept if export.status in UNFINISHED), None)
    if unfinished is not None:
        return _view(unfinished)
    if len(kept) >= MAX_KEPT:
        raise Conflict(
            f"This child already has {MAX_KEPT} exports to download; each is deleted a day after it is made."
        )
    now = utcnow()
    export = Export(
        child_id=child_id,
        requested_by=principal.user.id if principal.user else None,
        status=ExportStatus.QUEUED,
        progress=0,
        attempts=0,
        lease_expires_at=now + QUEUE_GRACE,
        created_at=now,
        expires_at=now + retention(),
    )
    db.session.add(export)
    db.session.flush()
    jobs.enqueue(jobs.EXPORT_CHILD, export.id)
    return _view(export)


@use_case
def list_exports(principal: Principal, child_id: str) -> list[ExportView]:
    """The child's exports still kept, newest first."""
    policy.guarded_child(principal, child_id)
    found = db.session.scalars(
        select(Export).where(Export.child_id == child_id).order_by(Export.created_at.desc(), Export.id)
    )
    return [_view(export) for export in found]


@use_case
def get_export(principal: Principal, child_id: str, export_id: str) -> ExportView:
    policy.guarded_child(principal, child_id)
    export = db.session.get(Export, export_id)
    if export is None or export.child_id != child_id:
        raise NotFound("No such export.")
    return _view(export)


def retention() -> timedelta:
    return timedelta(hours=current_settings().export_retention_hours)


def blob_keys(child_id: str) -> list[str]:
    """The zips of the child's exports (for erasing the child)."""
    return list(
        db.session.scalars(
            select(Export.blob_key).where(Export.child_id == child_id, Export.blob_key.is_not(None))
        )
    )

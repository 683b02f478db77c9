"""A child's export: everything voicebox holds about a child, for a guardian, in one zip.

A guardian asks; a worker writes the zip, its progress in the row as it goes, and stores it;
the guardian downloads it through a signed link until it expires
(``VOICEBOX_EXPORT_RETENTION_HOURS``, 24), when the sweeper deletes zip and row. Help requests
are never in it: the person a child needs help about may be a guardian.

The zip holds ``child.json`` (the child, guardians' names, devices, consents, schedules),
``messages.json`` (every message to and from the child, its times and plays) and each message's
audio, the ``opus`` rendition, under ``audio/``.
"""

from __future__ import annotations

import json
import logging
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Conflict, NotFound
from voicebox.extensions import current_blob_store, current_settings, db
from voicebox.models import (
    Child,
    Consent,
    Delivery,
    Device,
    Direction,
    Export,
    ExportStatus,
    Guardianship,
    Message,
    Organisation,
    Recording,
    Schedule,
    Story,
    User,
)
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal
from voicebox.services.local_times import format_hhmm
from voicebox.services.work import changed, end_read, unit, use_case
from voicebox.storage import StorageUnavailable

log = logging.getLogger(__name__)

# A guardian may hold this many exports of a child at once (each is kept a day).
MAX_KEPT = 3
MAX_ATTEMPTS = 3
# A run's lease outlasts the task's time limit, so the sweeper never starts a second beside it.
LEASE = timedelta(minutes=20)
TIME_LIMIT_SECONDS = 900
# An export still waiting in the queue after this long is enqueued again (its task was lost).
QUEUE_GRACE = timedelta(minutes=10)
# The progress shown moves in steps of this many percent (each step is a small commit).
PROGRESS_STEP = 5
BATCH = 100
AUDIO_FORMAT = "opus"
UNFINISHED = (ExportStatus.QUEUED, ExportStatus.WORKING)

README = """voicebox: everything held about {name}, exported {exported_at} (UTC)
voicebox：为{name}保存的全部资料，导出于 {exported_at}（UTC）

child.json      the child, guardians, devices, consents and schedules
                孩子、监护人、设备、同意记录和定时计划
messages.json   every message to and from the child, with its times and plays
                孩子收发的每条消息，及其时间和收听记录
audio/          each message's recording (Ogg Opus), named by the message's id
                每条消息的录音（Ogg Opus），以消息编号命名

Help requests are not included: they are kept for the child alone.
求助记录不在其中：它们只属于孩子本人。
"""


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
        expires_at=now + _retention(),
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


def _retention() -> timedelta:
    return timedelta(hours=current_settings().export_retention_hours)


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
            _write(child_id, path, lambda percent: _report(export_id, percent))
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
    export.expires_at = now + _retention()
    export.lease_expires_at = None
    return ExportStatus.READY


def _write(child_id: str, path: Path, report: Callable[[int], None]) -> None:
    """Write the zip: the rows first (read in one snapshot), then each recording's audio."""
    exported_at = utcnow()
    names = _names()
    about_child = _child_record(child_id, names)
    messages, audio = _message_records(child_id, names)
    end_read()
    store = current_blob_store()
    shown = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            README.format(name=about_child["child"]["display_name"], exported_at=_iso(exported_at)),
        )
        archive.writestr("child.json", _json({**about_child, "exported_at": exported_at}))
        archive.writestr("messages.json", _json({"messages": messages}))
        for done, (name, key) in enumerate(audio, start=1):
            # Opus is compressed already: stored as it is.
            with archive.open(zipfile.ZipInfo(name, date_time=exported_at.timetuple()[:6]), "w") as out:
                for chunk in store.open_range(key):
                    out.write(chunk)
            percent = 100 * done // (len(audio) + 1)
            if percent >= shown + PROGRESS_STEP:
                report(percent)
                shown = percent


def _child_record(child_id: str, names: Callable[[str | None], str | None]) -> dict[str, Any]:
    child = db.session.get_one(Child, child_id)
    guardians = db.session.execute(
        select(User.display_name, Guardianship.relation, Guardianship.created_at)
        .join(Guardianship, Guardianship.user_id == User.id)
        .where(Guardianship.child_id == child_id)
        .order_by(Guardianship.created_at)
    )
    consents = db.session.scalars(
        select(Consent).where(Consent.child_id == child_id).order_by(Consent.given_at)
    )
    devices = db.session.scalars(select(Device).where(Device.child_id == child_id).order_by(Device.paired_at))
    schedules = db.session.scalars(
        select(Schedule).where(Schedule.child_id == child_id).order_by(Schedule.created_at)
    )
    quiet = None
    if child.quiet_start is not None and child.quiet_end is not None:
        quiet = {"start": format_hhmm(child.quiet_start), "end": format_hhmm(child.quiet_end)}
    return {
        "child": {
            "id": child.id,
            "display_name": child.display_name,
            "birth_year": child.birth_year,
            "timezone": child.timezone,
            "quiet_hours": quiet,
            "created_at": child.created_at,
            "last_contact_at": child.last_contact_at,
        },
        "guardians": [
            {"display_name": row.display_name, "relation": row.relation, "since": row.created_at}
            for row in guardians
        ],
        "consents": [
            {
                "guardian": names(consent.guardian_id),
                "policy_version": consent.policy_version,
                "given_at": consent.given_at,
            }
            for consent in consents
        ],
        "devices": [
            {
                "id": device.id,
                "name": device.name,
                "paired_at": device.paired_at,
                "revoked_at": device.revoked_at,
            }
            for device in devices
        ],
        "schedules": [
            {
                "time": format_hhmm(schedule.minute_of_day),
                "weekdays": schedule.weekdays,
                "source": schedule.source,
                "paused": schedule.paused,
                "next_run_at": schedule.next_run_at,
                "created_at": schedule.created_at,
            }
            for schedule in schedules
        ],
    }


def _message_records(
    child_id: str, names: Callable[[str | None], str | None]
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Every message to and from the child, oldest first, and the (name in the zip, blob key)
    of each one's audio."""
    rows = db.session.execute(
        select(Message, Recording, Story, Organisation.name, Device.name)
        .join(Recording, Recording.id == Message.recording_id)
        .outerjoin(Story, Story.id == Message.story_id)
        .outerjoin(Organisation, Organisation.id == Message.org_id)
        .outerjoin(Device, Device.id == Message.sender_device_id)
        .where(Message.child_id == child_id)
        .order_by(Message.created_at, Message.id)
    ).all()
    plays: dict[str, list[dict[str, Any]]] = {}
    deliveries = db.session.scalars(
        select(Delivery).join(Message, Message.id == Delivery.message_id).where(Message.child_id == child_id)
    )
    for delivery in deliveries:
        plays.setdefault(delivery.message_id, []).append(
            {
                "to": "child" if delivery.child_id else names(delivery.user_id),
                "due_at": delivery.due_at,
                "delivered_at": delivery.delivered_at,
                "played_at": delivery.played_at,
                "position_ms": delivery.position_ms,
            }
        )
    messages: list[dict[str, Any]] = []
    audio: list[tuple[str, str]] = []
    for message, recording, story, org_name, device_name in rows:
        rendition = next((r for r in recording.renditions or [] if r["format"] == AUDIO_FORMAT), None)
        name = f"audio/{message.id}.ogg" if rendition else None
        if name is not None and rendition is not None:
            audio.append((name, rendition["key"]))
        if message.direction == Direction.TO_GUARDIANS:
            sender = {"child": True, "device": device_name}
        else:
            sender = {"guardian": names(message.sender_user_id), "organisation": org_name}
        messages.append(
            {
                "id": message.id,
                "kind": message.kind,
                "direction": message.direction,
                "title": message.title,
                "from": sender,
                "status": message.status,
                "created_at": message.created_at,
                "deliver_at": message.deliver_at,
                "delivered_at": message.delivered_at,
                "played_at": message.played_at,
                "duration_ms": recording.duration_ms,
                "story": _story(story),
                "deliveries": plays.get(message.id, []),
                "audio": name,
            }
        )
    return messages, audio


def _story(story: Story | None) -> dict[str, Any] | None:
    if story is None:
        return None
    return {
        "cover_text": story.cover_text,
        "category": story.category,
        "language": story.language,
        "age_min": story.age_min,
        "age_max": story.age_max,
        "episode": story.episode,
    }


def _names() -> Callable[[str | None], str | None]:
    """A user's display name by id, looked up once each."""
    cache: dict[str, str | None] = {}

    def name(user_id: str | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in cache:
            cache[user_id] = db.session.scalar(select(User.display_name).where(User.id == user_id))
        return cache[user_id]

    return name


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_iso)


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


def blob_keys(child_id: str) -> list[str]:
    """The zips of the child's exports (for erasing the child)."""
    return list(
        db.session.scalars(
            select(Export.blob_key).where(Export.child_id == child_id, Export.blob_key.is_not(None))
        )
    )

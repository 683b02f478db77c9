"""The help queue's clocks, run from beat: leases that ran out, urgent requests nobody took,
requests waiting too long, notifications a lost task left unsent, and audio past retention.

Each step picks its rows with ``FOR UPDATE SKIP LOCKED`` and a condition on their state, so a
second sweep running at once changes nothing the first has changed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.extensions import current_settings, db
from voicebox.models import (
    AuditEntry,
    HelpEvent,
    HelpEventKind,
    HelpReply,
    HelpRequest,
    HelpStatus,
    Role,
    User,
    Volunteer,
)
from voicebox.notify import Notifier, notification_id
from voicebox.services.helpdesk import claims, queue_events, triage
from voicebox.services.recordings import recordings
from voicebox.services.work import changed, unit, use_case

log = logging.getLogger(__name__)

BATCH = 200
# A pushed event still unsent this long after it happened lost its task: send it again.
PUSH_GRACE = timedelta(minutes=2)
# Queue events are for live streams and their reconnects; after this they are only history.
EVENT_RETENTION = timedelta(days=7)
FOR_SUPERVISORS = (HelpEventKind.URGENT_WAITING, HelpEventKind.ESCALATED)


def sweep() -> dict[str, int]:
    """One batch of each clock, each committed on its own."""
    now = utcnow()
    steps = {
        "leases_expired": _expire_leases,
        "urgent_alerted": _alert_urgent,
        "escalated": _escalate_unclaimed,
        "pushes_resent": _resend_lost_pushes,
    }
    counts: dict[str, int] = {}
    for name, step in steps.items():
        with unit(alone=True):
            counts[name] = step(now)
    return counts


def _due(query: Any) -> list[HelpRequest]:
    return list(db.session.scalars(query.limit(BATCH).with_for_update(skip_locked=True)))


def _expire_leases(now: datetime) -> int:
    """A helper who has not answered in time loses the request to the queue, and is told."""
    expired = _due(
        select(HelpRequest).where(HelpRequest.status == HelpStatus.HELD, HelpRequest.lease_expires_at <= now)
    )
    for request in expired:
        holder = request.held_by
        claims.requeue(request, now)
        queue_events.record(request, HelpEventKind.LEASE_EXPIRED, user_id=holder, push=True)
        queue_events.record(request, HelpEventKind.RELEASED)
    return len(expired)


def _alert_urgent(now: datetime) -> int:
    """An urgent request nobody has taken soon enough: every available supervisor is told."""
    waited = now - timedelta(seconds=current_settings().help_urgent_alert_seconds)
    waiting = _due(
        select(HelpRequest).where(
            HelpRequest.waiting_for.is_not(None),
            HelpRequest.urgent_alerted_at.is_(None),
            HelpRequest.queued_at <= waited,
            or_(HelpRequest.urgent.is_(True), HelpRequest.priority == triage.CRITICAL),
        )
    )
    for request in waiting:
        request.urgent_alerted_at = now
        queue_events.record(request, HelpEventKind.URGENT_WAITING, push=True)
    return len(waiting)


def _escalate_unclaimed(now: datetime) -> int:
    """Any request unclaimed too long is escalated; helpers can still take it."""
    limit = current_settings().help_escalate_seconds
    waiting = _due(
        select(HelpRequest).where(
            HelpRequest.status == HelpStatus.QUEUED,
            HelpRequest.queued_at <= now - timedelta(seconds=limit),
        )
    )
    for request in waiting:
        request.status = HelpStatus.ESCALATED
        request.escalated_at = now
        request.escalation_reason = f"Nobody took it for {limit // 60} minutes."
        queue_events.record(request, HelpEventKind.ESCALATED, push=True)
    return len(waiting)


def _resend_lost_pushes(now: datetime) -> int:
    lost = list(
        db.session.scalars(
            select(HelpEvent.id)
            .where(HelpEvent.push.is_(True), HelpEvent.pushed_at.is_(None), HelpEvent.at <= now - PUSH_GRACE)
            .limit(BATCH)
        )
    )
    for event_id in lost:
        jobs.enqueue(jobs.PUSH_HELP_EVENT, str(event_id))
    return len(lost)


def _supervisors() -> list[str]:
    """Available supervisors; if none is available, all of them (someone must hear of it)."""
    query = select(User.id).where(User.role == Role.SUPERVISOR)
    available = list(
        db.session.scalars(
            query.join(Volunteer, Volunteer.user_id == User.id).where(Volunteer.available.is_(True))
        )
    )
    return available or list(db.session.scalars(query))


@use_case
def push(event_id: int, notifier: Notifier) -> bool:
    """Send one event to the people it concerns; False if it was sent already."""
    row = db.session.execute(
        select(HelpEvent, HelpRequest)
        .join(HelpRequest, HelpRequest.id == HelpEvent.request_id)
        .where(HelpEvent.id == event_id)
        .with_for_update(of=HelpEvent, skip_locked=True)
    ).first()
    if row is None or row.HelpEvent.pushed_at is not None or not row.HelpEvent.push:
        return False
    event, request = row
    if event.kind in FOR_SUPERVISORS:
        recipients: list[dict[str, str]] = [{"user_id": user_id} for user_id in _supervisors()]
    elif event.kind == HelpEventKind.ANSWERED:
        # The device that asked, never the child's other devices (a guardian may hold one).
        recipients = [{"device_id": request.device_id}] if request.device_id else []
    else:
        recipients = [{"user_id": event.user_id}] if event.user_id else []
    for recipient in recipients:
        # What happened and how urgent, never what the child said: that stays in the thread.
        notifier.notify(
            {
                "id": notification_id(f"help.{event.kind}", str(event.id), *recipient.values()),
                "type": f"help.{event.kind}",
                "request_id": request.id,
                "priority": request.priority,
                "recipient": recipient,
            }
        )
    event.pushed_at = utcnow()
    return True


def _thread_recordings(requests: list[HelpRequest]) -> list[str]:
    """The recordings in these requests' threads: each request's own, and its replies'."""
    replies = select(HelpReply.audio_recording_id).where(
        HelpReply.request_id.in_([request.id for request in requests]),
        HelpReply.audio_recording_id.is_not(None),
    )
    return [
        *(request.audio_recording_id for request in requests if request.audio_recording_id),
        *db.session.scalars(replies),
    ]


@use_case
def purge_audio() -> int:
    """Delete the recordings of requests resolved longer ago than the retention; the count."""
    cutoff = utcnow() - timedelta(days=current_settings().help_audio_retention_days)
    requests = _due(
        select(HelpRequest).where(
            HelpRequest.status == HelpStatus.RESOLVED,
            HelpRequest.resolved_at <= cutoff,
            HelpRequest.audio_purged_at.is_(None),
        )
    )
    if not requests:
        return 0
    ids = [request.id for request in requests]
    thread = _thread_recordings(requests)
    now = utcnow()
    for request in requests:
        request.audio_recording_id = None
        request.audio_purged_at = now
    db.session.execute(
        update(HelpReply).where(HelpReply.request_id.in_(ids)).values(audio_recording_id=None),
        execution_options={"synchronize_session": False},
    )
    recordings.remove(thread)
    log.info("purged the audio of %d resolved help requests (%d recordings)", len(requests), len(thread))
    return len(requests)


@use_case
def purge_records() -> int:
    """Delete one batch of requests resolved longer ago than the record retention: their text,
    replies and queue events (their audio went long before); the count."""
    cutoff = utcnow() - timedelta(days=current_settings().help_record_retention_days)
    requests = _due(
        select(HelpRequest).where(
            HelpRequest.status == HelpStatus.RESOLVED, HelpRequest.resolved_at <= cutoff
        )
    )
    ids = [request.id for request in requests]
    leftover = _thread_recordings(requests)
    db.session.execute(
        delete(HelpRequest).where(HelpRequest.id.in_(ids)), execution_options={"synchronize_session": False}
    )
    recordings.remove(leftover)
    return len(ids)


@use_case
def purge_audit() -> int:
    """Delete audit entries older than their retention; the count."""
    cutoff = utcnow() - timedelta(days=current_settings().audit_retention_days)
    return changed(
        delete(AuditEntry).where(AuditEntry.at < cutoff).execution_options(synchronize_session=False)
    )


@use_case
def purge_events() -> int:
    """Delete queue events older than EVENT_RETENTION (the audit log keeps who did what)."""
    deleted = changed(
        delete(HelpEvent)
        .where(
            HelpEvent.at < utcnow() - EVENT_RETENTION,
            or_(HelpEvent.push.is_(False), HelpEvent.pushed_at.is_not(None)),
        )
        .execution_options(synchronize_session=False)
    )
    return deleted

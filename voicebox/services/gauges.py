"""What an on-call person watches that only the database knows, read in one short transaction:
recordings waiting and in process, deliveries due and how late, the help desk's queue, and
notifications not yet sent.

One process reads them (beat, when it is scraped), so a thousand API workers never ask the
same question; each statement is cut after ``STATEMENT_TIMEOUT_MS``, so a slow database makes
the scrape fail, never hang.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select, text

from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Delivery, HelpRequest, HelpStatus, Recording, RecordingStatus, Volunteer
from voicebox.services.helpdesk import triage

STATEMENT_TIMEOUT_MS = 2000
OPEN = (HelpStatus.QUEUED, HelpStatus.HELD, HelpStatus.ESCALATED)


@dataclass
class Reading:
    # "waiting" (queued, not started) and "processing" (a worker holds it)
    recordings: dict[str, int] = field(default_factory=lambda: {"waiting": 0, "processing": 0})
    # "scheduled" (a bedtime schedule's) and "plain"; due now and not yet delivered
    deliveries_due: dict[str, int] = field(default_factory=lambda: {"scheduled": 0, "plain": 0})
    # How long the oldest of those has been due, in seconds (0 when none is)
    deliveries_late_seconds: dict[str, float] = field(
        default_factory=lambda: {"scheduled": 0.0, "plain": 0.0}
    )
    # Open help requests by status ("queued", "held", "escalated") and priority
    help_requests: dict[tuple[str, int], int] = field(default_factory=dict)
    # How long the oldest queued request of each priority has waited, in seconds
    help_oldest_wait_seconds: dict[int, float] = field(default_factory=dict)
    # How long the oldest urgent request nobody took has waited without a supervisor alerted
    urgent_unalerted_seconds: float = 0.0
    volunteers_available: int = 0
    notifications_pending: int = 0


def read(now: datetime | None = None) -> Reading:
    """Every gauge at ``now``, in one transaction, rolled back."""
    now = now or utcnow()
    reading = Reading()
    session = db.session
    try:
        if db.engine.dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
        _recordings(reading)
        _deliveries(reading, now)
        _help_desk(reading, now)
        reading.volunteers_available = (
            session.scalar(select(func.count()).select_from(Volunteer).where(Volunteer.available.is_(True)))
            or 0
        )
        reading.notifications_pending = (
            session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.delivered_at.is_not(None), Delivery.notified_at.is_(None))
            )
            or 0
        )
    finally:
        session.rollback()
        db.session.remove()
    return reading


def _recordings(reading: Reading) -> None:
    state = case((Recording.started_at.is_(None), "waiting"), else_="processing")
    rows = db.session.execute(
        select(state, func.count()).where(Recording.status == RecordingStatus.PROCESSING).group_by(state)
    )
    reading.recordings.update({name: count for name, count in rows})


def _deliveries(reading: Reading, now: datetime) -> None:
    kind = case((Delivery.schedule_id.is_not(None), "scheduled"), else_="plain")
    rows = db.session.execute(
        select(kind, func.count(), func.min(Delivery.due_at))
        .where(Delivery.delivered_at.is_(None), Delivery.due_at <= now)
        .group_by(kind)
    )
    for name, count, oldest in rows:
        reading.deliveries_due[name] = count
        reading.deliveries_late_seconds[name] = max((now - oldest).total_seconds(), 0.0)


def _help_desk(reading: Reading, now: datetime) -> None:
    rows = db.session.execute(
        select(HelpRequest.status, HelpRequest.priority, func.count(), func.min(HelpRequest.queued_at))
        .where(HelpRequest.status.in_(OPEN))
        .group_by(HelpRequest.status, HelpRequest.priority)
    )
    for status, priority, count, oldest in rows:
        reading.help_requests[(status, priority)] = count
        if status == HelpStatus.QUEUED:
            reading.help_oldest_wait_seconds[priority] = (now - oldest).total_seconds()
    # What the timers' urgent alarm looks for: urgent or critical by its words, waiting for a
    # helper, no supervisor told yet.
    unalerted = db.session.scalar(
        select(func.min(HelpRequest.queued_at)).where(
            HelpRequest.waiting_for.is_not(None),
            HelpRequest.urgent_alerted_at.is_(None),
            (HelpRequest.urgent.is_(True)) | (HelpRequest.priority == triage.CRITICAL),
        )
    )
    if unalerted is not None:
        reading.urgent_unalerted_seconds = (now - unalerted).total_seconds()

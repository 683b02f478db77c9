"""How the help queue is doing, for supervisors and admins: counts only, nothing a child said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import HelpRequest, HelpStatus, Role, Volunteer
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal


@dataclass(frozen=True)
class QueueHealth:
    waiting: list[dict]
    oldest_wait_seconds: int | None
    held: int
    escalations_open: int
    volunteers_available: int
    volunteers_with_room: int


def queue_health(principal: Principal) -> QueueHealth:
    """How the queue is doing, for supervisors and admins: counts only, nothing a child said."""
    policy.require_role(principal, Role.SUPERVISOR, Role.ADMIN)
    now = utcnow()
    by_priority = db.session.execute(
        select(HelpRequest.priority, func.count(), func.min(HelpRequest.created_at))
        .where(HelpRequest.waiting_for.is_not(None))
        .group_by(HelpRequest.priority)
        .order_by(HelpRequest.priority)
    ).all()
    waiting = [
        {"priority": level, "count": count, "oldest_wait_seconds": _since(now, oldest)}
        for level, count, oldest in by_priority
    ]
    counts: dict[str, int] = dict(
        db.session.execute(
            select(HelpRequest.status, func.count())
            .where(HelpRequest.status.in_((HelpStatus.HELD, HelpStatus.ESCALATED)))
            .group_by(HelpRequest.status)
        )
        .tuples()
        .all()
    )
    held_now = (
        select(HelpRequest.held_by, func.count().label("held"))
        .where(HelpRequest.status == HelpStatus.HELD)
        .group_by(HelpRequest.held_by)
        .subquery()
    )
    available, with_room = db.session.execute(
        select(
            func.count(),
            func.count().filter(func.coalesce(held_now.c.held, 0) < Volunteer.capacity),
        )
        .select_from(Volunteer)
        .outerjoin(held_now, held_now.c.held_by == Volunteer.user_id)
        .where(Volunteer.available.is_(True))
    ).one()
    return QueueHealth(
        waiting=waiting,
        oldest_wait_seconds=max((row["oldest_wait_seconds"] for row in waiting), default=None),
        held=counts.get(HelpStatus.HELD, 0),
        escalations_open=counts.get(HelpStatus.ESCALATED, 0),
        volunteers_available=available,
        volunteers_with_room=with_room,
    )


def _since(now: datetime, then: datetime) -> int:
    return max(0, int((now - then).total_seconds()))

"""A helper's presence: available or away, and how many requests they take on at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voicebox.clock import utcnow
from voicebox.extensions import current_settings, db
from voicebox.models import HelpEventKind, HelpRequest, HelpStatus, Volunteer
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal
from voicebox.services.helpdesk import audit, claims, queue_events
from voicebox.services.helpdesk.threads import Summary
from voicebox.services.work import use_case

MAX_CAPACITY = 10


@dataclass(frozen=True)
class Presence:
    available: bool
    capacity: int
    holding: list[Summary]


def _row(user_id: str) -> Volunteer:
    """The helper's row, locked; made on first use (two first uses at once make one)."""
    locked = select(Volunteer).where(Volunteer.user_id == user_id).with_for_update()
    row = db.session.scalar(locked)
    if row is None:
        try:
            with db.session.begin_nested():
                capacity = current_settings().volunteer_capacity
                db.session.add(Volunteer(user_id=user_id, available=False, capacity=capacity))
        except IntegrityError:
            pass
        row = db.session.scalars(locked).one()
    return row


def _presence(row: Volunteer) -> Presence:
    held = db.session.scalars(
        select(HelpRequest)
        .where(HelpRequest.held_by == row.user_id, HelpRequest.status == HelpStatus.HELD)
        .order_by(HelpRequest.claimed_at)
    )
    return Presence(row.available, row.capacity, [Summary.of(request) for request in held])


@use_case
def presence(principal: Principal) -> Presence:
    policy.require_helper(principal)
    return _presence(_row(principal.user.id))  # type: ignore[union-attr]


@use_case
def set_presence(principal: Principal, available: bool | None, capacity: int | None) -> Presence:
    """Going away hands back every request the helper holds, so no child waits on them."""
    policy.require_helper(principal)
    row = _row(principal.user.id)  # type: ignore[union-attr]
    if capacity is not None:
        row.capacity = capacity
    if available is not None and available != row.available:
        row.available = available
        row.changed_at = utcnow()
        if not available:
            _release_all(principal)
    return _presence(row)


def _release_all(principal: Principal) -> None:
    held = db.session.scalars(
        select(HelpRequest)
        .where(HelpRequest.held_by == principal.user.id, HelpRequest.status == HelpStatus.HELD)  # type: ignore[union-attr]
        .with_for_update()
    )
    now = utcnow()
    for request in held:
        claims.requeue(request, now)
        audit.record(principal, "release", request.id)
        queue_events.record(request, HelpEventKind.RELEASED)

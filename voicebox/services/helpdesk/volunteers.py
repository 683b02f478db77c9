"""A helper's presence: available or away, and how many requests they take on at once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voicebox.clock import utcnow
from voicebox.extensions import current_settings, db
from voicebox.models import HelpEventKind, HelpRequest, HelpStatus, Role, User, UserStatus, Volunteer
from voicebox.services import policy
from voicebox.services.accounts import tokens, users
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.helpdesk import audit, claims, queue_events
from voicebox.services.helpdesk.thread_views import Summary
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
    return _presence(_row(user_of(principal).id))


@use_case
def set_presence(principal: Principal, available: bool | None, capacity: int | None) -> Presence:
    """Going away hands back every request the helper holds, so no child waits on them."""
    policy.require_helper(principal)
    row = _row(user_of(principal).id)
    if capacity is not None:
        row.capacity = capacity
    if available is not None and available != row.available:
        row.available = available
        row.changed_at = utcnow()
        if not available:
            _release_all(row.user_id, principal)
    return _presence(row)


@use_case
def suspend(admin: Principal, user_id: str) -> User:
    """An admin stops a volunteer at once: every token of theirs stops working (their streams
    end within seconds), what they hold goes back to the queue, and they are away."""
    policy.require_role(admin, Role.ADMIN)
    user = users.set_volunteer_status(
        user_id, (UserStatus.APPROVED,), UserStatus.SUSPENDED, "Only an approved volunteer is suspended."
    )
    tokens.revoke_all(user.id)
    row = _row(user.id)
    if row.available:
        row.available, row.changed_at = False, utcnow()
    _release_all(user.id, admin)
    return user


def _release_all(holder_id: str, actor: Principal) -> None:
    """Hand back to the queue every request ``holder_id`` holds, by ``actor`` (audited)."""
    held = db.session.scalars(
        select(HelpRequest)
        .where(HelpRequest.held_by == holder_id, HelpRequest.status == HelpStatus.HELD)
        .with_for_update()
    )
    now = utcnow()
    for request in held:
        claims.requeue(request, now)
        audit.record(actor, "release", request.id)
        queue_events.record(request, HelpEventKind.RELEASED)

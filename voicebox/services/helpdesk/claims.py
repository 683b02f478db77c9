"""The help queue: claiming the most urgent request under a lease, and handing it back or on.

A claim's UPDATE takes the best waiting row that its inner SELECT picked and locked, skipping
rows other claims hold locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite runs one
writer at a time), and only if it is still waiting. Two helpers claiming at once get two
different requests, never the same one. On PostgreSQL the whole claim (the helper's capacity
check under a lock on their row, the claim, its audit row and its queue event) is one
statement of data-modifying CTEs, one round trip; SQLite has no such statements and takes the
same steps one by one.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, bindparam, exists, func, insert, literal, select, true, update

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Conflict, Forbidden
from voicebox.extensions import current_settings, db
from voicebox.models import (
    AuditEntry,
    Child,
    HelpEvent,
    HelpEventKind,
    HelpReply,
    HelpRequest,
    HelpStatus,
    Outcome,
    Role,
    Volunteer,
    WaitingFor,
)
from voicebox.models.base import UTCDateTime, new_id
from voicebox.services import policy, reads
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.helpdesk import audit, queue_events
from voicebox.services.helpdesk.thread_views import (
    VIEW_COLUMNS,
    HelpRequestView,
    shown_child,
    thread_view,
    thread_with,
)
from voicebox.services.helpdesk.threads import locked
from voicebox.services.messaging.message_views import Party
from voicebox.services.work import unit, use_case


def claim(principal: Principal) -> HelpRequestView | None:
    """Take the most urgent waiting request, or None when none waits.

    A claim is a unit of work of its own (on PostgreSQL, one statement that commits alone), so
    it refuses to run inside another.
    """
    policy.require_helper(principal)
    with unit(alone=True):
        if db.session.get_bind().dialect.name == "postgresql":
            return _claim_in_one_statement(principal)
        claimed = _claim_step_by_step(principal)
        if claimed is None:
            return None
        return thread_view(principal, claimed)


def _presence() -> Select:
    """The helper bound as ``me``: available or not, their capacity, and how many requests they
    hold, their row locked so that the capacity check and the claim are one step."""
    holding = select(func.count()).where(
        HelpRequest.held_by == bindparam("me"), HelpRequest.status == HelpStatus.HELD
    )
    return (
        select(Volunteer.available, Volunteer.capacity, holding.scalar_subquery().label("holding"))
        .where(Volunteer.user_id == bindparam("me"))
        .with_for_update(of=Volunteer)
    )


def _check_room(presence: Row | None) -> Row:
    """``presence`` itself, if the helper is available and has room for one more request."""
    if presence is None or not presence.available:
        raise Conflict("Set yourself available before you take requests.")
    if presence.holding >= presence.capacity:
        raise Conflict(f"You hold {presence.capacity} requests, your capacity; answer or release one first.")
    return presence


def _queue_for(principal_role: str) -> tuple[Any, tuple[Any, ...]]:
    """Which waiting requests a helper of ``principal_role`` may take, and in what order."""
    if principal_role == Role.SUPERVISOR:
        # 'supervisors' sorts before 'volunteers': escalated requests first, then the rest.
        return HelpRequest.waiting_for.is_not(None), (
            HelpRequest.waiting_for,
            HelpRequest.rank_at,
            HelpRequest.id,
        )
    return HelpRequest.waiting_for == WaitingFor.VOLUNTEERS, (HelpRequest.rank_at, HelpRequest.id)


def _take(principal_role: str, room: Any) -> Any:
    """The UPDATE that takes the best request waiting for a helper of ``principal_role`` (the
    bound ``me``) under a lease until ``lease_until``, if there is ``room``, returning the row."""
    waiting, waiting_order = _queue_for(principal_role)
    best = (
        select(HelpRequest.id)
        .where(waiting, room)
        .order_by(*waiting_order)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (
        update(HelpRequest)
        .where(HelpRequest.id == best.scalar_subquery(), waiting)
        .values(
            status=HelpStatus.HELD,
            waiting_for=None,
            held_by=bindparam("me"),
            claimed_at=bindparam("now", type_=UTCDateTime()),
            lease_expires_at=bindparam("lease_until", type_=UTCDateTime()),
        )
        .returning(*HelpRequest.__table__.columns)
    )


def _lease(principal: Principal) -> dict[str, Any]:
    now = utcnow()
    lease_until = now + timedelta(seconds=current_settings().help_lease_seconds)
    return {"me": user_of(principal).id, "now": now, "lease_until": lease_until}


def _claim_step_by_step(principal: Principal) -> Row | None:
    presence = db.session.execute(_presence(), {"me": user_of(principal).id}).first()
    _check_room(presence)
    take = _take(principal.role, true()).execution_options(synchronize_session=False)
    claimed = db.session.execute(take, _lease(principal)).first()
    if claimed is not None:
        audit.record(principal, "claim", claimed.id)
        queue_events.record(claimed, HelpEventKind.CLAIMED)
    return claimed


@functools.cache
def _one_statement_claim(principal_role: str) -> Select:
    """The same steps as ``_claim_step_by_step``, as data-modifying CTEs in one statement,
    built once per role (building it costs more than running it), returning the child and
    whether the thread has replies, so that a new request's thread needs no other read.

    ``presence`` locks the helper's row first (``room`` reads it before any request is
    locked); ``claimed`` takes a request only if there is room; ``audited`` and ``evented``
    write the audit row and the queue event for what ``claimed`` returned, and nothing when it
    returned nothing.
    """
    presence = _presence().cte("presence")
    room = exists().where(presence.c.available, presence.c.holding < presence.c.capacity)
    claimed = _take(principal_role, room).cte("claimed")
    now = bindparam("now", type_=UTCDateTime())
    audited = insert(AuditEntry).from_select(
        ["id", "at", "actor_user_id", "actor_role", "action", "request_id"],
        select(
            bindparam("audit_id"), now, bindparam("me"), literal(principal_role), literal("claim")
        ).add_columns(claimed.c.id),
    )
    evented = insert(HelpEvent).from_select(
        ["request_id", "kind", "at", "push"],
        select(claimed.c.id, literal(HelpEventKind.CLAIMED.value), now, literal(False)),
    )
    replied = exists().where(HelpReply.request_id == claimed.c.id)
    return (
        select(
            presence.c.available,
            presence.c.capacity,
            presence.c.holding,
            *(claimed.c[name] for name in VIEW_COLUMNS),
            Child.display_name.label("child_name"),
            Child.birth_year.label("child_birth_year"),
            Child.timezone.label("child_timezone"),
            replied.label("replied"),
        )
        .select_from(presence)
        .outerjoin(claimed, true())
        .outerjoin(Child, Child.id == claimed.c.child_id)
        .add_cte(audited.cte("audited"), evented.cte("evented"))
    )


def _claim_in_one_statement(principal: Principal) -> HelpRequestView | None:
    # One statement is its own transaction: run alone, it needs no BEGIN and no COMMIT. The
    # thread's other reads, rarely needed for a request just taken, see what it committed.
    with reads.committed() as connection:
        row = _check_room(
            connection.execute(
                _one_statement_claim(principal.role), {**_lease(principal), "audit_id": new_id()}
            ).first()
        )
        if row.id is None:
            return None
        view = thread_with(
            principal,
            row,
            connection,
            child=shown_child(row.child_name, row.child_birth_year, row.child_timezone),
            holder=Party(user_of(principal).id, user_of(principal).display_name),
            replied=row.replied,
        )
    jobs.wake(queue_events.TOPIC)
    return view


def requeue(request: HelpRequest, now: datetime) -> None:
    """Put a held request back in the queue; its rank is kept, since the child has been waiting.

    Once escalated it waits as escalated; one a helper escalated waits for supervisors only.
    """
    request.status = HelpStatus.ESCALATED if request.escalated_at else HelpStatus.QUEUED
    request.waiting_for = WaitingFor.SUPERVISORS if request.escalated_by else WaitingFor.VOLUNTEERS
    request.held_by = request.lease_expires_at = None
    request.queued_at = now
    request.urgent_alerted_at = None  # the urgent-wait alarm runs again from now


def _held_by_caller(principal: Principal, request_id: str) -> HelpRequest:
    request = locked(principal, request_id)
    if not policy.holds(principal, request):
        raise Conflict("Only the helper holding this request can do that.")
    return request


@use_case
def release(principal: Principal, request_id: str) -> HelpRequestView:
    """The holder hands the request back to the queue."""
    request = _held_by_caller(principal, request_id)
    requeue(request, utcnow())
    audit.record(principal, "release", request.id)
    queue_events.record(request, HelpEventKind.RELEASED)
    return thread_view(principal, request)


@use_case
def escalate(principal: Principal, request_id: str, reason: str) -> HelpRequestView:
    """The holder hands the request to the supervisors, saying why."""
    request = _held_by_caller(principal, request_id)
    now = utcnow()
    request.escalation_reason = reason
    request.escalated_at = now
    request.escalated_by = user_of(principal).id
    requeue(request, now)
    audit.record(principal, "escalate", request.id)
    queue_events.record(request, HelpEventKind.ESCALATED, push=True)
    return thread_view(principal, request)


@use_case
def resolve(principal: Principal, request_id: str, outcome: str, note: str | None) -> HelpRequestView:
    """Close the request with its outcome: its holder, or a supervisor or admin at any time."""
    request = locked(principal, request_id)
    if principal.child is not None:
        raise Forbidden("A helper closes a request.")
    if not (policy.holds(principal, request) or policy.oversees_helpdesk(principal)):
        raise Conflict("Only the helper holding this request can do that.")
    if request.status == HelpStatus.RESOLVED:
        raise Conflict("This request is already resolved.")
    request.status = HelpStatus.RESOLVED
    request.waiting_for = request.lease_expires_at = None
    request.resolved_at = utcnow()
    request.resolved_by = user_of(principal).id
    request.outcome = Outcome(outcome)
    request.outcome_note = note
    audit.record(principal, "resolve", request.id)
    queue_events.record(request, HelpEventKind.RESOLVED)
    return thread_view(principal, request)

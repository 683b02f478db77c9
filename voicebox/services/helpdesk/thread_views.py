"""A help thread as whoever may see it sees it: the child who asked, the helper holding it,
supervisors and admins. The views, the statements that read them (built once), a request's
list, and its audio; every read by staff is audited. Changing a thread is ``threads``."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, literal, select
from sqlalchemy.orm import scoped_session

from voicebox.clock import age
from voicebox.errors import NotFound
from voicebox.extensions import db
from voicebox.models import (
    Child,
    HelpReply,
    HelpRequest,
    HelpStatus,
    Recording,
    User,
)
from voicebox.services import paging, policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.blobs import BlobStream
from voicebox.services.helpdesk import audit, triage
from voicebox.services.messaging.message_views import Party
from voicebox.services.recordings import recordings
from voicebox.services.work import use_case


@dataclass(frozen=True)
class ThreadAudio:
    """A recording in a thread: the request's own (``reply_id`` None) or a reply's. Where to
    fetch it is the edge's to say."""

    request_id: str
    reply_id: str | None
    status: str  # "processing", "ready" or "failed"
    failure: dict[str, str] | None
    duration_ms: int | None
    waveform: list[int] | None
    renditions: list[dict[str, Any]]


@dataclass(frozen=True)
class ReplyView:
    id: str
    author: str  # "child" or "helper"
    helper: Party | None
    text: str | None
    audio: ThreadAudio | None
    created_at: datetime


@dataclass(frozen=True)
class HelpRequestView:
    """A request as one caller sees it: the child never sees the screening or escalation notes.

    It holds plain values, read before the transaction ends, so rendering it after the commit
    costs no query.
    """

    id: str
    status: HelpStatus
    category: str
    urgent: bool
    priority: int
    text: str | None
    audio: ThreadAudio | None
    child: dict[str, Any] | None  # None once the child was erased
    risk_terms: list[str]
    created_at: datetime
    queued_at: datetime
    claimed_at: datetime | None
    held_by: Party | None
    lease_expires_at: datetime | None
    escalated_at: datetime | None
    escalation_reason: str | None
    replies: list[ReplyView]
    resolved_at: datetime | None
    outcome: str | None


AUDIO_COLUMNS = (
    Recording.status,
    Recording.failure_reason,
    Recording.failure_detail,
    Recording.duration_ms,
    Recording.waveform,
    Recording.renditions,
)


def thread_audio(recording: Any, request_id: str, reply_id: str | None = None) -> ThreadAudio | None:
    """A thread's recording (a Recording, or a row of AUDIO_COLUMNS), or None if there is none."""
    if recording is None:
        return None
    return ThreadAudio(
        request_id=request_id,
        reply_id=reply_id,
        status=recording.status,
        failure=recordings.shown_failure(recording),
        duration_ms=recording.duration_ms,
        waveform=recording.waveform,
        renditions=recordings.shown_renditions(recording),
    )


def _helper(user_id: str | None, name: str, staff: bool) -> Party | None:
    """A helper as the caller sees them: the child, by the name they go by only."""
    if user_id is None:
        return None
    return Party(user_id if staff else None, name)


# A thread's reads, built once: building a statement costs more than running it.
_REPLIES = (
    select(
        HelpReply.id,
        HelpReply.from_child,
        HelpReply.text,
        HelpReply.created_at,
        HelpReply.audio_recording_id,
        User.id.label("helper_id"),
        User.display_name.label("helper_name"),
        *AUDIO_COLUMNS,
    )
    .outerjoin(User, User.id == HelpReply.author_user_id)
    .outerjoin(Recording, Recording.id == HelpReply.audio_recording_id)
    .where(HelpReply.request_id == bindparam("request_id"))
    .order_by(HelpReply.created_at, HelpReply.id)
)


# One row: the child (None once erased, the request kept de-identified) and the holder.
_FAMILY = (
    select(Child.display_name, Child.birth_year, Child.timezone, User.id, User.display_name.label("holder"))
    .select_from(select(literal(1)).subquery())
    .outerjoin(Child, Child.id == bindparam("child_id"))
    .outerjoin(User, User.id == bindparam("holder_id"))
)


_RECORDING = select(*AUDIO_COLUMNS).where(Recording.id == bindparam("recording_id"))


def thread_view(principal: Principal, request: Any) -> HelpRequestView:
    """The whole thread, for a caller ``policy.help_request_for`` let through.

    ``request`` is a HelpRequest, or a row of all its columns.
    """
    family = db.session.execute(_FAMILY, {"child_id": request.child_id, "holder_id": request.held_by}).one()
    return thread_with(
        principal,
        request,
        db.session,
        child=shown_child(family.display_name, family.birth_year, family.timezone),
        holder=_helper(family.id, family.holder, principal.child is None),
    )


def shown_child(
    display_name: str | None, birth_year: int | None, timezone: str | None
) -> dict[str, Any] | None:
    """The child as a helper sees them; None once erased (the request kept de-identified)."""
    if display_name is None or birth_year is None or timezone is None:
        return None
    return {"display_name": display_name, "age": age(birth_year, timezone), "timezone": timezone}


# The columns of a request that ``thread_with`` reads.
VIEW_COLUMNS = (
    "id",
    "status",
    "category",
    "urgent",
    "priority",
    "text",
    "audio_recording_id",
    "risk_terms",
    "created_at",
    "queued_at",
    "claimed_at",
    "lease_expires_at",
    "escalated_at",
    "escalation_reason",
    "resolved_at",
    "outcome",
)


def thread_with(
    principal: Principal,
    request: Any,
    reader: Connection | scoped_session[Any],
    *,
    child: dict[str, Any] | None,
    holder: Party | None,
    replied: bool = True,
) -> HelpRequestView:
    """The thread of ``request`` (a HelpRequest, or a row of its ``VIEW_COLUMNS``) whose child
    (as ``shown_child`` shows them) and holder the caller knows: its recording and replies are
    read through ``reader``, the request's session or a connection of the caller's. ``replied``
    False says the thread has no replies, sparing their read."""
    recording = None
    if request.audio_recording_id is not None:
        recording = reader.execute(_RECORDING, {"recording_id": request.audio_recording_id}).first()
    replies = reader.execute(_REPLIES, {"request_id": request.id}).all() if replied else []
    staff = principal.child is None
    return HelpRequestView(
        id=request.id,
        status=request.status,
        category=request.category,
        urgent=request.urgent,
        priority=request.priority if staff else as_asked(request),
        text=request.text,
        audio=thread_audio(recording, request.id),
        child=child,
        risk_terms=request.risk_terms if staff else [],
        created_at=request.created_at,
        queued_at=request.queued_at,
        claimed_at=request.claimed_at,
        held_by=holder,
        lease_expires_at=request.lease_expires_at,
        escalated_at=request.escalated_at,
        escalation_reason=request.escalation_reason if staff else None,
        replies=[
            ReplyView(
                id=reply.id,
                author="child" if reply.from_child else "helper",
                helper=_helper(reply.helper_id, reply.helper_name, staff),
                text=reply.text,
                audio=thread_audio(reply if reply.audio_recording_id else None, request.id, reply.id),
                created_at=reply.created_at,
            )
            for reply in replies
        ],
        resolved_at=request.resolved_at,
        outcome=request.outcome,
    )


@use_case
def get(principal: Principal, request_id: str) -> HelpRequestView:
    request = policy.help_request_for(principal, db.session.get(HelpRequest, request_id))
    audit.record(principal, "read", request.id)
    return thread_view(principal, request)


@dataclass(frozen=True)
class Summary:
    """A line of a list: what state a request is in, never what it says."""

    id: str
    status: str
    category: str
    urgent: bool
    priority: int
    created_at: datetime
    queued_at: datetime
    claimed_at: datetime | None
    escalated_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, request: HelpRequest, for_child: bool = False) -> Summary:
        summary = cls(**{field.name: getattr(request, field.name) for field in fields(cls)})
        return replace(summary, priority=as_asked(request)) if for_child else summary


def as_asked(request: Any) -> int:
    """The priority the child's own choices give (category, urgent): what a child is shown, so
    that their view never reveals what the screening of their words found."""
    return triage.priority(request.category, request.urgent, [])


def list_requests(
    principal: Principal, status: str | None, cursor: str | None, limit: int = paging.DEFAULT_LIMIT
) -> paging.Page:
    """A child's own requests; what a volunteer holds; any, for supervisors and admins."""
    query = select(HelpRequest)
    if principal.device is not None:
        query = query.where(HelpRequest.device_id == principal.device.id)
    elif not policy.oversees_helpdesk(principal):
        policy.require_helper(principal)
        mine = HelpRequest.held_by == user_of(principal).id
        query = query.where(mine, HelpRequest.status == HelpStatus.HELD)
    if status is not None:
        query = query.where(HelpRequest.status == status)
    rows, last = paging.newest_first(query, HelpRequest.created_at, HelpRequest.id, cursor, limit)
    items = [Summary.of(row.HelpRequest, for_child=principal.device is not None) for row in rows]
    next_cursor = paging.encode_cursor(last.HelpRequest.created_at, last.HelpRequest.id) if last else None
    return paging.Page(items, next_cursor)


@use_case
def open_thread_audio(
    principal: Principal, request_id: str, format_: str, reply_id: str | None = None
) -> str | BlobStream:
    """The request's recording, or a reply's, for those who may read the thread."""
    request = policy.help_request_for(principal, db.session.get(HelpRequest, request_id))
    if reply_id is None:
        recording_id = request.audio_recording_id
    else:
        found = db.session.get(HelpReply, reply_id)
        recording_id = (
            found.audio_recording_id if found is not None and found.request_id == request.id else None
        )
    if recording_id is None:
        raise NotFound("No such recording.")
    audit.record(principal, "listen", request.id)
    return recordings.open_audio(recording_id, format_)

"""Help requests as the child and their helper see them: asking, the thread, and its audio.

Taking requests from the queue and closing them is in ``claims``; the timers that watch the
queue are in ``timers``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import Connection, bindparam, func, literal, select
from sqlalchemy.orm import scoped_session

from voicebox.clock import age, utcnow
from voicebox.errors import Conflict, Forbidden, Invalid, NotFound
from voicebox.extensions import current_settings, db
from voicebox.models import (
    Child,
    HelpEventKind,
    HelpReply,
    HelpRequest,
    HelpStatus,
    Recording,
    User,
    WaitingFor,
)
from voicebox.services import paging, policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.blobs import BlobStream
from voicebox.services.helpdesk import audit, queue_events, triage
from voicebox.services.messaging import recordings
from voicebox.services.messaging.messages import Party
from voicebox.services.work import use_case

# A device with this many requests open adds to one of them instead of opening another. Counted
# per device, so that no other device of the child learns that the child asked at all.
MAX_OPEN_PER_DEVICE = 3
OPEN = (HelpStatus.QUEUED, HelpStatus.HELD, HelpStatus.ESCALATED)


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


def _audio(recording: Any, request_id: str, reply_id: str | None = None) -> ThreadAudio | None:
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
    if display_name is None:
        return None
    return {"display_name": display_name, "age": age(birth_year, timezone), "timezone": timezone}  # type: ignore[arg-type]


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
        audio=_audio(recording, request.id),
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
                audio=_audio(reply if reply.audio_recording_id else None, request.id, reply.id),
                created_at=reply.created_at,
            )
            for reply in replies
        ],
        resolved_at=request.resolved_at,
        outcome=request.outcome,
    )


@use_case
def ask(
    principal: Principal,
    *,
    category: str,
    urgent: bool = False,
    text: str | None = None,
    audio: BinaryIO | None = None,
    upload_id: str | None = None,
) -> HelpRequestView:
    """A child asks for help: triage it, queue it, and tell the helpers."""
    if principal.child is None:
        raise Forbidden("Help is asked for from a child's paired device.")
    if not text and audio is None and upload_id is None:
        raise Invalid("Say what is wrong: record 'audio' or write 'text'.", {"text": ["Required."]})
    child_id = principal.child.id
    device_id = principal.device.id
    open_count = (
        db.session.scalar(
            select(func.count()).where(HelpRequest.device_id == device_id, HelpRequest.status.in_(OPEN))
        )
        or 0
    )
    if open_count >= MAX_OPEN_PER_DEVICE:
        raise Conflict("You already have requests waiting; add to one of them and a helper will see it.")
    now = utcnow()
    risk_terms = triage.current_risk_words().found(text)
    level = triage.priority(category, urgent, risk_terms)
    request = HelpRequest(
        child_id=child_id,
        device_id=device_id,
        category=category,
        urgent=urgent,
        text=text,
        risk_terms=risk_terms,
        priority=level,
        status=HelpStatus.QUEUED,
        waiting_for=WaitingFor.VOLUNTEERS,
        rank_at=_rank_at(level, now),
        created_at=now,
        queued_at=now,
    )
    if audio is not None or upload_id is not None:
        request.audio_recording_id = _recording(principal, audio, upload_id).id
    db.session.add(request)
    db.session.flush()
    queue_events.record(request, HelpEventKind.NEW)
    return thread_view(principal, request)


def locked(principal: Principal, request_id: str) -> HelpRequest:
    """The request, its row locked for a change, if the caller may see it."""
    query = select(HelpRequest).where(HelpRequest.id == request_id).with_for_update()
    return policy.help_request_for(principal, db.session.scalar(query))


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
def reply(
    principal: Principal,
    request_id: str,
    *,
    text: str | None = None,
    audio: BinaryIO | None = None,
    upload_id: str | None = None,
) -> ReplyView:
    """One more turn in the thread, from the child or from the helper holding the request."""
    request = locked(principal, request_id)
    from_child = principal.child is not None
    if not from_child and not policy.holds(principal, request):
        raise Conflict("Claim this request before you answer it.")
    if request.status == HelpStatus.RESOLVED:
        raise Conflict("This conversation is closed; ask for help again and a helper will answer.")
    if not text and audio is None and upload_id is None:
        raise Invalid("Write 'text' or attach 'audio'.", {"text": ["Required."]})
    now = utcnow()
    row = HelpReply(
        request_id=request.id,
        author_user_id=None if from_child else user_of(principal).id,
        from_child=from_child,
        text=text,
        created_at=now,
    )
    recording = None
    if audio is not None or upload_id is not None:
        recording = _recording(principal, audio, upload_id)
        row.audio_recording_id = recording.id
    db.session.add(row)
    if from_child:
        _rescreen(request, text)
        if request.held_by is not None:
            queue_events.record(request, HelpEventKind.REPLIED, user_id=request.held_by, push=True)
    else:
        lease = now + timedelta(seconds=current_settings().help_reply_lease_seconds)
        request.lease_expires_at = max(request.lease_expires_at or lease, lease)
        audit.record(principal, "reply", request.id)
        queue_events.record(request, HelpEventKind.ANSWERED, push=True)
    db.session.flush()
    helper = None if from_child else Party(user_of(principal).id, user_of(principal).display_name)
    audio_view = _audio(recording, request.id, row.id)
    return ReplyView(row.id, "child" if from_child else "helper", helper, text, audio_view, now)


def _rescreen(request: HelpRequest, text: str | None) -> None:
    """A child who says something alarming later in the thread goes to the top of the queue."""
    found = triage.current_risk_words().found(text)
    if not found:
        return
    request.risk_terms = list(dict.fromkeys([*request.risk_terms, *found]))
    if request.priority != triage.CRITICAL:
        request.priority = triage.CRITICAL
        request.rank_at = _rank_at(triage.CRITICAL, request.created_at)


def _rank_at(level: int, asked_at: datetime) -> datetime:
    return triage.rank_at(level, asked_at, timedelta(seconds=current_settings().help_aging_seconds))


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


def _recording(principal: Principal, audio: BinaryIO | None, upload_id: str | None) -> Recording:
    """A recording for a help request's thread, as long as a message may be."""
    return recordings.take(principal, audio, upload_id, current_settings().max_message_seconds)

"""Changing a help thread: a child asks, the child or their helper answers (screened for risk
words each time).

How a thread reads is ``thread_views``; taking requests from the queue and closing them is
``claims``; the timers that watch the queue are ``timers``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import func, select

from voicebox.clock import utcnow
from voicebox.errors import Conflict, Forbidden, Invalid
from voicebox.extensions import current_settings, db
from voicebox.models import (
    HelpEventKind,
    HelpReply,
    HelpRequest,
    HelpStatus,
    Recording,
    WaitingFor,
)
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.helpdesk import audit, queue_events, triage
from voicebox.services.helpdesk.thread_views import (
    HelpRequestView,
    ReplyView,
    thread_audio,
    thread_view,
)
from voicebox.services.messaging.message_views import Party
from voicebox.services.recordings import recordings
from voicebox.services.work import use_case

# A device with this many requests open adds to one of them instead of opening another. Counted
# per device, so that no other device of the child learns that the child asked at all.
MAX_OPEN_PER_DEVICE = 3
OPEN = (HelpStatus.QUEUED, HelpStatus.HELD, HelpStatus.ESCALATED)


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
    audio_view = thread_audio(recording, request.id, row.id)
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


def _recording(principal: Principal, audio: BinaryIO | None, upload_id: str | None) -> Recording:
    """A recording for a help request's thread, as long as a message may be."""
    return recordings.take(principal, audio, upload_id, current_settings().max_message_seconds)

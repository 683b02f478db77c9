"""Sending, playing back and deleting voice messages and stories: the commands. How a message
reads is ``message_views``; the inbox and outbox pages are ``mailboxes``."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from voicebox.clock import utcnow
from voicebox.errors import Conflict, Invalid, NotFound
from voicebox.extensions import current_settings, db
from voicebox.models import (
    Delivery,
    Direction,
    Kind,
    Message,
    MessageStatus,
    Recording,
    Role,
)
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.messaging import story_details
from voicebox.services.messaging.message_views import GUARDIANS, MessageView, message_view_for, my_delivery
from voicebox.services.messaging.story_details import NO_DETAILS, StoryDetails
from voicebox.services.recordings import recordings
from voicebox.services.work import use_case

LATEST_DELIVERY = timedelta(days=366)
UNDELIVERED = (MessageStatus.PROCESSING, MessageStatus.SCHEDULED, MessageStatus.FAILED)


def _idempotency_hash(principal: Principal, key: str) -> str:
    speaker = f"device:{principal.device.id}" if principal.device else f"user:{user_of(principal).id}"
    return hashlib.sha256(f"{speaker}\n{key}".encode()).hexdigest()


def _recipient(principal: Principal, to: str) -> tuple[str, Direction]:
    if principal.device is not None:
        if to != GUARDIANS:
            raise Invalid("A child's device sends to its guardians.", {"to": ["Must be 'guardians'."]})
        return principal.child.id, Direction.TO_GUARDIANS
    policy.require_role(principal, Role.PARENT)
    return policy.guarded_child(principal, to).id, Direction.TO_CHILD


def check_deliver_at(deliver_at: datetime | None) -> None:
    if deliver_at is not None and deliver_at > utcnow() + LATEST_DELIVERY:
        raise Invalid("Deliveries can be scheduled up to a year ahead.", {"deliver_at": ["Too far ahead."]})


@use_case
def send(
    principal: Principal,
    *,
    to: str,
    kind: str = Kind.MESSAGE,
    title: str | None = None,
    deliver_at: datetime | None = None,
    audio: BinaryIO | None = None,
    upload_id: str | None = None,
    idempotency_key: str | None = None,
    urgent: bool = False,
    queue: bool = False,
    story: StoryDetails = NO_DETAILS,
) -> MessageView:
    """Store the recording and queue its transcode; a repeated Idempotency-Key returns the first.

    ``queue``: a guardian's story waits for the child's schedule instead of a time of its own.
    """
    child_id, direction = _recipient(principal, to)
    check_deliver_at(deliver_at)
    if queue and (direction != Direction.TO_CHILD or kind != Kind.STORY or deliver_at is not None):
        raise Invalid(
            "Only a guardian's story without a deliver_at can wait in the queue.", {"queue": ["Not here."]}
        )
    key_hash = _idempotency_hash(principal, idempotency_key) if idempotency_key else None
    if key_hash is not None:
        existing = db.session.scalar(select(Message).where(Message.idempotency_key == key_hash))
        if existing is not None:
            return message_view_for(principal, existing)
    story_details.check(story, kind, {"child_id": child_id})
    try:
        with db.session.begin_nested():
            message = new_message(principal, child_id, direction, kind, audio, upload_id, story)
            message.title, message.deliver_at, message.idempotency_key = title, deliver_at, key_hash
            message.urgent, message.queued = urgent, queue
            db.session.flush()
    except IntegrityError:
        # Another request with the same Idempotency-Key won the race: answer with its message
        # (the savepoint took back this one's recording, its upload and its transcode).
        existing = db.session.scalar(select(Message).where(Message.idempotency_key == key_hash))
        if existing is None:
            raise
        return message_view_for(principal, existing)
    return message_view_for(principal, message)


def new_message(
    principal: Principal,
    child_id: str,
    direction: Direction,
    kind: str,
    audio: BinaryIO | None,
    upload_id: str | None,
    story: StoryDetails = NO_DETAILS,
) -> Message:
    """A message waiting for its recording's transcode, in the caller's transaction
    (``story_details.check`` the story first)."""
    settings = current_settings()
    max_seconds = settings.max_story_seconds if kind == Kind.STORY else settings.max_message_seconds
    recording = recordings.take(principal, audio, upload_id, max_seconds)
    message = Message(
        kind=kind,
        child_id=child_id,
        direction=direction,
        sender_user_id=principal.user.id if principal.user is not None else None,
        sender_device_id=principal.device.id if principal.device else None,
        status=MessageStatus.PROCESSING,
        recording_id=recording.id,
        story_id=story_details.new_story(story).id if kind == Kind.STORY else None,
    )
    db.session.add(message)
    return message


@use_case
def delete(principal: Principal, message_id: str) -> None:
    """The sender may take back a message until it is delivered; a guardian may delete any."""
    message = policy.message_for(principal, db.session.get(Message, message_id))
    is_sender = (principal.device is not None and message.direction == Direction.TO_GUARDIANS) or (
        principal.user is not None and message.sender_user_id == principal.user.id
    )
    if not policy.is_guardian(principal, message.child_id):
        if not is_sender:
            raise NotFound("No such message.")
        if message.status not in UNDELIVERED:
            raise Conflict("This message was already delivered; ask a guardian to delete it.")
    if message.library_story_id is not None and message.status == MessageStatus.SCHEDULED:
        # A library story's copy stays, cancelled, so its schedule does not bring it again.
        for row in db.session.scalars(select(Delivery).where(Delivery.message_id == message.id)):
            db.session.delete(row)
        message.status = MessageStatus.CANCELLED
        return
    db.session.delete(message)
    if message.library_story_id is None:
        # Its recording and story are its own (a copy's are its library story's).
        recordings.remove([message.recording_id])
        if message.story_id is not None:
            story_details.forget(message.story_id)


@use_case
def record_play(principal: Principal, message_id: str, position_ms: int, completed: bool) -> None:
    """Remember where the recipient stopped; the first completed play marks the message played."""
    message = policy.message_for(principal, db.session.get(Message, message_id))
    mine = my_delivery(principal, message.id)
    if mine is None or mine.delivered_at is None:
        raise NotFound("No such message in your inbox.")
    if position_ms > (db.session.get_one(Recording, message.recording_id).duration_ms or 0):
        raise Invalid("That position is past the end.", {"position_ms": ["Past the end of the recording."]})
    mine.position_ms = position_ms
    if completed:
        now = utcnow()
        mine.played_at = mine.played_at or now
        # Conditional, so two devices finishing at once set it once.
        db.session.execute(
            update(Message)
            .where(Message.id == message.id, Message.played_at.is_(None))
            .values(played_at=now, status=MessageStatus.PLAYED)
        )

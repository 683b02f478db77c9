"""Sending, reading, playing back and deleting voice messages and stories."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.exc import IntegrityError

from voicebox.clock import utcnow
from voicebox.errors import Conflict, Invalid, NotFound
from voicebox.extensions import current_settings, db
from voicebox.models import (
    Child,
    Delivery,
    Direction,
    Kind,
    Message,
    MessageStatus,
    Organisation,
    Recording,
    Role,
    Story,
    User,
)
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.blobs import BlobStream
from voicebox.services.messaging import recordings, story_details
from voicebox.services.messaging.story_details import NO_DETAILS, STORY_FIELDS, StoryDetails
from voicebox.services.work import use_case

GUARDIANS = "guardians"
LATEST_DELIVERY = timedelta(days=366)
UNDELIVERED = (MessageStatus.PROCESSING, MessageStatus.SCHEDULED, MessageStatus.FAILED)


@dataclass(frozen=True)
class Party:
    # None where the caller is not to know who it is: a child, of the helper answering them.
    id: str | None
    display_name: str


@dataclass(frozen=True)
class MessageView:
    """A message as one caller sees it: ``position_ms`` is their own place in it."""

    id: str
    kind: Kind
    title: str | None
    story: dict[str, Any] | None
    urgent: bool
    queued: bool
    sender: Party
    recipient: Party
    status: MessageStatus
    failure: dict[str, str] | None
    duration_ms: int | None
    waveform: list[int] | None
    renditions: list[dict[str, Any]]
    position_ms: int | None
    created_at: datetime
    deliver_at: datetime | None
    delivered_at: datetime | None
    played_at: datetime | None


# What a MessageView reads of a message, its recording and its story (see ``with_audio``).
VIEW_COLUMNS = (
    Message.id,
    Message.kind,
    Message.title,
    Message.child_id,
    Message.direction,
    Message.sender_user_id,
    Message.status,
    Recording.failure_reason,
    Recording.failure_detail,
    Recording.duration_ms,
    Recording.waveform,
    Recording.renditions,
    Message.created_at,
    Message.deliver_at,
    Message.delivered_at,
    Message.played_at,
    Message.urgent,
    Message.queued,
    Message.org_id,
    Message.source_id,
    *(getattr(Story, name) for name in STORY_FIELDS),
)


def with_audio(query: Select) -> Select:
    """``query`` of messages, joined to what VIEW_COLUMNS reads of their recording and story."""
    return query.join(Recording, Recording.id == Message.recording_id).outerjoin(
        Story, Story.id == Message.story_id
    )


@dataclass(frozen=True)
class Mailbox:
    """Whose inbox: a child (read through any of their devices) or a guardian. Plain ids, so a
    long-lived stream keeps no ORM object across its transactions."""

    child_id: str | None = None
    user_id: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Mailbox:
        if principal.child is not None:
            return cls(child_id=principal.child.id)
        return cls(user_id=user_of(principal).id)

    @property
    def topic(self) -> str:
        return f"inbox:child:{self.child_id}" if self.child_id else f"inbox:user:{self.user_id}"

    @property
    def holds(self) -> ColumnElement[bool]:
        """The deliveries addressed to this mailbox."""
        return Delivery.child_id == self.child_id if self.child_id else Delivery.user_id == self.user_id


def _idempotency_hash(principal: Principal, key: str) -> str:
    speaker = f"device:{principal.device.id}" if principal.device else f"user:{user_of(principal).id}"
    return hashlib.sha256(f"{speaker}\n{key}".encode()).hexdigest()


def message_view(
    message: Any, child: Party, sender_user: Party | None, position_ms: int | None
) -> MessageView:
    """The caller's view of ``message`` (a row of VIEW_COLUMNS) of ``child``'s family;
    a library story's ``child`` is its organisation, and so is a copy's sender."""
    if message.direction in (Direction.TO_CHILD, Direction.LIBRARY):
        sender, recipient = sender_user or Party("", ""), child
    else:
        sender, recipient = child, Party(GUARDIANS, f"{child.display_name}'s family")
    return MessageView(
        id=message.id,
        kind=message.kind,
        title=message.title,
        story={name: getattr(message, name) for name in STORY_FIELDS} if message.kind == Kind.STORY else None,
        urgent=message.urgent,
        queued=message.queued,
        sender=sender,
        recipient=recipient,
        status=message.status,
        failure=recordings.shown_failure(message),
        duration_ms=message.duration_ms,
        waveform=message.waveform,
        renditions=recordings.shown_renditions(message),
        position_ms=position_ms,
        created_at=message.created_at,
        deliver_at=message.deliver_at,
        delivered_at=message.delivered_at,
        played_at=message.played_at,
    )


def _my_delivery(principal: Principal, message_id: str) -> Delivery | None:
    return db.session.scalar(
        select(Delivery).where(Delivery.message_id == message_id, Mailbox.of(principal).holds)
    )


def message_view_for(principal: Principal, message: Message) -> MessageView:
    org = db.session.get(Organisation, message.org_id) if message.org_id else None
    if message.child_id is None:
        recipient = Party(org.id, org.name)  # type: ignore[union-attr]
    else:
        child = db.session.get_one(Child, message.child_id)
        recipient = Party(child.id, child.display_name)
    if org is not None and message.child_id is not None:
        sender: Party | None = Party(org.id, org.name)  # a library story's copy: from its organisation
    elif message.sender_user_id:
        user = db.session.get_one(User, message.sender_user_id)
        sender = Party(user.id, user.display_name)
    else:
        sender = None
    mine = _my_delivery(principal, message.id)
    row = db.session.execute(with_audio(select(*VIEW_COLUMNS)).where(Message.id == message.id)).one()
    return message_view(row, recipient, sender, mine.position_ms if mine else None)


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
    child_id: str | None,
    direction: Direction,
    kind: str,
    audio: BinaryIO | None,
    upload_id: str | None,
    story: StoryDetails = NO_DETAILS,
) -> Message:
    """A family message or a library story waiting for its recording's transcode, in the
    caller's transaction (``story_details.check`` the story first)."""
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


def get(principal: Principal, message_id: str) -> MessageView:
    message = policy.message_for(principal, db.session.get(Message, message_id))
    return message_view_for(principal, message)


@use_case
def delete(principal: Principal, message_id: str) -> None:
    """The sender may take back a message until it is delivered; a guardian may delete any. A
    curator may withdraw a library story, and the children's copies go with it."""
    message = policy.message_for(principal, db.session.get(Message, message_id))
    is_sender = (principal.device is not None and message.direction == Direction.TO_GUARDIANS) or (
        principal.user is not None and message.sender_user_id == principal.user.id
    )
    if message.direction != Direction.LIBRARY and not policy.is_guardian(principal, message.child_id):  # type: ignore[arg-type]
        if not is_sender:
            raise NotFound("No such message.")
        if message.status not in UNDELIVERED:
            raise Conflict("This message was already delivered; ask a guardian to delete it.")
    if message.source_id is not None and message.status == MessageStatus.SCHEDULED:
        # A library story's copy stays, cancelled, so its schedule does not bring it again.
        for row in db.session.scalars(select(Delivery).where(Delivery.message_id == message.id)):
            db.session.delete(row)
        message.status = MessageStatus.CANCELLED
        return
    db.session.delete(message)
    if message.source_id is None:
        # Its recording and story are its own (a library story's copies go with it).
        recordings.remove([message.recording_id])
        if message.story_id is not None:
            story_details.forget(message.story_id)


def open_message_audio(principal: Principal, message_id: str, format_: str) -> str | BlobStream:
    """A short-lived URL to send the client to, or, from a store that has none, the bytes."""
    message = policy.message_for(principal, db.session.get(Message, message_id))
    return recordings.open_audio(message.recording_id, format_)


def message_audio_link(principal: Principal, message_id: str, format_: str) -> tuple[str, datetime]:
    """A link to the audio that needs no token, and when it expires (see ``recordings.audio_link``)."""
    message = policy.message_for(principal, db.session.get(Message, message_id))
    return recordings.audio_link(message.recording_id, format_)


@use_case
def record_play(principal: Principal, message_id: str, position_ms: int, completed: bool) -> None:
    """Remember where the recipient stopped; the first completed play marks the message played."""
    message = policy.message_for(principal, db.session.get(Message, message_id))
    mine = _my_delivery(principal, message.id)
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

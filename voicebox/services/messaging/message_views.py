"""A message as whoever may see it sees it: the view, the columns and joins that read it, and
reading one (its details, its audio, a link to it). Lists of them are ``mailboxes``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from voicebox.extensions import db
from voicebox.models import (
    Child,
    Delivery,
    Direction,
    Kind,
    LibraryStory,
    Message,
    MessageStatus,
    Organisation,
    Recording,
    RecordingStatus,
    Story,
    User,
)
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.blobs import BlobStream
from voicebox.services.messaging import story_details
from voicebox.services.messaging.story_details import STORY_FIELDS
from voicebox.services.recordings import recordings

# How a message to a child's guardians names its recipient, and how a device sends one.
GUARDIANS = "guardians"


@dataclass(frozen=True)
class Party:
    # None where the caller is not to know who it is: a child, of the helper answering them.
    id: str | None
    display_name: str


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
    # A library story's (``library.catalogue``) is its recording's.
    status: MessageStatus | RecordingStatus
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
    *(getattr(Story, name) for name in STORY_FIELDS),
)


def with_audio(query: Select) -> Select:
    """``query`` of messages, joined to what VIEW_COLUMNS reads of their recording and story."""
    return query.join(Recording, Recording.id == Message.recording_id).outerjoin(
        Story, Story.id == Message.story_id
    )


def message_view(
    message: Any, child: Party, sender_user: Party | None, position_ms: int | None
) -> MessageView:
    """The caller's view of ``message`` (a row of VIEW_COLUMNS) of ``child``'s family (a library
    story's copy comes from its organisation)."""
    if message.direction == Direction.TO_CHILD:
        sender, recipient = sender_user or Party("", ""), child
    else:
        sender, recipient = child, Party(GUARDIANS, f"{child.display_name}'s family")
    return MessageView(
        id=message.id,
        kind=message.kind,
        title=message.title,
        story=story_details.described(message) if message.kind == Kind.STORY else None,
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


def my_delivery(principal: Principal, message_id: str) -> Delivery | None:
    return db.session.scalar(
        select(Delivery).where(Delivery.message_id == message_id, Mailbox.of(principal).holds)
    )


def message_view_for(principal: Principal, message: Message) -> MessageView:
    child = db.session.get_one(Child, message.child_id)
    recipient = Party(child.id, child.display_name)
    if message.library_story_id is not None:
        org = db.session.scalars(
            select(Organisation)
            .join(LibraryStory, LibraryStory.org_id == Organisation.id)
            .where(LibraryStory.id == message.library_story_id)
        ).one()
        sender: Party | None = Party(org.id, org.name)
    elif message.sender_user_id:
        user = db.session.get_one(User, message.sender_user_id)
        sender = Party(user.id, user.display_name)
    else:
        sender = None
    mine = my_delivery(principal, message.id)
    row = db.session.execute(with_audio(select(*VIEW_COLUMNS)).where(Message.id == message.id)).one()
    return message_view(row, recipient, sender, mine.position_ms if mine else None)


def get(principal: Principal, message_id: str) -> MessageView:
    message = policy.message_for(principal, db.session.get(Message, message_id))
    return message_view_for(principal, message)


def open_message_audio(principal: Principal, message_id: str, format_: str) -> str | BlobStream:
    """A short-lived URL to send the client to, or, from a store that has none, the bytes."""
    message = policy.message_for(principal, db.session.get(Message, message_id))
    return recordings.open_audio(message.recording_id, format_)


def message_audio_link(principal: Principal, message_id: str, format_: str) -> tuple[str, datetime]:
    """A link to the audio that needs no token, and when it expires (see ``recordings.audio_link``)."""
    message = policy.message_for(principal, db.session.get(Message, message_id))
    return recordings.audio_link(message.recording_id, format_)

"""A voice message or story, and its delivery to each recipient (a child, or each guardian)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class Kind(StrEnum):
    MESSAGE = "message"
    STORY = "story"


class Direction(StrEnum):
    TO_CHILD = "to_child"  # from a guardian to one child
    TO_GUARDIANS = "to_guardians"  # from a child's device to every guardian of the child


class MessageStatus(StrEnum):
    PROCESSING = "processing"
    SCHEDULED = "scheduled"
    DELIVERED = "delivered"
    PLAYED = "played"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a library story's copy a guardian cancelled before it arrived


class StoryCategory(StrEnum):
    BEDTIME = "bedtime"
    FAIRY_TALE = "fairy_tale"
    FOLK_TALE = "folk_tale"
    SCIENCE = "science"
    HISTORY = "history"
    POETRY = "poetry"
    FAMILY = "family"
    OTHER = "other"


class Message(Model):
    """A recording on its way to someone: ``status`` says how far it got; the recording's own
    work (its transcode) is the recording's."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_sender_user_id_created_at", "sender_user_id", "created_at", "id"),
        Index("ix_messages_child_id_direction_created_at", "child_id", "direction", "created_at", "id"),
        # One copy of a library story per child: a box never brings the same story twice.
        UniqueConstraint("library_story_id", "child_id", name="uq_messages_library_story_id_child_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(120))
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    # A child's copy of a library story: shares its recording and its story, owns neither.
    library_story_id: Mapped[str | None] = mapped_column(
        ForeignKey("library_stories.id", ondelete="CASCADE"), index=True
    )
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    # What a story is (None for a plain message).
    story_id: Mapped[str | None] = mapped_column(ForeignKey("stories.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    sender_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sender_device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the sender and their Idempotency-Key: a retried send finds the first message.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deliver_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    played_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A non-urgent delivery to a child waits out the child's quiet hours.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # A story that waits for the child's schedule instead of being delivered when ready.
    queued: Mapped[bool] = mapped_column(Boolean, default=False)


class Delivery(Model):
    """One recipient's copy: when it is due, when it arrived, and where they stopped listening."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint("(child_id IS NULL) <> (user_id IS NULL)", name="one_recipient"),
        UniqueConstraint("message_id", "child_id", name="uq_deliveries_message_id_child_id"),
        UniqueConstraint("message_id", "user_id", name="uq_deliveries_message_id_user_id"),
        # The inbox, newest first, for a child or a guardian.
        Index("ix_deliveries_child_id_delivered_at", "child_id", "delivered_at", "id"),
        Index("ix_deliveries_user_id_delivered_at", "user_id", "delivered_at", "id"),
        Index("ix_deliveries_delivered_at_due_at", "delivered_at", "due_at"),
        Index("ix_deliveries_schedule_id", "schedule_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    child_id: Mapped[str | None] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position_ms: Mapped[int] = mapped_column(Integer, default=0)
    played_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The schedule that planned this delivery, if one did.
    schedule_id: Mapped[str | None] = mapped_column(ForeignKey("schedules.id", ondelete="SET NULL"))

"""Help requests from children, the volunteers who answer them, and the trail of who saw what."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class Category(StrEnum):
    LONELY = "lonely"
    FAMILY = "family"
    SCHOOL = "school"
    BULLYING = "bullying"
    SAFETY = "safety"
    OTHER = "other"


class HelpStatus(StrEnum):
    QUEUED = "queued"
    HELD = "held"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


class Outcome(StrEnum):
    SUPPORTED = "supported"
    REFERRED = "referred"
    EMERGENCY_SERVICES = "emergency_services"
    NO_RESPONSE = "no_response"
    DUPLICATE = "duplicate"
    OTHER = "other"


class WaitingFor(StrEnum):
    """Who may claim a waiting request: any helper, or (escalated by a volunteer) supervisors."""

    VOLUNTEERS = "volunteers"
    SUPERVISORS = "supervisors"  # sorts first: a supervisor's claim takes these before the rest


class HelpEventKind(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    RELEASED = "released"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    LEASE_EXPIRED = "lease_expired"
    URGENT_WAITING = "urgent_waiting"
    REPLIED = "replied"  # the child wrote in the thread: for its holder
    ANSWERED = "answered"  # the helper wrote in the thread: for the child's devices


class HelpRequest(Model):
    """The row is the queue: claimable while ``waiting_for`` is set, ordered by ``rank_at``.

    ``rank_at`` is when the request queued, moved earlier by its priority; ordering by it gives
    oldest first within a priority and lets a long wait overtake a newer, higher priority
    (aging) without recomputing anything.
    """

    __tablename__ = "help_requests"
    __table_args__ = (
        Index("ix_help_requests_waiting_for_rank_at", "waiting_for", "rank_at"),
        Index("ix_help_requests_status_queued_at", "status", "queued_at"),
        Index("ix_help_requests_child_id_created_at", "child_id", "created_at", "id"),
        Index("ix_help_requests_held_by_status", "held_by", "status"),
        Index("ix_help_requests_status_lease_expires_at", "status", "lease_expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # None once the child was erased: the request stays, with no link to anyone, for the
    # safeguarding retention.
    child_id: Mapped[str | None] = mapped_column(ForeignKey("children.id", ondelete="SET NULL"))
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str | None] = mapped_column(Text)
    # Risk words the screening found in the text; they raise the priority and show why.
    risk_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    priority: Mapped[int] = mapped_column(Integer)  # 1 is the most urgent
    audio_recording_id: Mapped[str | None] = mapped_column(ForeignKey("recordings.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    # Set while the request waits in the queue (queued or escalated), None while held or resolved.
    waiting_for: Mapped[str | None] = mapped_column(String(16))
    rank_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When it last entered the queue: the unclaimed timers run from here.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    held_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    urgent_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who escalated it; None when the unclaimed timer did. A helper's escalation is for supervisors.
    escalated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    escalation_reason: Mapped[str | None] = mapped_column(String(500))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str | None] = mapped_column(String(500))
    audio_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HelpReply(Model):
    """One turn of the thread: from the child's device or from the helper holding the request."""

    __tablename__ = "help_replies"
    __table_args__ = (Index("ix_help_replies_request_id_created_at", "request_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"))
    # None when the child wrote it; otherwise the helper.
    author_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_child: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str | None] = mapped_column(Text)
    audio_recording_id: Mapped[str | None] = mapped_column(ForeignKey("recordings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Volunteer(Model):
    """A helper's presence: available or away, and how many requests they hold at most."""

    __tablename__ = "volunteers"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpEvent(Model):
    """What happened in the queue, in order: the volunteers' live stream, and what to push.

    The integer id orders the stream; ``push`` events also go out through the notifier, and
    ``pushed_at`` says they did (a sweeper sends again what a lost task left).
    """

    __tablename__ = "help_events"
    __table_args__ = (Index("ix_help_events_push_pushed_at", "push", "pushed_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    request_id: Mapped[str] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # For one helper only (their lease ran out, the child replied); None is for every helper.
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    push: Mapped[bool] = mapped_column(Boolean, default=False)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Model):
    """Who looked at or acted on a child's help request, and when. Read by admins only."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at", "id"),
        Index("ix_audit_log_request_id_at", "request_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    # Kept when the request is deleted: the trail outlives what it describes.
    request_id: Mapped[str] = mapped_column(String(32))

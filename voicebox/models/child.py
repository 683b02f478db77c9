"""A child, the guardians who look after them, their consents, and invitations to guard."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class Relation(StrEnum):
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    OTHER = "other"


class Child(Model):
    """Only what the service needs: no real name, no phone, no birthday beyond the year."""

    __tablename__ = "children"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    display_name: Mapped[str] = mapped_column(String(40))
    birth_year: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The watchdog's clock: when a guardian's message or story last reached the child (None:
    # never), and when the current silence began (that, or when the child was added).
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quiet_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Quiet hours in minutes after local midnight (the window may cross midnight); None: none.
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    # A guardian asked for the child to be erased: nobody reaches the child from then on, and
    # the sweeper erases every row and blob (see families/erasure.py).
    erase_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Guardianship(Model):
    __tablename__ = "guardianships"

    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    relation: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Model):
    """A guardian's consent to the processing of the child's data (PIPL art. 31, COPPA)."""

    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    guardian_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    policy_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GuardianInvite(Model):
    """A one-time code a guardian gives to a second guardian; only its hash is stored."""

    __tablename__ = "guardian_invites"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

"""A one-time code sent by SMS, proving that whoever types it back holds the phone."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class CodePurpose(StrEnum):
    REGISTER = "register"
    RESET = "reset"  # a forgotten password


class PhoneCode(Model):
    """Only the code's hash is kept; a few wrong guesses void it."""

    __tablename__ = "phone_codes"
    __table_args__ = (Index("ix_phone_codes_phone_purpose_created_at", "phone", "purpose", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

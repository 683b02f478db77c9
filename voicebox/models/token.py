"""Bearer tokens: random, stored only as a SHA-256 hash, expiring and revocable.

A token speaks either for a user or for a child's paired device, never both.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class AuthToken(Model):
    __tablename__ = "auth_tokens"
    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (device_id IS NULL)", name="one_subject"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

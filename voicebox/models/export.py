"""A guardian's request for everything voicebox holds about a child, and the zip that answers it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class ExportStatus(StrEnum):
    QUEUED = "queued"
    WORKING = "working"
    READY = "ready"
    FAILED = "failed"


class Export(Model):
    """Made by a worker; kept ``expires_at`` (24 h after it is ready) and then swept, zip and row."""

    __tablename__ = "exports"
    __table_args__ = (Index("ix_exports_status_lease_expires_at", "status", "lease_expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.QUEUED)
    # Percent of the work done, for the guardian to watch.
    progress: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While queued or working: when the sweeper may presume the task lost and enqueue it again.
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blob_key: Mapped[str | None] = mapped_column(String(512))
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

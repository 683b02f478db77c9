"""A recording: the audio someone sent, and the work of turning it into renditions.

Messages, library stories and help threads each refer to one; the recording knows nothing of
them. Its row is the truth about the work: ``status`` and the lease say what is left to do.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class RecordingStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Recording(Model):
    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_status_lease_expires_at", "status", "lease_expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(16))
    original_key: Mapped[str] = mapped_column(String(512))
    original_bytes: Mapped[int] = mapped_column(Integer)
    # The longest it may be, fixed when it was sent (a story may run longer than a message).
    max_seconds: Mapped[int] = mapped_column(Integer)
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    failure_detail: Mapped[str | None] = mapped_column(String(255))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    waveform: Mapped[list[int] | None] = mapped_column(JSON)
    # [{format, bitrate, bytes, key}], written once the transcode succeeds.
    renditions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While processing: when the running attempt began (None while queued), and when the sweeper
    # may presume the task or its worker lost and enqueue the recording again.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def blob_keys(self) -> list[str]:
        """Where its audio is stored: the original and each rendition."""
        return [self.original_key, *(rendition["key"] for rendition in self.renditions or [])]

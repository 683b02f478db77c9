"""A guardian's recurring schedule: at HH:MM on chosen weekdays in the child's time zone."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class Source(StrEnum):
    QUEUE = "queue"  # the family's queued stories, oldest first
    BOX = "box"  # a story box, in its order
    SERIES = "series"  # a series, episode by episode


class Schedule(Model):
    """``next_run_at`` is the next occurrence in UTC; the planner turns it into a delivery row
    shortly before, so the dispatcher only ever sees deliveries."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_paused_next_run_at", "paused", "next_run_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    minute_of_day: Mapped[int] = mapped_column(Integer)
    # ISO weekdays, 1 (Monday) to 7 (Sunday).
    weekdays: Mapped[list[int]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))
    box_id: Mapped[str | None] = mapped_column(ForeignKey("story_boxes.id", ondelete="CASCADE"))
    series_id: Mapped[str | None] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

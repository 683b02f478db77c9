"""A resumable (tus) upload: its declared length, how far it has got, and its stored chunks.

Chunks live in the blob store, not in one API process, so any process can continue an upload.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class Upload(Model):
    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint("(owner_user_id IS NULL) <> (owner_device_id IS NULL)", name="one_owner"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    owner_device_id: Mapped[str | None] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), index=True
    )
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set when the last byte arrived and the chunks were joined into ``blob_key``.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blob_key: Mapped[str | None] = mapped_column(String(512))


class UploadChunk(Model):
    __tablename__ = "upload_chunks"

    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(512))

"""Lists in (time, id) order, paged by an opaque cursor that never skips nor repeats.

A cursor is the (time, id) of the last item a page showed; the next page starts strictly after
it. Newest first, new rows sort before every cursor, so they never shift the pages being read.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, or_

from voicebox.errors import Invalid
from voicebox.extensions import db

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(at: datetime, id_: str) -> str:
    raw = f"{at.astimezone(UTC).isoformat()}|{id_}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, id_ = raw.split("|", 1)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("a cursor's time is always in UTC")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Invalid("That cursor is not one this server gave out.", {"cursor": ["Invalid."]}) from None
    return parsed, id_


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be 1 to {MAX_LIMIT}.", {"limit": [f"Must be 1 to {MAX_LIMIT}."]})
    return limit


def newest_first(
    query: Select, at: ColumnElement, id_: ColumnElement, cursor: str | None, limit: int
) -> tuple[list[Row], Row | None]:
    """One page of ``query`` ordered by (at, id) descending, after ``cursor``; and the row the
    next page's cursor points at, if there is a next page."""
    if cursor:
        cursor_at, cursor_id = decode_cursor(cursor)
        query = query.where(or_(at < cursor_at, and_(at == cursor_at, id_ < cursor_id)))
    return _page(query.order_by(at.desc(), id_.desc()), limit)


def oldest_first(
    query: Select, at: ColumnElement, id_: ColumnElement, cursor: str | None, limit: int
) -> tuple[list[Row], Row | None]:
    """As ``newest_first``, in ascending (at, id) order."""
    if cursor:
        cursor_at, cursor_id = decode_cursor(cursor)
        query = query.where(or_(at > cursor_at, and_(at == cursor_at, id_ > cursor_id)))
    return _page(query.order_by(at, id_), limit)


def _page(query: Select, limit: int) -> tuple[list[Row], Row | None]:
    rows = db.session.execute(query.limit(check_limit(limit) + 1)).all()
    return rows[:limit], rows[limit - 1] if len(rows) > limit else None

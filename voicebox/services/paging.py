"""Lists in (time, id) order, paged by an opaque cursor that never skips nor repeats.

A cursor is the (time, id) of the last item a page showed; the next page starts strictly after
it. Newest first, new rows sort before every cursor, so they never shift the pages being read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, bindparam, or_
from sqlalchemy.orm import InstrumentedAttribute

from voicebox.errors import Invalid
from voicebox.extensions import db

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


# What a page is ordered by: a model's column, or a labelled expression.
Column = ColumnElement[Any] | InstrumentedAttribute[Any]


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
    query: Select,
    at: Column,
    id_: Column,
    cursor: str | None,
    limit: int,
    reader: Connection | None = None,
) -> tuple[Sequence[Row], Row | None]:
    """One page of ``query`` ordered by (at, id) descending, after ``cursor``; and the row the
    next page's cursor points at, if there is a next page. Read on ``reader`` (``reads``), or
    else by the request's session."""
    return page(ordered(query, at, id_, newest_first=True, after_cursor=bool(cursor)), cursor, limit, reader)


def oldest_first(
    query: Select, at: Column, id_: Column, cursor: str | None, limit: int
) -> tuple[Sequence[Row], Row | None]:
    """As ``newest_first``, in ascending (at, id) order."""
    return page(ordered(query, at, id_, newest_first=False, after_cursor=bool(cursor)), cursor, limit)


def ordered(query: Select, at: Column, id_: Column, *, newest_first: bool, after_cursor: bool) -> Select:
    """``query`` in (at, id) order, strictly after the cursor bound by ``page`` if
    ``after_cursor``, at most the bound limit of rows: a hot path builds it once and reuses it."""
    if after_cursor:
        cursor_at = bindparam("cursor_at", type_=at.type)
        cursor_id = bindparam("cursor_id", type_=id_.type)
        if newest_first:
            query = query.where(or_(at < cursor_at, and_(at == cursor_at, id_ < cursor_id)))
        else:
            query = query.where(or_(at > cursor_at, and_(at == cursor_at, id_ > cursor_id)))
    order = (at.desc(), id_.desc()) if newest_first else (at, id_)
    return query.order_by(*order).limit(bindparam("rows"))


def page(
    statement: Select,
    cursor: str | None,
    limit: int,
    reader: Connection | None = None,
    params: dict[str, Any] | None = None,
) -> tuple[Sequence[Row], Row | None]:
    """Run ``statement`` (from ``ordered``) for one page after ``cursor``, with ``params``; the
    page's rows, and the row the next page's cursor points at if there is a next page."""
    bound = {**(params or {}), "rows": check_limit(limit) + 1}
    if cursor:
        bound["cursor_at"], bound["cursor_id"] = decode_cursor(cursor)
    rows = (reader or db.session).execute(statement, bound).all()
    return rows[:limit], rows[limit - 1] if len(rows) > limit else None

"""Inbox and outbox: newest first, paged by an opaque cursor that never skips nor repeats.

A cursor is the (time, id) of the last item a page showed; the next page starts strictly after
it. New messages sort before every cursor, so they never shift the pages being read.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select
from sqlalchemy.orm import aliased

from voicebox.errors import Invalid
from voicebox.extensions import db
from voicebox.models import Child, Delivery, Direction, Message, User
from voicebox.services.messaging import VIEW_COLUMNS, Mailbox, MessageView, Party, view
from voicebox.services.tokens import Principal

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    items: list[MessageView]
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


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be 1 to {MAX_LIMIT}.", {"limit": [f"Must be 1 to {MAX_LIMIT}."]})
    return limit


Sender = aliased(User)


def _inbox_query(mailbox: Mailbox) -> Select:
    return (
        select(
            *VIEW_COLUMNS,
            Delivery.id.label("delivery_id"),
            Delivery.delivered_at.label("arrived_at"),
            Delivery.position_ms.label("position_ms"),
            Child.display_name.label("child_name"),
            Sender.display_name.label("sender_name"),
        )
        .join(Message, Message.id == Delivery.message_id)
        .join(Child, Child.id == Message.child_id)
        .outerjoin(Sender, Sender.id == Message.sender_user_id)
        .where(mailbox.holds, Delivery.delivered_at.is_not(None))
    )


def _view(row: Row, position_ms: int | None) -> MessageView:
    sender = Party(row.sender_user_id, row.sender_name) if row.sender_user_id else None
    return view(row, Party(row.child_id, row.child_name), sender, position_ms)


def _newest_first(
    query: Select, at: ColumnElement, id_: ColumnElement, cursor: str | None, limit: int
) -> tuple[list[Row], Row | None]:
    """One page of ``query`` ordered by (at, id) descending, after ``cursor``; and the row the
    next page's cursor points at, if there is a next page."""
    if cursor:
        cursor_at, cursor_id = decode_cursor(cursor)
        query = query.where(or_(at < cursor_at, and_(at == cursor_at, id_ < cursor_id)))
    rows = db.session.execute(query.order_by(at.desc(), id_.desc()).limit(_check_limit(limit) + 1)).all()
    return rows[:limit], rows[limit - 1] if len(rows) > limit else None


def inbox(principal: Principal, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    """Messages delivered to the caller (a child's device, or a guardian), newest first."""
    query = _inbox_query(Mailbox.of(principal))
    rows, last = _newest_first(query, Delivery.delivered_at, Delivery.id, cursor, limit)
    items = [_view(row, row.position_ms) for row in rows]
    return Page(items, encode_cursor(last.arrived_at, last.delivery_id) if last else None)


def inbox_since(mailbox: Mailbox, cursor: str) -> list[tuple[str, MessageView]]:
    """Deliveries after ``cursor``, oldest first, each with its own cursor."""
    at, id_ = decode_cursor(cursor)
    query = _inbox_query(mailbox).where(
        or_(Delivery.delivered_at > at, and_(Delivery.delivered_at == at, Delivery.id > id_))
    )
    rows = db.session.execute(query.order_by(Delivery.delivered_at, Delivery.id).limit(MAX_LIMIT)).all()
    return [(encode_cursor(row.arrived_at, row.delivery_id), _view(row, row.position_ms)) for row in rows]


def newest_cursor(mailbox: Mailbox) -> str:
    """A cursor at the newest delivery now in the inbox (the epoch if it is empty)."""
    newest = db.session.execute(
        _inbox_query(mailbox).order_by(Delivery.delivered_at.desc(), Delivery.id.desc()).limit(1)
    ).first()
    if newest is None:
        return encode_cursor(datetime(1970, 1, 1, tzinfo=UTC), "")
    return encode_cursor(newest.arrived_at, newest.delivery_id)


def outbox(principal: Principal, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    """Messages the caller sent (a device: what its child sent), newest first, any status."""
    if principal.child is not None:
        mine = and_(Message.child_id == principal.child.id, Message.direction == Direction.TO_GUARDIANS)
    else:
        mine = Message.sender_user_id == principal.user.id  # type: ignore[union-attr]
    query = (
        select(
            *VIEW_COLUMNS, Child.display_name.label("child_name"), Sender.display_name.label("sender_name")
        )
        .join(Child, Child.id == Message.child_id)
        .outerjoin(Sender, Sender.id == Message.sender_user_id)
        .where(mine)
    )
    rows, last = _newest_first(query, Message.created_at, Message.id, cursor, limit)
    return Page([_view(row, None) for row in rows], encode_cursor(last.created_at, last.id) if last else None)

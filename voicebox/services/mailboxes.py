"""Inbox and outbox: newest first, paged by ``paging``'s cursors."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Row, Select, and_, or_, select
from sqlalchemy.orm import aliased

from voicebox.extensions import db
from voicebox.models import Child, Delivery, Direction, Message, Organisation, User
from voicebox.services.messaging import VIEW_COLUMNS, Mailbox, MessageView, Party, view
from voicebox.services.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    decode_cursor,
    encode_cursor,
    newest_first,
)
from voicebox.services.tokens import Principal

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
            Organisation.name.label("org_name"),
        )
        .join(Message, Message.id == Delivery.message_id)
        .join(Child, Child.id == Message.child_id)
        .outerjoin(Sender, Sender.id == Message.sender_user_id)
        .outerjoin(Organisation, Organisation.id == Message.org_id)
        .where(mailbox.holds, Delivery.delivered_at.is_not(None))
    )


def _view(row: Row, position_ms: int | None) -> MessageView:
    if row.org_id is not None:
        # A library story's copy (only in an inbox: it has no sender, so no outbox lists it).
        sender: Party | None = Party(row.org_id, row.org_name)
    else:
        sender = Party(row.sender_user_id, row.sender_name) if row.sender_user_id else None
    return view(row, Party(row.child_id, row.child_name), sender, position_ms)


def inbox(principal: Principal, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    """Messages delivered to the caller (a child's device, or a guardian), newest first."""
    query = _inbox_query(Mailbox.of(principal))
    rows, last = newest_first(query, Delivery.delivered_at, Delivery.id, cursor, limit)
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
        mine = and_(
            Message.sender_user_id == principal.user.id,  # type: ignore[union-attr]
            Message.direction != Direction.HELP_THREAD,
        )
    query = (
        select(
            *VIEW_COLUMNS, Child.display_name.label("child_name"), Sender.display_name.label("sender_name")
        )
        .join(Child, Child.id == Message.child_id)
        .outerjoin(Sender, Sender.id == Message.sender_user_id)
        .where(mine)
    )
    rows, last = newest_first(query, Message.created_at, Message.id, cursor, limit)
    return Page([_view(row, None) for row in rows], encode_cursor(last.created_at, last.id) if last else None)

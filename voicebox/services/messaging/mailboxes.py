"""Inbox and outbox: newest first, paged by ``paging``'s cursors.

A page is one committed read (``reads``): every phone and every parent's page asks for one, and
it is the only statement of its request after the token's.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    DateTime,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    func,
    null,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from voicebox.extensions import db
from voicebox.models import (
    Child,
    Delivery,
    Direction,
    LibraryStory,
    Message,
    Organisation,
    Recording,
    Story,
    User,
)
from voicebox.services import policy, reads
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.messaging.message_views import (
    VIEW_COLUMNS,
    Mailbox,
    MessageView,
    Party,
    message_view,
    with_audio,
)
from voicebox.services.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    decode_cursor,
    encode_cursor,
    newest_first,
    ordered,
    page,
)

Sender = aliased(User)


def _inbox_query(holds: ColumnElement[bool]) -> Select:
    """Deliveries that ``holds`` picks, with what a page shows of each."""
    return (
        select(
            *VIEW_COLUMNS,
            Delivery.id.label("delivery_id"),
            Delivery.delivered_at.label("arrived_at"),
            Delivery.position_ms.label("position_ms"),
            Child.display_name.label("child_name"),
            Sender.display_name.label("sender_name"),
            Organisation.id.label("org_id"),
            Organisation.name.label("org_name"),
        )
        .join(Message, Message.id == Delivery.message_id)
        .join(Recording, Recording.id == Message.recording_id)
        .outerjoin(Story, Story.id == Message.story_id)
        .join(Child, Child.id == Message.child_id)
        .outerjoin(Sender, Sender.id == Message.sender_user_id)
        .outerjoin(LibraryStory, LibraryStory.id == Message.library_story_id)
        .outerjoin(Organisation, Organisation.id == LibraryStory.org_id)
        .where(holds, Delivery.delivered_at.is_not(None))
    )


@functools.cache
def _inbox_page(of_child: bool, after_cursor: bool) -> Select:
    """A page of the inbox of the child or the user bound as ``owner``, built once per shape,
    since building the statement cost more than running it."""
    owner: BindParameter[str] = bindparam("owner")
    holds = Delivery.child_id == owner if of_child else Delivery.user_id == owner
    return ordered(
        _inbox_query(holds), Delivery.delivered_at, Delivery.id, newest_first=True, after_cursor=after_cursor
    )


def _view(row: Row, position_ms: int | None) -> MessageView:
    if row.org_id is not None:
        # A library story's copy (only in an inbox: it has no sender, so no outbox lists it).
        sender: Party | None = Party(row.org_id, row.org_name)
    else:
        sender = Party(row.sender_user_id, row.sender_name) if row.sender_user_id else None
    return message_view(row, Party(row.child_id, row.child_name), sender, position_ms)


def inbox(principal: Principal, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    """Messages delivered to the caller (a child's device, or a guardian), newest first."""
    policy.consented_for_all(principal)
    mailbox = Mailbox.of(principal)
    statement = _inbox_page(mailbox.child_id is not None, bool(cursor))
    with reads.committed() as reader:
        rows, last = page(statement, cursor, limit, reader, {"owner": mailbox.child_id or mailbox.user_id})
    items = [_view(row, row.position_ms) for row in rows]
    return Page(items, encode_cursor(last.arrived_at, last.delivery_id) if last else None)


@functools.cache
def _inbox_after(of_child: bool) -> Select:
    """Deliveries after a cursor, oldest first: what a live stream reads on each wake-up."""
    owner: BindParameter[str] = bindparam("owner")
    holds = Delivery.child_id == owner if of_child else Delivery.user_id == owner
    return ordered(
        _inbox_query(holds), Delivery.delivered_at, Delivery.id, newest_first=False, after_cursor=True
    )


def inbox_since(mailbox: Mailbox, cursor: str) -> list[tuple[str, MessageView]]:
    """Deliveries after ``cursor``, oldest first, each with its own cursor (one committed read)."""
    statement = _inbox_after(mailbox.child_id is not None)
    with reads.committed() as reader:
        rows, _ = page(statement, cursor, MAX_LIMIT, reader, {"owner": mailbox.child_id or mailbox.user_id})
    return [(encode_cursor(row.arrived_at, row.delivery_id), _view(row, row.position_ms)) for row in rows]


@functools.cache
def _inbox_after_many(of_child: bool) -> Select:
    """``_inbox_after`` for many mailboxes at once (PostgreSQL): each (owner, cursor) pair of
    the bound arrays, numbered ``n``, joined to the deliveries after its cursor."""
    after = (
        func.unnest(
            bindparam("owners", type_=ARRAY(String)),
            bindparam("ats", type_=ARRAY(DateTime(timezone=True))),
            bindparam("ids", type_=ARRAY(String)),
            bindparam("ns", type_=ARRAY(Integer)),
        )
        .table_valued("owner", "at", "id", "n")
        .render_derived(name="after")
    )
    owner = Delivery.child_id if of_child else Delivery.user_id
    return (
        _inbox_query(owner == after.c.owner)
        .add_columns(after.c.n)
        .where(
            or_(
                Delivery.delivered_at > after.c.at,
                and_(Delivery.delivered_at == after.c.at, Delivery.id > after.c.id),
            )
        )
        .order_by(Delivery.delivered_at, Delivery.id)
    )


def inbox_since_many(after: list[tuple[Mailbox, str]]) -> list[list[tuple[str, MessageView]]]:
    """What ``inbox_since`` finds for each (mailbox, cursor), for many at once: on PostgreSQL
    one statement for the children's and one for the guardians' (a bedtime wakes thousands of
    phones together), elsewhere one each."""
    if db.engine.dialect.name != "postgresql":
        return [inbox_since(mailbox, cursor) for mailbox, cursor in after]
    found: list[list[tuple[str, MessageView]]] = [[] for _ in after]
    for of_child in (True, False):
        chosen = [n for n, (mailbox, _) in enumerate(after) if (mailbox.child_id is not None) == of_child]
        if not chosen:
            continue
        cursors = [decode_cursor(after[n][1]) for n in chosen]
        params = {
            "owners": [after[n][0].child_id or after[n][0].user_id for n in chosen],
            "ats": [at for at, _ in cursors],
            "ids": [id_ for _, id_ in cursors],
            "ns": chosen,
        }
        with reads.committed() as reader:
            rows = reader.execute(_inbox_after_many(of_child), params).all()
        for row in rows:
            if len(found[row.n]) < MAX_LIMIT:
                found[row.n].append(
                    (encode_cursor(row.arrived_at, row.delivery_id), _view(row, row.position_ms))
                )
    return found


def newest_cursor(mailbox: Mailbox) -> str:
    """A cursor at the newest delivery now in the inbox (the epoch if it is empty)."""
    newest = db.session.execute(
        _inbox_query(mailbox.holds).order_by(Delivery.delivered_at.desc(), Delivery.id.desc()).limit(1)
    ).first()
    if newest is None:
        return encode_cursor(datetime(1970, 1, 1, tzinfo=UTC), "")
    return encode_cursor(newest.arrived_at, newest.delivery_id)


def outbox(principal: Principal, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    """Messages the caller sent (a device: what its child sent), newest first, any status."""
    policy.consented_for_all(principal)
    if principal.child is not None:
        mine = and_(Message.child_id == principal.child.id, Message.direction == Direction.TO_GUARDIANS)
    else:
        mine = Message.sender_user_id == user_of(principal).id
    query = (
        with_audio(
            select(
                *VIEW_COLUMNS,
                Child.display_name.label("child_name"),
                Sender.display_name.label("sender_name"),
                # No library story's copy has a sender, so none is in an outbox.
                null().label("org_id"),
                null().label("org_name"),
            )
        )
        .join(Child, Child.id == Message.child_id)
        .outerjoin(Sender, Sender.id == Message.sender_user_id)
        .where(mine)
    )
    with reads.committed() as reader:
        rows, last = newest_first(query, Message.created_at, Message.id, cursor, limit, reader)
    return Page([_view(row, None) for row in rows], encode_cursor(last.created_at, last.id) if last else None)

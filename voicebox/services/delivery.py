"""Putting a ready message into its recipients' inboxes, now or when it falls due.

Deliveries are rows with ``due_at``; a beat tick claims the due ones in batches and marks them
delivered exactly once, however many ticks run at once: rows are locked with SKIP LOCKED on
PostgreSQL, and the update is conditional on ``delivered_at IS NULL`` everywhere.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exists, select, update

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Child, Delivery, Direction, Guardianship, Message, MessageStatus
from voicebox.notify import Notifier
from voicebox.services import watchdog
from voicebox.services.messaging import Mailbox

log = logging.getLogger(__name__)

BATCH = 500
# A delivery still not notified this long after it arrived lost its task: send it again.
NOTIFY_GRACE = timedelta(minutes=2)


def prepare(message: Message) -> None:
    """Add the message's delivery rows (in the caller's transaction); deliver now if due."""
    now = utcnow()
    due = max(message.deliver_at or now, now)
    if message.direction == Direction.HELP_THREAD:
        rows = []  # heard inside its help request's thread, never through an inbox
    elif message.direction == Direction.TO_CHILD:
        rows = [Delivery(message_id=message.id, child_id=message.child_id, due_at=due)]
    else:
        guardians = db.session.scalars(
            select(Guardianship.user_id).where(Guardianship.child_id == message.child_id)
        )
        rows = [Delivery(message_id=message.id, user_id=user_id, due_at=due) for user_id in guardians]
    db.session.add_all(rows)
    db.session.flush()
    if due <= now:
        for row in rows:
            row.delivered_at = now
            jobs.enqueue(jobs.NOTIFY, row.id)
        message.status = MessageStatus.DELIVERED
        message.delivered_at = now
        if message.direction == Direction.TO_CHILD:
            watchdog.record_contact([message.child_id], now)
    else:
        message.status = MessageStatus.SCHEDULED


def dispatch_due() -> int:
    """Deliver one batch of due rows; returns how many this call delivered."""
    now = utcnow()
    due_ids = list(
        db.session.scalars(
            select(Delivery.id)
            .where(Delivery.delivered_at.is_(None), Delivery.due_at <= now)
            .order_by(Delivery.due_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    delivered = 0
    if due_ids:
        claimed = db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(due_ids), Delivery.delivered_at.is_(None))
            .values(delivered_at=now)
            .returning(Delivery.id, Delivery.message_id, Delivery.child_id)
        ).all()
        delivered = len(claimed)
        message_ids = {row.message_id for row in claimed}
        # A delivery to a child is a guardian's message: contact from home.
        watchdog.record_contact({row.child_id for row in claimed if row.child_id}, now)
        pending = exists().where(Delivery.message_id == Message.id, Delivery.delivered_at.is_(None))
        db.session.execute(
            update(Message)
            .where(Message.id.in_(message_ids), Message.status == MessageStatus.SCHEDULED, ~pending)
            .values(status=MessageStatus.DELIVERED, delivered_at=now)
        )
        for row in claimed:
            jobs.enqueue(jobs.NOTIFY, row.id)
    _renotify_lost(now)
    db.session.commit()
    return delivered


def _renotify_lost(now: datetime) -> None:
    lost = db.session.scalars(
        select(Delivery.id)
        .where(Delivery.notified_at.is_(None), Delivery.delivered_at < now - NOTIFY_GRACE)
        .limit(BATCH)
    )
    for delivery_id in lost:
        jobs.enqueue(jobs.NOTIFY, delivery_id)


def notify(delivery_id: str, notifier: Notifier) -> bool:
    """Tell the recipient (notifier, live inbox streams); False if there was nothing to do."""
    row = db.session.execute(
        select(Delivery, Message, Child)
        .join(Message, Message.id == Delivery.message_id)
        .join(Child, Child.id == Message.child_id)
        .where(Delivery.id == delivery_id)
    ).first()
    if row is None or row.Delivery.notified_at is not None or row.Delivery.delivered_at is None:
        return False
    delivery, message, child = row
    event: dict[str, Any] = {
        "type": "message.delivered",
        "message_id": message.id,
        "kind": message.kind,
        "title": message.title,
        "child_id": child.id,
        "recipient": {"child_id": delivery.child_id} if delivery.child_id else {"user_id": delivery.user_id},
    }
    notifier.notify(event)
    current_app.extensions["voicebox.event_bus"].publish(Mailbox(delivery.child_id, delivery.user_id).topic)
    delivery.notified_at = utcnow()
    db.session.commit()
    return True

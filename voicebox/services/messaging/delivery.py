"""Putting a ready message into its recipients' inboxes, now or when it falls due.

Deliveries are rows with ``due_at``; a beat tick claims the due ones in batches and marks them
delivered exactly once, however many ticks run at once: rows are locked with SKIP LOCKED on
PostgreSQL, and the update is conditional on ``delivered_at IS NULL`` everywhere. A delivery
to a child that is not urgent is due after the child's quiet hours.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select, update

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Child, Delivery, Direction, Guardianship, Message, MessageStatus, RecordingStatus
from voicebox.notify import Notifier, NotifyFailed, notification_id
from voicebox.services.local_times import after_quiet_hours
from voicebox.services.messaging.message_views import Mailbox
from voicebox.services.work import unit, use_case

log = logging.getLogger(__name__)

BATCH = 500
# A delivery still not notified this long after it arrived lost its task: send it again.
NOTIFY_GRACE = timedelta(minutes=2)


def due_for_child(message: Message, child: Child, at: datetime) -> datetime:
    """When a delivery to ``child`` asked for ``at`` may arrive: after their quiet hours,
    unless the sender marked it urgent."""
    if message.urgent:
        return at
    return after_quiet_hours(at, child.timezone, child.quiet_start, child.quiet_end)


def recording_settled(recording_id: str, status: RecordingStatus) -> None:
    """The messages that waited for this recording go on their way, or fail with it (in the
    transaction that settled it: ``processing`` follows with this)."""
    waiting = db.session.scalars(
        select(Message).where(
            Message.recording_id == recording_id, Message.status == MessageStatus.PROCESSING
        )
    )
    for message in list(waiting):
        if status == RecordingStatus.READY:
            prepare(message)
        else:
            message.status = MessageStatus.FAILED


def prepare(message: Message) -> None:
    """Add the message's delivery rows (in the caller's transaction); deliver now if due.

    A queued story waits for the child's schedule, which adds its delivery row when its turn
    comes.
    """
    now = utcnow()
    asked = max(message.deliver_at or now, now)
    if message.queued:
        message.status = MessageStatus.SCHEDULED
        return
    if message.direction == Direction.TO_CHILD:
        child = db.session.get_one(Child, message.child_id)
        rows = [
            Delivery(message_id=message.id, child_id=child.id, due_at=due_for_child(message, child, asked))
        ]
    else:
        guardians = db.session.scalars(
            select(Guardianship.user_id).where(Guardianship.child_id == message.child_id)
        )
        rows = [Delivery(message_id=message.id, user_id=user_id, due_at=asked) for user_id in guardians]
    _place(message, rows, now)


def _place(message: Message, rows: list[Delivery], now: datetime) -> None:
    """Add ``rows`` of ``message``: delivered now if all are due, else the message waits."""
    db.session.add_all(rows)
    db.session.flush()
    if all(row.due_at <= now for row in rows):
        deliver_now(message, rows, now)
    else:
        message.status = MessageStatus.SCHEDULED


def deliver_now(message: Message, rows: list[Delivery], now: datetime) -> None:
    """Mark ``rows`` of ``message`` delivered (in the caller's transaction) and tell them."""
    for row in rows:
        row.delivered_at = now
        jobs.wake(Mailbox(row.child_id, row.user_id).topic)
    if rows:
        jobs.enqueue(jobs.NOTIFY, *(row.id for row in rows))
    message.status = MessageStatus.DELIVERED
    message.delivered_at = now
    if message.direction == Direction.TO_CHILD and message.library_story_id is None:
        record_contact([message.child_id], now)


def give(
    child: Child, message: Message, due: datetime, schedule_id: str | None = None, urgent: bool = False
) -> None:
    """Bring ``message`` (a story waiting, or a library story's copy) to ``child`` at ``due``,
    after their quiet hours unless ``urgent``, in the caller's transaction."""
    due = due if urgent else due_for_child(message, child, due)
    row = Delivery(message_id=message.id, child_id=child.id, due_at=due, schedule_id=schedule_id)
    _place(message, [row], utcnow())


@use_case
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
            .returning(Delivery.id, Delivery.message_id, Delivery.child_id, Delivery.user_id)
        ).all()
        delivered = len(claimed)
        # Live streams look as soon as this commits, not after the notifier (a webhook per
        # delivery) has told everyone.
        for row in claimed:
            jobs.wake(Mailbox(row.child_id, row.user_id).topic)
        message_ids = {row.message_id for row in claimed}
        _record_contact(message_ids, now)
        # Bounded by the batch's messages: an anti-join against every undelivered row made
        # each batch of a 100,000-row spike read them all.
        pending = select(Delivery.message_id).where(
            Delivery.message_id.in_(message_ids), Delivery.delivered_at.is_(None)
        )
        db.session.execute(
            update(Message)
            .where(
                Message.id.in_(message_ids),
                Message.status == MessageStatus.SCHEDULED,
                Message.id.not_in(pending),
            )
            .values(status=MessageStatus.DELIVERED, delivered_at=now)
        )
        # One task per batch: a task per delivery made the broker the bottleneck of a spike.
        jobs.enqueue(jobs.NOTIFY, *(row.id for row in claimed))
    return delivered


def record_contact(child_ids: Collection[str], at: datetime) -> None:
    """A guardian's message reached these children (in the caller's transaction): the clock of
    the no-contact watchdog (``families.watchdog``) starts again."""
    if child_ids:
        db.session.execute(
            update(Child)
            .where(Child.id.in_(child_ids))
            .values(last_contact_at=at, quiet_since=at)
            .execution_options(synchronize_session=False)
        )


def _record_contact(message_ids: set[str], now: datetime) -> None:
    """A guardian's own message to a child is contact from home; a library story is not."""
    from_home = db.session.scalars(
        select(Message.child_id).where(
            Message.id.in_(message_ids),
            Message.direction == Direction.TO_CHILD,
            Message.library_story_id.is_(None),
        )
    )
    record_contact(set(from_home), now)


@use_case
def renotify_lost() -> None:
    """Send again the notifications of deliveries whose task was lost (once per tick: while a
    spike's notifications are still queued, they are not lost)."""
    now = utcnow()
    lost = list(
        db.session.scalars(
            select(Delivery.id)
            .where(Delivery.notified_at.is_(None), Delivery.delivered_at < now - NOTIFY_GRACE)
            .limit(BATCH)
        )
    )
    if lost:
        jobs.enqueue(jobs.NOTIFY, *lost)


def notify(delivery_ids: Collection[str], notifier: Notifier) -> int:
    """Tell each recipient once through the notifier (live streams were woken when the rows
    were delivered); returns how many were told.

    The rows are locked (SKIP LOCKED), so a re-sent task running beside the first tells nobody
    twice. When the notifier fails, those told so far are kept and the error raised, so the
    task's retry tells only the rest.
    """
    with unit(alone=True):
        told, failed = _tell(delivery_ids, notifier)
    if failed is not None:
        raise failed
    return told


def _tell(delivery_ids: Collection[str], notifier: Notifier) -> tuple[int, NotifyFailed | None]:
    """How many of the deliveries were told and marked so, and why the rest were not."""
    rows = db.session.execute(
        select(
            Delivery.id,
            Delivery.child_id,
            Delivery.user_id,
            Message.id.label("message_id"),
            Message.kind,
            Message.title,
            Message.child_id.label("about_child_id"),
        )
        .join(Message, Message.id == Delivery.message_id)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.notified_at.is_(None),
            Delivery.delivered_at.is_not(None),
        )
        .with_for_update(skip_locked=True, of=Delivery)
    ).all()
    told: list[str] = []
    failed = None
    for row in rows:
        try:
            notifier.notify(
                {
                    "id": notification_id("message.delivered", row.id),
                    "type": "message.delivered",
                    "message_id": row.message_id,
                    "kind": row.kind,
                    "title": row.title,
                    "child_id": row.about_child_id,
                    "recipient": {"child_id": row.child_id} if row.child_id else {"user_id": row.user_id},
                }
            )
        except NotifyFailed as error:
            failed = error
            break
        told.append(row.id)
    if told:
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(told))
            .values(notified_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return len(told), failed

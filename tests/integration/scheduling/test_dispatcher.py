"""The dispatcher and the schedule planner: two of each running at once by mistake still
deliver each row once and run each schedule once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import Api
from tests.integration.recordings import seeded_recording
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Child, Delivery, Direction, Message, MessageStatus, Schedule
from voicebox.services.messaging import delivery
from voicebox.services.scheduling import schedules

DUE = 1500
SCHEDULES_PER_CHILD = 100


def in_two_threads(app: Flask, step) -> list[int]:
    """Run ``step`` until it finds nothing, in two threads started together; what each call did."""
    counted: list[int] = []
    start = threading.Barrier(2)

    def run() -> None:
        with app.app_context():
            start.wait()
            while done := step():
                counted.append(done)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # No worker runs here: drop the notifications they enqueued, so no later test inherits them.
    app.extensions["celery"].control.purge()
    return counted


@pytest.mark.parametrize("app", ["production"], indirect=True)
def test_two_dispatchers_deliver_each_due_row_exactly_once(app: Flask, make_child, parent: Api) -> None:
    children = [make_child(display_name=f"Child {n}")["id"] for n in range(5)]
    due = utcnow() - timedelta(seconds=1)
    with app.app_context():
        recording_id = seeded_recording()
        for n in range(DUE):
            message = Message(
                kind="story",
                child_id=children[n % len(children)],
                direction=Direction.TO_CHILD,
                sender_user_id=parent.user["id"],
                status=MessageStatus.SCHEDULED,
                recording_id=recording_id,
                deliver_at=due,
            )
            db.session.add(message)
            db.session.flush()
            db.session.add(Delivery(message_id=message.id, child_id=message.child_id, due_at=due))
        db.session.commit()

    counted = in_two_threads(app, delivery.dispatch_due)
    # Each row was delivered by one of them: the counts add up to the rows, never more.
    assert sum(counted) == DUE
    with app.app_context():
        undelivered = db.session.scalar(select(func.count()).where(Delivery.delivered_at.is_(None)))
        statuses = set(db.session.scalars(select(Message.status)))
        quiet_since = set(db.session.scalars(select(Child.quiet_since).where(Child.id.in_(children))))
    assert undelivered == 0 and statuses == {MessageStatus.DELIVERED}
    assert all(at >= due for at in quiet_since)  # each child heard from home


def queued_story(child_id: str, sender_id: str, recording_id: str) -> Message:
    return Message(
        kind="story",
        child_id=child_id,
        direction=Direction.TO_CHILD,
        sender_user_id=sender_id,
        status=MessageStatus.SCHEDULED,
        queued=True,
        recording_id=recording_id,
    )


@pytest.mark.parametrize("app", ["production"], indirect=True)
def test_two_planners_run_each_schedule_once_and_never_give_an_item_twice(
    app: Flask, make_child, parent: Api
) -> None:
    children = [make_child(display_name=f"Child {n}")["id"] for n in range(3)]
    now = utcnow()
    with app.app_context():
        recording_id = seeded_recording()
        for child_id in children:
            # A child with many schedules on one queue: each run must take a different story.
            db.session.add_all(
                queued_story(child_id, parent.user["id"], recording_id)
                for _ in range(SCHEDULES_PER_CHILD + 5)
            )
            db.session.add_all(
                Schedule(
                    child_id=child_id,
                    minute_of_day=20 * 60,
                    weekdays=[1, 2, 3, 4, 5, 6, 7],
                    source="queue",
                    paused=False,
                    next_run_at=now - timedelta(seconds=n),
                )
                for n in range(SCHEDULES_PER_CHILD)
            )
        db.session.commit()

    in_two_threads(app, schedules.plan_due)
    with app.app_context():
        ran = db.session.scalar(select(func.count()).where(Schedule.last_run_at.is_not(None)))
        future = db.session.scalar(select(func.count()).where(Schedule.next_run_at > now))
        given = db.session.execute(
            select(Delivery.child_id, func.count(), func.count(func.distinct(Delivery.message_id))).group_by(
                Delivery.child_id
            )
        ).all()
    total = SCHEDULES_PER_CHILD * len(children)
    assert ran == total and future == total
    assert sorted(given) == sorted(
        (child_id, SCHEDULES_PER_CHILD, SCHEDULES_PER_CHILD) for child_id in children
    )

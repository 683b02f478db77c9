"""The delivery dispatcher: two ticks running at once by mistake still deliver each row once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import Api
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Child, Delivery, Direction, Message, MessageStatus
from voicebox.services import delivery

DUE = 1500


@pytest.mark.parametrize("app", ["production"], indirect=True)
def test_two_dispatchers_deliver_each_due_row_exactly_once(app: Flask, make_child, parent: Api) -> None:
    children = [make_child(display_name=f"Child {n}")["id"] for n in range(5)]
    due = utcnow() - timedelta(seconds=1)
    with app.app_context():
        for n in range(DUE):
            message = Message(
                kind="story",
                child_id=children[n % len(children)],
                direction=Direction.TO_CHILD,
                sender_user_id=parent.user["id"],
                status=MessageStatus.SCHEDULED,
                original_key="seed/original",
                original_bytes=1,
                duration_ms=1000,
                renditions=[],
                deliver_at=due,
            )
            db.session.add(message)
            db.session.flush()
            db.session.add(Delivery(message_id=message.id, child_id=message.child_id, due_at=due))
        db.session.commit()

    counted: list[int] = []
    start = threading.Barrier(2)

    def dispatcher() -> None:
        with app.app_context():
            start.wait()
            while delivered := delivery.dispatch_due():
                counted.append(delivered)
            db.session.remove()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # No worker runs here: drop the notifications they enqueued, so no later test inherits them.
    app.extensions["celery"].control.purge()
    # Each row was delivered by one of them: the counts add up to the rows, never more.
    assert sum(counted) == DUE
    with app.app_context():
        undelivered = db.session.scalar(select(func.count()).where(Delivery.delivered_at.is_(None)))
        statuses = set(db.session.scalars(select(Message.status)))
        quiet_since = set(db.session.scalars(select(Child.quiet_since).where(Child.id.in_(children))))
    assert undelivered == 0 and statuses == {MessageStatus.DELIVERED}
    assert all(at >= due for at in quiet_since)  # each child heard from home

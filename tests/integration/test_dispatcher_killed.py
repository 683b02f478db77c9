"""The worker killed with SIGKILL in the middle of a dispatcher batch, Jepsen's way: thousands
of deliveries fall due, the worker dies between batches' commits, a new one takes over, the run
drains, and what came out is compared with what went in: each delivery delivered once, each
notification sent at least once, and the repeats carry the same id for the receiver to drop."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from tests.conftest import Api, Receiver, running_worker
from tests.integration.recordings import seeded_recording
from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.extensions import current_celery, db
from voicebox.models import Delivery, Direction, Message, MessageStatus
from voicebox.models.base import new_id
from voicebox.services.messaging import delivery

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)

DUE = 4000  # eight of the dispatcher's batches


def seed_due(app: Flask, child_id: str, sender_id: str) -> set[str]:
    """DUE messages waiting, each with one delivery due now; their delivery ids."""
    with app.app_context():
        recording_id = seeded_recording()
        due = utcnow() - timedelta(seconds=1)
        messages = [
            {"id": new_id(), "kind": "message", "child_id": child_id, "direction": Direction.TO_CHILD,
             "sender_user_id": sender_id, "status": MessageStatus.SCHEDULED, "recording_id": recording_id,
             "created_at": due, "urgent": False, "queued": False}
            for _ in range(DUE)
        ]  # fmt: skip
        deliveries = [
            {
                "id": new_id(),
                "message_id": message["id"],
                "child_id": child_id,
                "due_at": due,
                "position_ms": 0,
            }
            for message in messages
        ]
        db.session.execute(insert(Message), messages)
        db.session.execute(insert(Delivery), deliveries)
        db.session.commit()
        db.session.remove()
    return {row["id"] for row in deliveries}


def counted(app: Flask, *where: object) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Delivery).where(*where))
        db.session.remove()
    return count or 0


def dispatch(app: Flask) -> None:
    """What beat's tick sends."""
    with app.app_context():
        current_celery().send_task(jobs.DISPATCH_DUE)


_last: dict[str, float] = {}


def swept_when_idle(app: Flask) -> bool:
    """True once everyone is told; meanwhile, when nothing has changed for 3 s (the queue is
    drained), run the sweep for lost notifications."""
    waiting = counted(app, Delivery.notified_at.is_(None))
    if waiting == 0:
        return True
    if _last.get("waiting") != waiting:
        _last.update(waiting=waiting, since=time.monotonic())
    elif time.monotonic() - _last["since"] > 3:
        with app.app_context():
            delivery.renotify_lost()
            db.session.commit()
            db.session.remove()
        _last["since"] = time.monotonic()
    return False


def until(check, seconds: float = 180) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the run did not drain"
        time.sleep(0.02)


def test_a_worker_killed_mid_batch_delivers_each_once_and_notifies_at_least_once(
    app: Flask, production_env: dict, parent: Api, make_child, receiver: str, clock, tmp_path: Path
) -> None:
    _last.clear()
    child = make_child()
    seeded = seed_due(app, child["id"], parent.user["id"])
    env = {**production_env, "VOICEBOX_NOTIFIER": "webhook", "VOICEBOX_WEBHOOK_URL": receiver}
    delivered = Delivery.delivered_at.is_not(None)
    with running_worker(env, tmp_path / "first.log") as first:
        dispatch(app)
        until(lambda: counted(app, delivered) > 0)
        # Between two batches' commits, or in the middle of one: the whole worker, no goodbye.
        for process in [*psutil.Process(first.pid).children(recursive=True), psutil.Process(first.pid)]:
            process.kill()
        first.wait(timeout=10)
    at_kill = counted(app, delivered)
    assert 0 < at_kill < DUE, at_kill
    with running_worker(env, tmp_path / "second.log") as second:
        dispatch(app)  # beat's next tick
        until(lambda: counted(app, delivered) == DUE)
        # A notification task lost with the first worker (taken from the queue, never run) is
        # sent again by the dispatcher's sweep once its grace has passed: here, once the queue
        # is drained, this process's clock moved past the grace, as each tick would.
        clock(delivery.NOTIFY_GRACE + timedelta(seconds=1))
        until(lambda: swept_when_idle(app), seconds=240)
        assert second.poll() is None

    with app.app_context():
        rows = db.session.execute(select(Delivery.id, Delivery.delivered_at, Delivery.message_id)
                                  .where(Delivery.id.in_(seeded))).all()  # fmt: skip
        statuses = Counter(
            db.session.scalars(select(Message.status).where(Message.id.in_([row.message_id for row in rows])))
        )
        db.session.remove()
    assert len(rows) == DUE and all(row.delivered_at is not None for row in rows)
    assert statuses == {MessageStatus.DELIVERED: DUE}
    told = [json.loads(body) for body, _ in Receiver.received]
    told_about = Counter(event["message_id"] for event in told)
    # At least once each; a repeat carries the id of the first (and its Idempotency-Key).
    assert set(told_about) == {row.message_id for row in rows}
    ids = {}
    for event, key in zip(told, Receiver.keys, strict=True):
        assert key == event["id"]
        assert ids.setdefault(event["message_id"], event["id"]) == event["id"]
    assert len(set(ids.values())) == DUE

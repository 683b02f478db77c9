"""A real Celery worker process, on the Redis broker and on the embedded SQLite broker."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from voicebox.celery_app import BEAT_SCHEDULE
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.jobs import TASK_NAMES
from voicebox.models import AuthToken, User
from voicebox.services.accounts import tokens
from workers import tasks  # noqa: F401 - registers the tasks, as workers.main does


def add_tokens(app: Flask) -> None:
    """One user with a live token and one long expired."""
    with app.app_context():
        user = User(
            phone="+8613700000009", password_hash="x", display_name="Old", role="parent", status="active"
        )
        db.session.add(user)
        db.session.flush()
        tokens.issue(user=user)
        tokens.issue(user=user)
        db.session.flush()
        stale = db.session.scalars(select(AuthToken)).first()
        stale.expires_at = utcnow() - timedelta(days=30)
        db.session.commit()


def token_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuthToken))
        db.session.remove()
        return count


def test_worker_runs_a_task_sent_by_name(app: Flask, worker: subprocess.Popen) -> None:
    add_tokens(app)
    assert token_count(app) == 2
    app.extensions["celery"].send_task("voicebox.accounts.purge_expired")
    deadline = time.monotonic() + 60
    while token_count(app) != 1:
        assert worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, "the worker did not run the task within 60 s"
        time.sleep(0.3)
    # Safe to run twice: the second run changes nothing.
    app.extensions["celery"].send_task("voicebox.accounts.purge_expired")
    time.sleep(2)
    assert token_count(app) == 1


def test_every_scheduled_and_enqueued_task_is_registered(embedded_app: Flask) -> None:
    registered = set(embedded_app.extensions["celery"].tasks)
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in registered
    assert registered >= TASK_NAMES

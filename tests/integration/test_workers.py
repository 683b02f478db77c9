"""A real Celery worker process, on the Redis broker and on the embedded SQLite broker."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from voicebox.celery_app import BEAT_SCHEDULE
from voicebox.cli import worker_command
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import AuthToken, User
from voicebox.services import tokens
from workers import accounts  # noqa: F401 - registers the tasks, as the worker entry module does

ROOT = Path(__file__).resolve().parents[2]


def worker_env(env: dict) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    return {**clean, **env}


@pytest.fixture
def worker(app: Flask, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """A worker process built from the same environment as the app under test."""
    profile = request.node.callspec.params["app"]
    env = request.getfixturevalue(f"{profile}_env")
    log = (tmp_path / "worker.log").open("wb")
    argv = [*worker_command(concurrency=1, log_level="INFO"), "--without-gossip", "--without-mingle"]
    process = subprocess.Popen(argv, cwd=ROOT, env=worker_env(env), stdout=log, stderr=subprocess.STDOUT)
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    print((tmp_path / "worker.log").read_text())


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


def test_every_scheduled_task_is_registered(embedded_app: Flask) -> None:
    registered = set(embedded_app.extensions["celery"].tasks)
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in registered

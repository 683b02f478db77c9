"""Work is never lost and never loops: after-commit enqueueing, lease sweeps, bounded attempts."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
import redis
from flask import Flask
from sqlalchemy import func, select, update

from tests import audio
from tests.conftest import Api, app_env, running_worker
from tests.integration.recordings import recording_of, send, set_recording, wait_for
from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Delivery, Message, MessageStatus, RecordingStatus
from voicebox.services.recordings import processing


def test_tasks_go_to_the_broker_only_after_commit(production_app: Flask, redis_url: str) -> None:
    broker = redis.Redis.from_url(redis_url)
    before = broker.llen("media")
    with production_app.app_context():
        jobs.enqueue(jobs.TRANSCODE, "rolled-back")
        db.session.rollback()
        assert broker.llen("media") == before
        jobs.enqueue(jobs.TRANSCODE, "committed")
        assert broker.llen("media") == before
        db.session.commit()
        db.session.remove()
    assert broker.llen("media") == before + 1
    broker.rpop("media")
    with pytest.raises(ValueError, match="unknown task"):
        jobs.enqueue("voicebox.no.such_task")


def set_message(app: Flask, message_id: str, **values: object) -> None:
    with app.app_context():
        db.session.execute(update(Message).where(Message.id == message_id).values(**values))
        db.session.commit()
        db.session.remove()


def test_a_lost_transcode_is_swept_up_and_finished(
    app: Flask, request: pytest.FixtureRequest, parent: Api, make_child, tmp_path: Path
) -> None:
    child = make_child()
    sent = send(parent, child["id"], audio.recording("wav", seconds=1)).json
    # The broker loses the task before any worker takes it: only the row remembers the work.
    app.extensions["celery"].control.purge()
    set_recording(app, sent["id"], lease_expires_at=utcnow() - timedelta(seconds=1))
    with running_worker(app_env(request), tmp_path / "worker.log") as worker:
        app.extensions["celery"].send_task(jobs.SWEEP_MEDIA)
        message = wait_for(parent, sent["id"], worker=worker)
        assert message["status"] == "delivered"
        # Running the transcode again changes nothing: one delivery, the same renditions.
        app.extensions["celery"].send_task(jobs.TRANSCODE, args=[recording_of(app, sent["id"]).id])
        app.extensions["celery"].send_task(jobs.SWEEP_MEDIA)
        time.sleep(2)
        assert parent.get(f"/messages/{sent['id']}").json == message
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1
        db.session.remove()
    assert recording_of(app, sent["id"]).attempts == 1


def test_a_recording_that_keeps_killing_workers_fails_after_its_attempts(
    app: Flask, parent: Api, make_child, worker: subprocess.Popen
) -> None:
    child = make_child()
    sent = send(parent, child["id"], audio.recording("wav", seconds=1)).json
    wait_for(parent, sent["id"], worker=worker)
    max_attempts = app.config["VOICEBOX_SETTINGS"].media_max_attempts
    set_message(app, sent["id"], status=MessageStatus.PROCESSING)
    set_recording(
        app,
        sent["id"],
        status=RecordingStatus.PROCESSING,
        attempts=max_attempts,
        lease_expires_at=utcnow() - timedelta(seconds=1),
    )
    app.extensions["celery"].send_task(jobs.SWEEP_MEDIA)
    failed = wait_for(parent, sent["id"], {"failed"}, worker=worker, seconds=30)
    assert failed["failure"]["reason"] == "corrupt"
    assert str(max_attempts) in failed["failure"]["detail"]
    # A stray copy of its task finds nothing to do.
    app.extensions["celery"].send_task(jobs.TRANSCODE, args=[recording_of(app, sent["id"]).id])
    time.sleep(1)
    assert parent.get(f"/messages/{sent['id']}").json["status"] == "failed"


def test_a_duplicate_task_leaves_a_running_transcode_alone(app: Flask, parent: Api, make_child) -> None:
    child = make_child()
    sent = send(parent, child["id"], audio.recording("wav", seconds=1)).json
    app.extensions["celery"].control.purge()
    # Another worker is mid-way through this message's first attempt.
    set_recording(
        app, sent["id"], started_at=utcnow(), attempts=1, lease_expires_at=utcnow() + timedelta(minutes=5)
    )
    recording_id = recording_of(app, sent["id"]).id
    with app.app_context():
        assert processing.transcode(recording_id) == "skipped"
        db.session.remove()
    recording = recording_of(app, sent["id"])
    assert (recording.attempts, recording.status) == (1, RecordingStatus.PROCESSING)
    assert parent.get(f"/messages/{sent['id']}").json["status"] == "processing"


def test_a_worker_killed_mid_transcode_delays_the_message_but_loses_nothing(
    app: Flask, request: pytest.FixtureRequest, parent: Api, make_child, tmp_path: Path
) -> None:
    child = make_child()
    env = app_env(request)
    with running_worker(env, tmp_path / "first.log") as worker:
        sent = send(parent, child["id"], audio.recording("wav", seconds=60)).json
        deadline = time.monotonic() + 60
        while recording_of(app, sent["id"]).started_at is None:
            assert time.monotonic() < deadline, "the transcode never started"
            time.sleep(0.02)
        # The machine runs out of memory (say) and the pool process dies mid-transcode.
        for process in psutil.Process(worker.pid).children(recursive=True):
            process.kill()
    stuck = recording_of(app, sent["id"])
    assert (stuck.status, stuck.attempts) == (RecordingStatus.PROCESSING, 1)
    # Time passes beyond the lease; the sweeper finds the recording and a worker finishes it.
    set_recording(app, sent["id"], lease_expires_at=utcnow() - timedelta(seconds=1))
    with running_worker(env, tmp_path / "second.log") as worker:
        app.extensions["celery"].send_task(jobs.SWEEP_MEDIA)
        message = wait_for(parent, sent["id"], {"delivered", "failed"}, worker=worker)
    assert message["status"] == "delivered" and 59_000 < message["duration_ms"] <= 61_000
    assert recording_of(app, sent["id"]).attempts == 2

"""Redis restarted twice under a running worker (a redis-server of the test's own, with AOF as
the compose file runs it, then without persistence) while 200 messages are sent: each is
delivered once, and the worker consumes again by itself."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import requests
from flask import Flask
from sqlalchemy import select

from tests import audio
from tests.conftest import Api, build_app, dispose, free_port, running_worker, serving_api
from voicebox import jobs
from voicebox.extensions import db
from voicebox.models import Message
from voicebox.services.recordings import processing

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)


@contextmanager
def redis_server(port: int, folder: Path, aof: bool) -> Iterator[None]:
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes" if aof else "no", "--dir", str(folder)]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port, socket_connect_timeout=1)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        yield
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=15)


SENT = 200


def keep_sending(base: str, token: str, child_id: str, accepted: dict[str, str], answers: list[int]) -> None:
    """SENT messages, each with its own Idempotency-Key, each sent again until accepted."""
    recording = audio.recording("amr", seconds=0.5)
    for _ in range(SENT):
        key = uuid.uuid4().hex
        while key not in accepted:
            response = requests.post(
                f"{base}/api/v1/messages",
                data={"to": child_id},
                files={"audio": ("r.amr", recording)},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                timeout=60,
            )
            answers.append(response.status_code)
            if response.status_code in (200, 202):
                accepted[key] = response.json()["id"]
            else:
                time.sleep(0.2)


def statuses(app: Flask, child_id: str) -> Counter:
    with app.app_context():
        found = Counter(db.session.scalars(select(Message.status).where(Message.child_id == child_id)))
        db.session.remove()
    return found


def test_200_messages_sent_across_two_redis_restarts_are_each_delivered_once(
    app: Flask, production_env: dict, tmp_path: Path, clock
) -> None:
    """While 200 messages are sent, Redis goes away under the running worker twice and comes
    back on the same port: first with AOF, as the compose file runs it (its queue survives),
    then without persistence (its queue is lost). The worker, left running, consumes again by
    itself. A task lost with Redis (sent while it was away, or in the queue that was lost) is
    sent again by the transcode sweep after its grace: here, once nothing moves, this process's
    clock is moved past that grace and the sweep run, as beat's tick would."""
    port = free_port()
    env = {**production_env, "VOICEBOX_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    ours = build_app(env)
    parent = Api(ours.test_client())
    accepted: dict[str, str] = {}
    answers: list[int] = []
    try:
        with ExitStack() as first_redis:
            first_redis.enter_context(redis_server(port, tmp_path, aof=True))
            with running_worker(env, tmp_path / "worker.log") as worker, serving_api(ours) as base:
                account = {"phone": "+8613900000321", "password": "correct horse", "display_name": "Mama"}
                parent.token = parent.post("/auth/register", {**account, "role": "parent"}).json["token"]
                child = parent.post(
                    "/children", {"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True}
                ).json
                sender = threading.Thread(
                    target=keep_sending, args=(base, parent.token, child["id"], accepted, answers)
                )
                sender.start()
                while len(accepted) < SENT // 4:
                    time.sleep(0.1)
                first_redis.close()  # Redis goes away under the running worker and the sends...
                time.sleep(1)
                with ExitStack() as second_redis:
                    second_redis.enter_context(redis_server(port, tmp_path, aof=True))  # ...comes back
                    while len(accepted) < SENT // 2:
                        time.sleep(0.1)
                    second_redis.close()  # ...goes again...
                time.sleep(1)
                (tmp_path / "empty").mkdir()
                with redis_server(port, tmp_path / "empty", aof=False):  # ...and is back, empty.
                    sender.join(timeout=300)
                    delivered = drained(ours, child["id"], clock)
                    assert worker.poll() is None
    finally:
        dispose(ours)
    assert set(answers) <= {200, 202, 503}, Counter(answers)
    assert len(accepted) == SENT and len(set(accepted.values())) == SENT
    assert delivered == {"delivered": SENT}, delivered


def drained(app: Flask, child_id: str, clock) -> Counter:  # type: ignore[no-untyped-def]
    """The child's messages by status once all are delivered (or the time is up)."""
    deadline = time.monotonic() + 240
    last, since, moved = Counter(), time.monotonic(), False
    while True:
        found = statuses(app, child_id)
        if set(found) == {"delivered"} and sum(found.values()) == SENT or time.monotonic() > deadline:
            return found
        if found != last:
            last, since = found, time.monotonic()
        elif time.monotonic() - since > 5:
            if not moved:
                clock(jobs.TRANSCODE_QUEUE_GRACE + timedelta(seconds=1))
                moved = True
            with app.app_context():
                processing.sweep()
                db.session.remove()
            since = time.monotonic()
        time.sleep(0.5)

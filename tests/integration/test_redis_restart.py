"""Redis restarted under a running worker (a redis-server of the test's own, with AOF as the
compose file runs it, and without): the worker consumes again by itself, and a message sent
after the restart is delivered."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis
from flask import Flask

from tests import audio
from tests.conftest import Api, build_app, dispose, free_port, running_worker
from tests.integration.recordings import send, wait_for

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


@pytest.mark.parametrize("aof", [True, False], ids=["aof", "no-persistence"])
def test_the_worker_consumes_again_after_redis_restarts(
    app: Flask, production_env: dict, tmp_path: Path, aof: bool
) -> None:
    """The rows are the truth and a task lost with Redis is re-enqueued by a sweeper; what this
    checks is that the worker, left running, takes new tasks again by itself."""
    port = free_port()
    env = {**production_env, "VOICEBOX_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    ours = build_app(env)
    parent = Api(ours.test_client())
    try:
        with ExitStack() as first_redis:
            first_redis.enter_context(redis_server(port, tmp_path, aof))
            with running_worker(env, tmp_path / "worker.log") as worker:
                account = {"phone": "+8613900000321", "password": "correct horse", "display_name": "Mama"}
                parent.token = parent.post("/auth/register", {**account, "role": "parent"}).json["token"]
                child = parent.post(
                    "/children", {"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True}
                ).json
                before = send(parent, child["id"], audio.recording("amr", seconds=1), title="Before").json
                assert wait_for(parent, before["id"], worker=worker)["status"] == "delivered"
                first_redis.close()  # Redis goes away under the running worker...
                with redis_server(port, tmp_path, aof):  # ...and comes back on the same port.
                    after = send(parent, child["id"], audio.recording("amr", seconds=1), title="After").json
                    assert wait_for(parent, after["id"], worker=worker, seconds=120)["status"] == "delivered"
                    assert worker.poll() is None
    finally:
        dispose(ours)

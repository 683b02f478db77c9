"""A backing service that goes away: the API answers 503 with Retry-After, never a 500 or a
hang, and the rate limits keep counting (in memory) while Redis is away."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from config.settings import Settings
from tests.conftest import Api, dispose, free_port, running
from voicebox import create_app

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)


@pytest.fixture
def unreachable_database(production_env: dict) -> Iterator[Flask]:
    """The production app with its database at a port where nothing listens."""
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    app = create_app(Settings.from_env({**production_env, "VOICEBOX_DATABASE_URL": dead}, env_file=None))
    yield app
    dispose(app)


def test_a_database_that_refuses_connections_answers_503(app: Flask, unreachable_database: Flask) -> None:
    client = unreachable_database.test_client()
    for response in (
        client.post("/api/v1/auth/login", json={"phone": "+8613900000001", "password": "correct horse"}),
        client.get("/api/v1/me", headers={"Authorization": "Bearer some-token"}),
    ):
        assert response.status_code == 503, response.json
        assert response.headers["Retry-After"] and response.mimetype == "application/problem+json"
        assert "database" in response.json["detail"]


def test_a_statement_held_past_the_timeout_is_cut_and_answers_503(
    production_env: dict, app: Flask, parent: Api, make_child
) -> None:
    child = make_child()
    patient = create_app(
        Settings.from_env(
            {**production_env, "VOICEBOX_DATABASE_STATEMENT_TIMEOUT_SECONDS": "1"}, env_file=None
        )
    )
    try:
        client = patient.test_client()
        engine = sa.create_engine(production_env["VOICEBOX_DATABASE_URL"])
        # Another transaction holds the child's row: the change waits on its lock, and the
        # statement timeout ends the wait rather than the request hanging.
        with engine.connect() as holder, holder.begin():
            holder.execute(sa.text("SELECT 1 FROM children WHERE id = :id FOR UPDATE"), {"id": child["id"]})
            response = client.patch(
                f"/api/v1/children/{child['id']}",
                json={"quiet_hours": {"start": "21:00", "end": "07:00"}},
                headers={"Authorization": f"Bearer {parent.token}"},
            )
        engine.dispose()
        assert response.status_code == 503, response.json
        assert response.headers["Retry-After"]
        # Free again: the same change goes through.
        again = client.patch(
            f"/api/v1/children/{child['id']}",
            json={"quiet_hours": {"start": "21:00", "end": "07:00"}},
            headers={"Authorization": f"Bearer {parent.token}"},
        )
        assert again.status_code == 200, again.json
    finally:
        dispose(patient)


def _answering(base: str) -> None:
    """Wait until a gunicorn worker answers: the master binds the port before its worker has
    loaded the app, which on a busy machine takes seconds."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/api/v1/health", timeout=30)  # 503 is an answer: Redis is away
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError("the API did not start")


def test_rate_limits_keep_answering_in_memory_while_redis_is_away(
    production_env: dict, app: Flask, tmp_path: Path
) -> None:
    """A real API process (the limiter's state is its own), with Redis at a dead port."""
    port = free_port()
    env = {**production_env, "VOICEBOX_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn", "--workers", "1",
            "--bind", f"127.0.0.1:{port}", "voicebox:create_app()"]  # fmt: skip
    log = tmp_path / "api.log"
    with running(argv, env, log) as process:
        base = f"http://127.0.0.1:{port}"
        _answering(base)
        body = {"phone": "+8613900000999", "password": "not the password"}
        statuses = [
            requests.post(f"{base}/api/v1/auth/login", json=body, timeout=30).status_code for _ in range(12)
        ]
        assert process.poll() is None
    # The first ten are answered (no such account), then the limit of 10 a minute holds.
    assert statuses == [401] * 10 + [429] * 2, statuses
    assert "falling back to in-memory storage" in log.read_text()

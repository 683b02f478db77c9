"""The edges every client meets: health, the OpenAPI document, and errors as problem+json."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import Api, build_app, dispose, wipe
from voicebox.extensions import db


def test_health_reports_everything_up(anonymous: Api) -> None:
    response = anonymous.get("/health")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "checks": {"database": {"status": "up"}, "broker": {"status": "up"}, "storage": {"status": "up"}},
    }


def test_health_reports_each_part_down(production_env: dict) -> None:
    app = build_app(
        production_env,
        VOICEBOX_BROKER_URL="redis://127.0.0.1:1/0",
        VOICEBOX_S3_BUCKET="bucket-that-is-not-there",
    )
    try:
        response = app.test_client().get("/api/v1/health")
    finally:
        dispose(app)
    assert response.status_code == 503
    assert response.json["status"] == "degraded"
    assert response.json["checks"] == {
        "database": {"status": "up"},
        "broker": {"status": "down"},
        "storage": {"status": "down"},
    }


def _drop_the_pooled_connection(app: Flask, postgres_url: str) -> None:
    """End, from outside, the one connection the app's pool holds, as a database restart does."""
    with app.app_context():
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.remove()
    outside = sa.create_engine(postgres_url)
    with outside.begin() as connection:
        assert connection.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    outside.dispose()


def test_a_database_restart_under_the_pool_is_never_a_500(production_env: dict, postgres_url: str) -> None:
    # One pooled connection, so that the one dropped is the one the next request gets.
    app = build_app(production_env, VOICEBOX_DATABASE_POOL_SIZE="1")
    try:
        api = Api(app.test_client())
        registered = api.post(
            "/auth/register",
            {
                "phone": "+8613900000456",
                "password": "correct horse",
                "display_name": "Mama",
                "role": "parent",
            },
        )
        api.token = registered.json["token"]

        _drop_the_pooled_connection(app, postgres_url)
        # An authenticated request: the token lookup finds the connection gone and tries again.
        me = api.get("/me")
        assert me.status_code == 200, me.json
        assert me.json["display_name"] == "Mama"

        _drop_the_pooled_connection(app, postgres_url)
        # Any other request: a clear answer to retry, and the retry works.
        login = {"phone": "+8613900000456", "password": "correct horse"}
        first = api.post("/auth/login", login)
        assert first.status_code == 503, first.json
        assert "Retry-After" in first.headers
        assert first.json["detail"] == "The database connection was lost; try again shortly."
        assert api.post("/auth/login", login).status_code == 200
    finally:
        wipe(app)
        dispose(app)


def test_openapi_describes_every_endpoint(app: Flask, anonymous: Api) -> None:
    spec = anonymous.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, operations in spec["paths"].items() for method in operations
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs."):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    assert spec["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert spec["security"] == [{"bearerAuth": []}]


def test_unknown_route_and_wrong_method_are_problems(anonymous: Api) -> None:
    missing = anonymous.get("/no-such-thing")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert set(missing.json) >= {"type", "title", "status", "detail"}
    wrong = anonymous.client.put("/api/v1/auth/login", json={})
    assert wrong.status_code == 405 and wrong.content_type == "application/problem+json"
    assert "POST" in wrong.headers["Allow"]


def test_oversize_body_is_413(anonymous: Api, app: Flask) -> None:
    limit = app.config["VOICEBOX_SETTINGS"].max_request_bytes
    body = {"phone": "1" * (limit + 10), "password": "x", "display_name": "x", "role": "parent"}
    response = anonymous.post("/auth/register", body)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_bad_json_is_400_with_reason(anonymous: Api) -> None:
    response = anonymous.client.post(
        "/api/v1/auth/register", data=b"{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json["detail"]


def test_request_id_is_echoed_or_made(anonymous: Api) -> None:
    given = anonymous.get("/health", headers={"X-Request-ID": "trace-abc.123"})
    assert given.headers["X-Request-ID"] == "trace-abc.123"
    hostile = anonymous.get("/health", headers={"X-Request-ID": "bad id with <spaces>"})
    assert re.fullmatch(r"[0-9a-f]{16}", hostile.headers["X-Request-ID"])


@pytest.fixture
def boom_app(embedded_env: dict) -> Flask:
    """An app with one route that fails the way a bug would."""
    app = build_app(embedded_env)
    app.config["TESTING"] = False

    def explode() -> None:
        raise RuntimeError("database password is hunter2")

    app.add_url_rule("/api/v1/boom", view_func=explode)
    return app


def test_unexpected_error_is_logged_with_request_id_and_hidden(boom_app: Flask, caplog) -> None:
    caplog.set_level(logging.ERROR)
    response = boom_app.test_client().get("/api/v1/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert "hunter2" not in response.get_data(as_text=True)
    assert response.json["request_id"] == "req-500"
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.request_id == "req-500"
    assert "hunter2" in caplog.text
    dispose(boom_app)

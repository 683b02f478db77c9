"""The edges every client meets: health, the OpenAPI document, and errors as problem+json."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask

from tests.conftest import Api, build_app, dispose


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

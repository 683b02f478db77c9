"""Baselines served by the same gunicorn settings as voicebox, on plain psycopg connections in
autocommit (one round trip a query): a static JSON endpoint; the token lookup voicebox does,
as one raw SQL query; a device's inbox page, the same query on the same index as voicebox's,
its rows turned into the API's JSON by hand; and a live stream held by a request thread for as
long as it is open, as the API held them before the push server took them over."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import psycopg
from flask import Flask, Response, abort, request

_LOOKUP = """
    SELECT u.id, u.role, u.display_name, u.status
    FROM auth_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > now()
"""
_DEVICE_LOOKUP = """
    SELECT d.child_id
    FROM auth_tokens t JOIN devices d ON d.id = t.device_id
    WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > now() AND d.revoked_at IS NULL
"""
_INBOX = """
    SELECT m.id, m.kind, m.title, m.status, r.failure_reason, r.failure_detail, r.duration_ms,
           r.waveform, r.renditions, m.created_at, m.deliver_at, m.delivered_at, m.played_at,
           v.position_ms, c.id, c.display_name, s.id, s.display_name
    FROM deliveries v
    JOIN messages m ON m.id = v.message_id
    JOIN recordings r ON r.id = m.recording_id
    JOIN children c ON c.id = m.child_id
    LEFT JOIN users s ON s.id = m.sender_user_id
    WHERE v.child_id = %s AND v.delivered_at IS NOT NULL
    ORDER BY v.delivered_at DESC, v.id DESC
    LIMIT 21
"""


def _time(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


def _message(row: tuple) -> dict:
    (id_, kind, title, status, reason, detail, duration, waveform, renditions, created, deliver_at,
     delivered, played, position, child_id, child_name, sender_id, sender_name) = row  # fmt: skip
    return {
        "id": id_,
        "kind": kind,
        "title": title,
        "sender": {"id": sender_id, "display_name": sender_name},
        "recipient": {"id": child_id, "display_name": child_name},
        "status": status,
        "failure": {"reason": reason, "detail": detail or ""} if reason else None,
        "duration_ms": duration,
        "waveform": waveform,
        "renditions": [{k: r[k] for k in ("format", "bitrate", "bytes")} for r in renditions or []],
        "position_ms": position,
        "created_at": _time(created),
        "deliver_at": _time(deliver_at),
        "delivered_at": _time(delivered),
        "played_at": _time(played),
    }


def create_app() -> Flask:
    app = Flask(__name__)
    local = threading.local()
    # SQLAlchemy's URL with its driver name is not a libpq one.
    dsn = os.environ["VOICEBOX_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")

    def connection() -> psycopg.Connection:
        if not hasattr(local, "connection"):
            local.connection = psycopg.connect(dsn, autocommit=True)
        return local.connection

    def token_hash() -> str:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return hashlib.sha256(token.encode()).hexdigest()

    @app.get("/me")
    def me() -> dict:
        return {"id": "0" * 32, "role": "parent", "display_name": "Mama", "status": "active"}

    @app.get("/me-sql")
    def me_sql() -> dict:
        row = connection().execute(_LOOKUP, (token_hash(),)).fetchone()
        if row is None:
            abort(401)
        return dict(zip(("id", "role", "display_name", "status"), row, strict=True))

    @app.get("/inbox-sql")
    def inbox_sql() -> Response:
        device = connection().execute(_DEVICE_LOOKUP, (token_hash(),)).fetchone()
        if device is None:
            abort(401)
        rows = connection().execute(_INBOX, device).fetchall()
        page = {
            "items": [_message(row) for row in rows[:20]],
            "next_cursor": "next" if len(rows) > 20 else None,
        }
        return Response(json.dumps(page), mimetype="application/json")

    @app.get("/inbox/events")
    def held_stream() -> Response:
        def keep_alives() -> Iterator[str]:
            yield "retry: 3000\n\n"
            while True:
                time.sleep(1)
                yield ": keep-alive\n\n"

        return Response(keep_alives(), mimetype="text/event-stream")

    return app

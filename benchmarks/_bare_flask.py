"""Baselines served by the same gunicorn settings: a static JSON endpoint, and the same token
lookup voicebox does, written as one raw SQL query on a plain psycopg connection."""

from __future__ import annotations

import hashlib
import os
import threading

import psycopg
from flask import Flask, abort, request

_LOOKUP = """
    SELECT u.id, u.role, u.display_name, u.status
    FROM auth_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > now()
"""


def create_app() -> Flask:
    app = Flask(__name__)
    local = threading.local()
    # SQLAlchemy's URL with its driver name is not a libpq one.
    dsn = os.environ["VOICEBOX_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")

    @app.get("/me")
    def me() -> dict:
        return {"id": "0" * 32, "role": "parent", "display_name": "Mama", "status": "active"}

    @app.get("/me-sql")
    def me_sql() -> dict:
        if not hasattr(local, "connection"):
            local.connection = psycopg.connect(dsn, autocommit=True)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        row = local.connection.execute(_LOOKUP, (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
        if row is None:
            abort(401)
        return dict(zip(("id", "role", "display_name", "status"), row, strict=True))

    return app

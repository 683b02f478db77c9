"""voicebox: voice messages and stories between far-away parents and their children."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from config.logging import configure_logging
from config.settings import Settings
from voicebox import (
    jobs,
    models,  # noqa: F401 - registers every model on the metadata
)
from voicebox.api import BLOB_LINK_PREFIX, register_api
from voicebox.celery_app import celery_init_app
from voicebox.cli import register_commands
from voicebox.errors import register_error_handlers
from voicebox.events import build_event_bus
from voicebox.extensions import MIGRATIONS, attach, db, limiter, migrate
from voicebox.notify import build_notifier
from voicebox.pages import register_pages
from voicebox.services.families import watchdog
from voicebox.services.helpdesk import triage
from voicebox.services.messaging import delivery
from voicebox.services.recordings import processing
from voicebox.sms import build_sms_sender
from voicebox.storage import build_store

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class _NoCookieSession(SecureCookieSessionInterface):
    """Callers prove who they are with a bearer token and nothing is kept in a cookie, so no
    request opens Flask's signed cookie session (Flask hands out its read-only null session)."""

    def open_session(self, app: Flask, request: Request) -> None:
        return None


def create_app(settings: Settings | None = None) -> Flask:
    """Build an app; the only place one is built. Settings default to the environment."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.log_json)
    app = Flask(__name__, static_folder=None)
    app.session_interface = _NoCookieSession()
    app.config.update(
        VOICEBOX_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url,
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_STRATEGY="moving-window",
        # Redis away: the same limits, counted in this process, rather than a 500 on every
        # limited route (the limiter logs "falling back to in-memory storage", and goes back
        # to Redis once it answers).
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_STORAGE_OPTIONS=_ratelimit_storage_options(settings),
    )
    if settings.proxy_hops:
        # Behind load balancers the client's address is in X-Forwarded-For; rate limits need it.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops, x_host=settings.proxy_hops
        )
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    # First, so that every later hook (the rate limiter's included) can log the request id.
    register_request_ids(app)
    register_extensions(app, settings)
    register_api(app)
    register_pages(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def _ratelimit_storage_options(settings: Settings) -> dict:
    if (settings.ratelimit_storage_url or "").startswith("redis"):
        # A Redis that stops answering must not hold a request either.
        return {"socket_connect_timeout": 1, "socket_timeout": 1}
    return {}


def _engine_options(settings: Settings) -> dict:
    if (settings.database_url or "").startswith("sqlite"):
        # Worker, beat and API share the file: wait for a lock rather than fail at once.
        return {"connect_args": {"timeout": 30}}
    # A database that stops answering must fail a request (and the health check) in seconds:
    # libpq gives up on a connect after 5 s, on data the server does not acknowledge after 5 s
    # (TCP_USER_TIMEOUT), and on a silent connection after about 9 s of unanswered keepalives;
    # each statement is cut at VOICEBOX_DATABASE_STATEMENT_TIMEOUT_SECONDS (set on connect, so
    # options in the URL stay the operator's). No ping before each use (a round trip on every
    # request): a connection the database dropped fails its first statement, the token lookup
    # retries it, and any other request gets a 503 to retry (errors.py).
    return {
        "pool_size": settings.database_pool_size,
        "connect_args": {
            "connect_timeout": 5,
            "tcp_user_timeout": 5000,
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 2,
        },
    }


def _statement_timeout(milliseconds: int) -> Callable[..., None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(milliseconds)}")
        dbapi_connection.commit()

    return on_connect


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def register_extensions(app: Flask, settings: Settings) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite" and not event.contains(db.engine, "connect", _sqlite_pragmas):
            event.listen(db.engine, "connect", _sqlite_pragmas)
        if db.engine.dialect.name == "postgresql":
            event.listen(
                db.engine, "connect", _statement_timeout(settings.database_statement_timeout_seconds * 1000)
            )
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)
    limiter.init_app(app)
    attach(
        app,
        blob_store=build_store(settings, BLOB_LINK_PREFIX),
        event_bus=build_event_bus(settings),
        notifier=build_notifier(settings),
        sms=build_sms_sender(settings),
    )
    # The domains' own resources, each read and checked once, here, rather than at first use.
    triage.init_app(app, settings)
    watchdog.init_app(app, settings)
    # Recordings sit below the domains that use them, so the rows that wait for one are named
    # here: a message goes on its way once its recording is ready (a library story and a help
    # thread read their recording's status as it is).
    processing.init_app(app, followers=[delivery.recording_settled])
    celery_init_app(app, settings)
    jobs.init_app()


def register_request_ids(app: Flask) -> None:
    """Tag each request with an id (the caller's X-Request-ID if sane), echoed and logged."""

    @app.before_request
    def assign_request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(8)

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response

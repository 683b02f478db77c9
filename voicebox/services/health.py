"""Is each part voicebox depends on reachable right now?"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import text

from voicebox.extensions import current_blob_store, current_celery, db

log = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2.0


def _database() -> None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _broker() -> None:
    celery_app = current_celery()
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


def _storage() -> None:
    current_blob_store().check()


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "broker": _broker, "storage": _storage}


def report() -> dict[str, dict[str, str]]:
    """Each dependency "up" or "down"; the reason for a "down" goes to the log, not the caller."""
    results: dict[str, dict[str, str]] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # noqa: BLE001 - any failure means down; the log keeps the cause
            log.warning("health check %s failed", name, exc_info=True)
            results[name] = {"status": "down"}
        else:
            results[name] = {"status": "up"}
    return results

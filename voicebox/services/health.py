"""Is each part voicebox depends on reachable right now?"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from sqlalchemy import text

from voicebox.extensions import current_blob_store, current_celery, db

log = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2.0
# The longest /health waits for its checks, together.
CHECK_SECONDS = 3.0


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
    """Each dependency "up" or "down"; the reason for a "down" goes to the log, not the caller.

    The checks run side by side, each given ``CHECK_SECONDS``: a dependency that holds a
    connection without answering (a frozen server, a line that drops everything) is "down"
    in seconds, whatever its client's own timeouts allow."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # handed to the threads

    def run(check: Callable[[], None]) -> None:
        with app.app_context():
            check()

    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="health")
    futures = {name: pool.submit(run, check) for name, check in CHECKS.items()}
    deadline = time.monotonic() + CHECK_SECONDS
    results: dict[str, dict[str, str]] = {}
    try:
        for name, future in futures.items():
            try:
                future.result(timeout=max(deadline - time.monotonic(), 0))
            except Exception:  # noqa: BLE001 - any failure or a timeout means down; the log keeps why
                log.warning("health check %s failed", name, exc_info=True)
                results[name] = {"status": "down"}
            else:
                results[name] = {"status": "up"}
    finally:
        # A check still waiting is left to finish on its own: the answer does not wait for it.
        pool.shutdown(wait=False)
    return results

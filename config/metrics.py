"""Each process's own metrics listener, never on the API's port (``/metrics`` there is a 404).

The API (gunicorn) and the Celery worker run several processes: they count in prometheus-client's
multiprocess mode, in the folder ``PROMETHEUS_MULTIPROC_DIR`` names, which each service wipes
when it starts and which must be set before prometheus-client is imported; their listener adds
up every process's files. Beat and the push server are one process each. Light on purpose:
gunicorn's master imports it, and nothing of the app.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

log = logging.getLogger(__name__)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def registry() -> CollectorRegistry:
    """This process's registry, or in multiprocess mode one that adds up every process's files."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    return combined


def multiprocess_dir() -> Path | None:
    """The multiprocess folder, made if missing: prometheus-client opens its files as soon as
    a metric without labels is defined."""
    folder = os.environ.get(MULTIPROCESS_DIR)
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def wipe_multiprocess_dir() -> None:
    """Empty the multiprocess folder before the processes that count start: the files of an
    earlier run would be added to this one's."""
    folder = multiprocess_dir()
    if folder is not None:
        for counted in folder.glob("*.db"):
            counted.unlink(missing_ok=True)


def mark_dead(pid: int) -> None:
    """A worker process exited: its live gauges stop counting."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(pid)


def serve(name: str, host: str, port: int, target: CollectorRegistry | None = None) -> None:
    """Serve ``/metrics`` on a listener of its own (port 0: none). A port taken is logged and
    the process goes on: metrics never stop a child's messages."""
    if not port:
        return
    try:
        start_http_server(port, addr=host, registry=target or registry())
    except OSError as exc:
        log.error("%s metrics not served: cannot listen on %s:%d (%s)", name, host, port, exc)
        return
    log.info("%s metrics on http://%s:%d/metrics", name, host, port)

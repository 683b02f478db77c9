"""gunicorn settings; each can be overridden on the command line or with GUNICORN_CMD_ARGS."""

import multiprocessing
import os
import tempfile
from typing import Any

bind = "127.0.0.1:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8)))
worker_class = "gthread"
threads = 4
# Slow phones on 2G upload for a long time; the load balancer in front owns the hard limit.
timeout = 120
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"


def on_starting(server: Any) -> None:
    # Before any worker imports prometheus-client: the workers count in one folder, this run's.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="voicebox-api-metrics-"))
    from config import metrics

    metrics.wipe_multiprocess_dir()


def when_ready(server: Any) -> None:
    from config import metrics
    from config.settings import Settings

    settings = Settings.read_env()  # as given: resolving would make the embedded secret here
    metrics.serve("api", settings.metrics_host, settings.metrics_api_port)


def child_exit(server: Any, worker: Any) -> None:
    from config import metrics

    metrics.mark_dead(worker.pid)

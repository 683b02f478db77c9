"""The worker's and beat's metrics: task outcomes and retries, the periodic jobs' heartbeats, and
(beat only, at each scrape) the gauges only the database knows."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any

from celery import Task
from celery.signals import (
    beat_init,
    before_task_publish,
    task_failure,
    task_retry,
    task_success,
    worker_init,
    worker_process_shutdown,
)
from flask import Flask
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from config import metrics as listener
from config.settings import Settings
from voicebox import jobs, media, metrics
from voicebox.services import gauges, health

log = logging.getLogger(__name__)

# The periodic jobs whose silence means beat or the worker is gone: when each last finished.
HEARTBEAT_JOBS = {
    jobs.DISPATCH_DUE: "dispatcher",
    jobs.PLAN_SCHEDULES: "planner",
    jobs.SWEEP_HELPDESK: "help_sweep",
}


def _heartbeat(job: str) -> None:
    metrics.HEARTBEATS.labels(job).set(time.time())


def _succeeded(sender: Task | None = None, **_: Any) -> None:
    if sender is None:
        return
    metrics.TASKS.labels(sender.name, "success").inc()
    if sender.name in HEARTBEAT_JOBS:
        _heartbeat(HEARTBEAT_JOBS[sender.name])


def _failed(sender: Task | None = None, **_: Any) -> None:
    if sender is not None:
        metrics.TASKS.labels(sender.name, "failure").inc()


def _retried(sender: Task | None = None, **_: Any) -> None:
    if sender is not None:
        metrics.TASK_RETRIES.labels(sender.name).inc()


def _process_gone(**_: Any) -> None:
    listener.mark_dead(os.getpid())


def _sent_tick(**_: Any) -> None:
    _heartbeat("beat")


class ServiceGauges(Collector):
    """Read when scraped, in the app's context: whether each dependency answers, and the
    gauges only the database knows. A database that cannot answer shows as
    ``voicebox_database_gauges_error 1`` and the scrape still answers."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        return []  # registered without a first read: beat starts even with the database down

    def collect(self) -> Iterator[Metric]:
        with self.app.app_context():
            report = health.report()
        dependencies = GaugeMetricFamily(
            "voicebox_dependency_up",
            "1 when a dependency answers (database, broker, storage)",
            labels=["dependency"],
        )
        for name, result in report.items():
            dependencies.add_metric([name], 1 if result["status"] == "up" else 0)
        yield dependencies
        error = GaugeMetricFamily(
            "voicebox_database_gauges_error", "1 when this scrape could not read the database's gauges"
        )
        try:
            with self.app.app_context():
                reading = gauges.read()
        except Exception:  # noqa: BLE001 - any failure is the gauge's 1; the log keeps why
            log.warning("could not read the database's gauges", exc_info=True)
            error.add_metric([], 1)
            yield error
            return
        error.add_metric([], 0)
        yield error
        yield from _families(reading)


def _families(reading: gauges.Reading) -> Iterator[Metric]:
    labelled: list[tuple[str, str, list[str], Mapping[Any, float]]] = [
        (
            "voicebox_recordings",
            "Recordings waiting for a worker, and in process",
            ["state"],
            reading.recordings,
        ),
        ("voicebox_deliveries_due", "Deliveries due and not yet delivered", ["kind"], reading.deliveries_due),
        (
            "voicebox_deliveries_late_seconds",
            "How long the oldest undelivered due delivery has been due",
            ["kind"],
            reading.deliveries_late_seconds,
        ),
        (
            "voicebox_help_requests",
            "Open help requests, by status and priority",
            ["status", "priority"],
            reading.help_requests,
        ),
        (
            "voicebox_help_oldest_wait_seconds",
            "How long the oldest queued help request of each priority has waited",
            ["priority"],
            reading.help_oldest_wait_seconds,
        ),
    ]
    for name, help_text, labels, values in labelled:
        metric = GaugeMetricFamily(name, help_text, labels=labels)
        for key, value in values.items():
            metric.add_metric([str(part) for part in (key if isinstance(key, tuple) else (key,))], value)
        yield metric
    single = [
        (
            "voicebox_help_urgent_unalerted_seconds",
            "How long the oldest urgent request nobody took has waited with no supervisor alerted (0: none)",
            reading.urgent_unalerted_seconds,
        ),
        ("voicebox_volunteers_available", "Helpers marked available", reading.volunteers_available),
        (
            "voicebox_notifications_pending",
            "Deliveries made whose recipient is not told yet",
            reading.notifications_pending,
        ),
    ]
    for name, help_text, value in single:
        yield GaugeMetricFamily(name, help_text, value=value)


def _known_series() -> None:
    """Every task, outcome and reason shown from the start, at 0: a rate over a series that
    appears only with its first failure would miss that failure."""
    for task in jobs.TASK_NAMES:
        metrics.TASKS.labels(task, "success")
        metrics.TASKS.labels(task, "failure")
        metrics.TASK_RETRIES.labels(task)
    for reason in media.Reason:
        metrics.TRANSCODE_FAILURES.labels(reason)
    for outcome in metrics.TRANSCODE_OUTCOMES:
        metrics.TRANSCODES.labels(outcome)


def init(app: Flask) -> None:
    """Connect the signals of the worker and of beat for ``app``'s process."""
    settings: Settings = app.config["VOICEBOX_SETTINGS"]

    def serve_worker(**_: Any) -> None:
        # In the worker's main process, before its pool forks: the pool counts in the folder.
        if not os.environ.get(listener.MULTIPROCESS_DIR):
            log.warning(
                "%s is not set: the worker's metrics miss its pool's counts", listener.MULTIPROCESS_DIR
            )
        listener.wipe_multiprocess_dir()
        _known_series()
        listener.serve("worker", settings.metrics_host, settings.metrics_worker_port)

    def serve_beat(**_: Any) -> None:
        registry = listener.registry()
        registry.register(ServiceGauges(app))
        before_task_publish.connect(_sent_tick, weak=False)
        listener.serve("beat", settings.metrics_host, settings.metrics_beat_port, registry)

    worker_init.connect(serve_worker, weak=False)
    beat_init.connect(serve_beat, weak=False)
    task_success.connect(_succeeded, weak=False)
    task_failure.connect(_failed, weak=False)
    task_retry.connect(_retried, weak=False)
    worker_process_shutdown.connect(_process_gone, weak=False)

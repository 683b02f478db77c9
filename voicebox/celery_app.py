"""Celery wired to the Flask app, after Flask's ``celery_init_app`` pattern.

Every task runs inside an app context and opens its own database session. The same tasks run
on both profiles: Redis in production, kombu's SQLAlchemy transport over SQLite in embedded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery, Task
from flask import Flask
from kombu import Queue
from sqlalchemy.exc import OperationalError

from config.logging import TASK_REQUEST_ID
from config.settings import Settings
from voicebox.jobs import REQUEST_ID_HEADER

# Notifications have their own queue, so the delivery tick never waits behind a spike's
# thousands of them.
QUEUES = ("default", "media", "delivery", "notify", "helpdesk")
# Housekeeping is light and hourly; it shares the default queue. The delivery tick runs
# 2 s apart; the sweepers re-enqueue work whose task was lost.
BEAT_SCHEDULE = {
    "purge-expired-credentials": {"task": "voicebox.accounts.purge_expired", "schedule": 3600.0},
    "purge-expired-uploads": {"task": "voicebox.uploads.purge_expired", "schedule": 3600.0},
    # Every 2 s: a delivery's lateness is at most one interval plus the batch it rides in.
    "dispatch-due-deliveries": {"task": "voicebox.delivery.dispatch_due", "schedule": 2.0},
    # Schedules become delivery rows up to VOICEBOX_SCHEDULE_LOOKAHEAD_SECONDS ahead.
    "plan-scheduled-deliveries": {"task": "voicebox.delivery.plan_schedules", "schedule": 10.0},
    "sweep-stuck-transcodes": {"task": "voicebox.media.sweep", "schedule": 60.0},
    # Leases, the 2-minute urgent alarm and escalations: 15 s is their resolution.
    "sweep-help-queue": {"task": "voicebox.helpdesk.sweep", "schedule": 15.0},
    "purge-help-desk": {"task": "voicebox.helpdesk.purge", "schedule": 3600.0},
    # Hourly, so a missed run costs an hour; the rows say who was nudged already.
    "nudge-guardians-of-quiet-children": {"task": "voicebox.watchdog.nudge", "schedule": 3600.0},
    # A guardian's request enqueues the erasure at once; this finishes any a crash left.
    "erase-children": {"task": "voicebox.families.erase", "schedule": 300.0},
    "sweep-exports": {"task": "voicebox.families.sweep_exports", "schedule": 300.0},
    "purge-old-messages": {"task": "voicebox.retention.purge_messages", "schedule": 3600.0},
    # Blobs whose rows are gone but whose delete failed or never ran.
    "sweep-orphaned-blobs": {"task": "voicebox.retention.sweep_blobs", "schedule": 3600.0},
}


# A database that cannot be reached for a moment (a restart, a cut line) fails a task that is
# tried again shortly, not dropped: the sweepers would find its work only after their grace.
DATABASE_AWAY: tuple[type[Exception], ...] = (OperationalError,)


def _broker_options(broker_url: str) -> dict[str, Any]:
    if broker_url.startswith("redis"):
        # A task delayed past the visibility timeout is redelivered again and again; nothing we
        # enqueue waits that long (schedules live in the database), so a short timeout only
        # speeds up recovery of tasks whose worker died.
        return {"broker_transport_options": {"visibility_timeout": 900}}
    # kombu's SQLAlchemy transport hands its options to create_engine: give it none.
    return {}


def celery_init_app(app: Flask, settings: Settings) -> Celery:
    class FlaskTask(Task):
        # Every task, unless it names its own (which then add DATABASE_AWAY).
        autoretry_for = DATABASE_AWAY
        retry_backoff = 2
        retry_backoff_max = 60
        max_retries = 10

        def __call__(self, *args: object, **kwargs: object) -> object:
            sent_by = TASK_REQUEST_ID.set(self.request.get(REQUEST_ID_HEADER) or "-")
            try:
                with app.app_context():
                    return self.run(*args, **kwargs)
            finally:
                TASK_REQUEST_ID.reset(sent_by)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(
        {
            "broker_url": settings.broker_url,
            "broker_connection_retry_on_startup": True,
            "task_ignore_result": True,
            "task_default_queue": "default",
            "task_queues": [Queue(name) for name in QUEUES],
            "task_routes": {f"voicebox.{name}.*": {"queue": name} for name in QUEUES[1:]},
            # The database is the truth: a lost message is re-enqueued by a sweeper, so tasks
            # are acked on receipt rather than risking a crash loop on redelivery.
            "task_acks_late": False,
            "worker_prefetch_multiplier": 1,
            "worker_hijack_root_logger": False,
            "beat_schedule": BEAT_SCHEDULE,
            "beat_schedule_filename": str(Path(settings.data_dir) / "celerybeat-schedule"),
            "timezone": "UTC",
            **_broker_options(settings.broker_url or ""),
        }
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app

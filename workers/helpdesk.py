"""Help queue tasks: the timers' sweep, pushing an event to the people it concerns, retention."""

from celery import shared_task

from voicebox import jobs
from voicebox.celery_app import DATABASE_AWAY
from voicebox.extensions import current_notifier
from voicebox.notify import NotifyFailed
from voicebox.services.helpdesk import timers


@shared_task(name=jobs.SWEEP_HELPDESK, soft_time_limit=60, expires=30)
def sweep() -> dict[str, int]:
    """Expire leases, alert on urgent waits, escalate long waits; safe beside another sweep."""
    return timers.sweep()


@shared_task(
    name=jobs.PUSH_HELP_EVENT,
    autoretry_for=(NotifyFailed, *DATABASE_AWAY),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=8,
    soft_time_limit=30,
)
def push(event_id: str) -> bool:
    """Notify the people one queue event concerns; an event already pushed is left alone."""
    return timers.push(int(event_id), current_notifier())


@shared_task(name=jobs.PURGE_HELPDESK, soft_time_limit=300)
def purge() -> dict[str, int]:
    """Delete what is past its retention: recordings, then whole resolved requests, audit
    entries, and queue events too old to replay."""
    audio = records = 0
    while (purged := timers.purge_audio()) == timers.BATCH:
        audio += purged
    while (deleted := timers.purge_records()) == timers.BATCH:
        records += deleted
    return {
        "requests_purged_of_audio": audio + purged,
        "requests_deleted": records + deleted,
        "audit_entries": timers.purge_audit(),
        "events": timers.purge_events(),
    }

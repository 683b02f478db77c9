"""The no-contact watchdog's task: nudge the guardians of children who have gone quiet."""

from celery import shared_task

from voicebox import jobs
from voicebox.celery_app import DATABASE_AWAY
from voicebox.extensions import current_notifier
from voicebox.notify import NotifyFailed
from voicebox.services.families import watchdog


@shared_task(
    name=jobs.NUDGE_QUIET,
    autoretry_for=(NotifyFailed, *DATABASE_AWAY),
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=4,
    soft_time_limit=600,
    expires=1800,
)
def nudge() -> int:
    """Nudge, batch after batch; a child already nudged in this quiet spell is left alone."""
    notifier = current_notifier()
    total = 0
    while (nudged := watchdog.nudge(notifier)) == watchdog.BATCH:
        total += nudged
    return total + nudged

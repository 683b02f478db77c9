"""Delivered messages past their retention, when one is set."""

from celery import shared_task

from voicebox import jobs
from voicebox.services.messaging import retention


@shared_task(name=jobs.PURGE_MESSAGES, soft_time_limit=600)
def purge_messages() -> int:
    """Delete delivered messages past VOICEBOX_MESSAGE_RETENTION_DAYS, batch after batch."""
    total = 0
    while (deleted := retention.purge_delivered()) == retention.BATCH:
        total += deleted
    return total + deleted

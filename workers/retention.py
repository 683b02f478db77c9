"""What is kept no longer: delivered messages past their retention, and blobs no row names."""

from celery import shared_task

from voicebox import jobs
from voicebox.services import blob_sweep
from voicebox.services.messaging import retention


@shared_task(name=jobs.PURGE_MESSAGES, soft_time_limit=600)
def purge_messages() -> int:
    """Delete delivered messages past VOICEBOX_MESSAGE_RETENTION_DAYS, batch after batch."""
    total = 0
    while (deleted := retention.purge_delivered()) == retention.BATCH:
        total += deleted
    return total + deleted


@shared_task(name=jobs.SWEEP_BLOBS, soft_time_limit=3000, expires=3000)
def sweep_blobs() -> int:
    """Remove the objects no row names (older than a few hours); safe to run any number of times."""
    return blob_sweep.sweep()

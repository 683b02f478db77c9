"""Upload housekeeping: abandoned resumable uploads expire and their chunks are deleted."""

from celery import shared_task

from voicebox import jobs
from voicebox.services.recordings import uploads


@shared_task(name=jobs.PURGE_UPLOADS, soft_time_limit=300)
def purge_expired() -> int:
    """Delete expired uploads and their stored chunks; safe to run any number of times."""
    return uploads.purge_expired()

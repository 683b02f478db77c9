"""Erasing children whose guardians asked for it: every row and blob about them."""

from celery import shared_task

from voicebox import jobs
from voicebox.services.families import erasure


@shared_task(name=jobs.ERASE_CHILDREN, soft_time_limit=600, expires=3600)
def erase() -> int:
    """Erase the children marked for it, batch after batch; a run after a crash finishes them."""
    total = 0
    while (erased := erasure.erase_due()) == erasure.BATCH:
        total += erased
    return total + erased

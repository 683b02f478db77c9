"""Families' long work: erasing children whose guardians asked for it, and writing exports."""

from celery import shared_task

from voicebox import jobs
from voicebox.celery_app import DATABASE_AWAY
from voicebox.services.families import erasure, export_job
from voicebox.storage import StorageUnavailable


@shared_task(name=jobs.ERASE_CHILDREN, soft_time_limit=600, expires=3600)
def erase() -> int:
    """Erase the children marked for it, batch after batch; a run after a crash finishes them."""
    total = 0
    while (erased := erasure.erase_due()) == erasure.BATCH:
        total += erased
    return total + erased


@shared_task(
    name=jobs.EXPORT_CHILD,
    autoretry_for=(StorageUnavailable, *DATABASE_AWAY),
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=5,
    soft_time_limit=export_job.TIME_LIMIT_SECONDS - 60,
    time_limit=export_job.TIME_LIMIT_SECONDS,
)
def export(export_id: str) -> str:
    """Write one child's export; running it again for one taken or done does nothing."""
    return export_job.make(export_id)


@shared_task(name=jobs.SWEEP_EXPORTS, soft_time_limit=60)
def sweep_exports() -> dict[str, int]:
    """Delete exports past their time; enqueue again those whose run was lost."""
    return export_job.sweep()

"""Media tasks: transcode one recording (of a message, a library story or a help thread), and
sweep up transcodes whose worker died."""

from celery import shared_task

from voicebox import jobs
from voicebox.celery_app import DATABASE_AWAY
from voicebox.services.recordings import processing
from voicebox.storage import StorageUnavailable


@shared_task(
    name=jobs.TRANSCODE,
    autoretry_for=(StorageUnavailable, *DATABASE_AWAY),
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=5,
    # The service bounds decoding by VOICEBOX_MEDIA_TIME_LIMIT_SECONDS; these are the backstop
    # for a decoder that hangs inside FFmpeg.
    soft_time_limit=jobs.TRANSCODE_TIME_LIMIT_SECONDS - 60,
    time_limit=jobs.TRANSCODE_TIME_LIMIT_SECONDS,
)
def transcode(recording_id: str) -> str:
    """Make the renditions of one recording; running it again for a done one does nothing."""
    return processing.transcode(recording_id)


@shared_task(name=jobs.SWEEP_MEDIA, soft_time_limit=60)
def sweep() -> dict[str, int]:
    """Re-enqueue transcodes whose lease ran out; fail those out of attempts."""
    return processing.sweep()

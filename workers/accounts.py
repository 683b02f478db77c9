"""Account housekeeping tasks."""

from celery import shared_task

from voicebox import jobs
from voicebox.services.accounts import housekeeping


@shared_task(name=jobs.PURGE_CREDENTIALS, soft_time_limit=300)
def purge_expired() -> dict[str, int]:
    """Delete expired tokens, pairing codes and invitations; safe to run any number of times."""
    return housekeeping.purge_expired_credentials()

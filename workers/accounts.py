"""Account tasks: housekeeping, and the texts that carry codes."""

from celery import shared_task

from voicebox import jobs
from voicebox.celery_app import DATABASE_AWAY
from voicebox.extensions import current_sms
from voicebox.services.accounts import housekeeping
from voicebox.sms import SmsFailed


@shared_task(name=jobs.PURGE_CREDENTIALS, soft_time_limit=300)
def purge_expired() -> dict[str, int]:
    """Delete expired tokens, pairing codes and invitations; safe to run any number of times."""
    return housekeeping.purge_expired_credentials()


# A gateway that fails is tried again for about two minutes; a text is never sent once its code
# could have expired (10 minutes by default): the person asks for another.
@shared_task(
    name=jobs.SEND_TEXT,
    autoretry_for=(SmsFailed, *DATABASE_AWAY),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=5,
    soft_time_limit=60,
    expires=600,
)
def send_text(phone: str, text: str) -> None:
    """Text ``phone``. Run twice (a lost acknowledgement), the person gets the same text twice:
    harmless, and better than none."""
    current_sms().send(phone, text)

"""Delivery tasks: the due-time tick, and telling a recipient that something arrived."""

from celery import shared_task
from flask import current_app

from voicebox import jobs
from voicebox.notify import NotifyFailed
from voicebox.services import delivery


@shared_task(name=jobs.DISPATCH_DUE, soft_time_limit=60, expires=30)
def dispatch_due() -> int:
    """Deliver what is due, batch after batch; safe to run beside another tick."""
    total = 0
    while (delivered := delivery.dispatch_due()) == delivery.BATCH:
        total += delivered
    return total + delivered


@shared_task(
    name=jobs.NOTIFY,
    autoretry_for=(NotifyFailed,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
    soft_time_limit=30,
)
def notify(delivery_id: str) -> bool:
    """Notify one recipient once; a delivery already notified is left alone."""
    return delivery.notify(delivery_id, current_app.extensions["voicebox.notifier"])

"""Delivery tasks: planning schedules, the due-time tick, and telling recipients."""

from celery import shared_task

from voicebox import jobs
from voicebox.celery_app import DATABASE_AWAY
from voicebox.extensions import current_notifier
from voicebox.notify import NotifyFailed
from voicebox.services.messaging import delivery
from voicebox.services.scheduling import schedules


@shared_task(name=jobs.DISPATCH_DUE, soft_time_limit=60, expires=30)
def dispatch_due() -> int:
    """Deliver what is due, batch after batch; safe to run beside another tick."""
    total = 0
    while (delivered := delivery.dispatch_due()) == delivery.BATCH:
        total += delivered
    delivery.renotify_lost()
    return total + delivered


@shared_task(name=jobs.PLAN_SCHEDULES, soft_time_limit=120, expires=60)
def plan_schedules() -> int:
    """Turn the schedules that run soon into delivery rows; safe to run beside another."""
    total = 0
    while (planned := schedules.plan_due()) == schedules.BATCH:
        total += planned
    return total + planned


@shared_task(
    name=jobs.NOTIFY,
    autoretry_for=(NotifyFailed, *DATABASE_AWAY),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
    soft_time_limit=120,
)
def notify(*delivery_ids: str) -> int:
    """Notify each recipient once; deliveries already notified are left alone, so a retry after
    one failure repeats nobody's notification."""
    return delivery.notify(delivery_ids, current_notifier())

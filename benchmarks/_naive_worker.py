"""The design the bedtime benchmark compares against: one Celery ETA task per delivery.

Each task delivers its one row the way voicebox's dispatcher delivers a batch (a conditional
update, the message's status, the child's contact clock) and then notifies, as voicebox's
notify task does. Run as ``celery -A benchmarks._naive_worker worker -Q bench-naive``.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init
from sqlalchemy import update

from voicebox import create_app
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Delivery, Message, MessageStatus
from voicebox.services.messaging import delivery

QUEUE = "bench-naive"
TASK = "bench.naive_deliver"

flask_app = create_app()
celery = Celery("naive", broker=flask_app.config["VOICEBOX_SETTINGS"].broker_url)
celery.conf.update(task_default_queue=QUEUE, task_ignore_result=True, worker_hijack_root_logger=False)


@worker_process_init.connect
def _fresh_connections(**_: object) -> None:
    with flask_app.app_context():
        db.engine.dispose(close=False)


@celery.task(name=TASK)
def deliver(delivery_id: str) -> None:
    with flask_app.app_context():
        now = utcnow()
        claimed = db.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.delivered_at.is_(None))
            .values(delivered_at=now)
            .returning(Delivery.message_id, Delivery.child_id)
        ).first()
        if claimed is None:
            db.session.rollback()
            return
        db.session.execute(
            update(Message)
            .where(Message.id == claimed.message_id)
            .values(status=MessageStatus.DELIVERED, delivered_at=now)
        )
        delivery.record_contact([claimed.child_id], now)
        db.session.commit()
        delivery.notify([delivery_id], flask_app.extensions["voicebox.notifier"])

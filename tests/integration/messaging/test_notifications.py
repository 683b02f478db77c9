"""A delivery's notification through a real webhook: its id is the Idempotency-Key, a retry
after a failure carries the same one, and nobody is told twice once it went out."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import Api, Receiver
from tests.integration.recordings import deliver_directly
from voicebox.extensions import db
from voicebox.models import Delivery
from voicebox.notify import NotifyFailed, WebhookNotifier
from voicebox.services.messaging import delivery

SECRET = b"notification-test-secret"


def test_a_deliverys_notification_keeps_its_id_through_a_retry(
    app: Flask, parent: Api, make_child, receiver: str
) -> None:
    child = make_child()
    (message_id,) = deliver_directly(app, child["id"], parent.user["id"], 1)
    notifier = WebhookNotifier(receiver, SECRET)
    with app.app_context():
        (delivery_id,) = db.session.scalars(select(Delivery.id).where(Delivery.message_id == message_id))
        db.session.remove()
        Receiver.statuses = [503]
        with pytest.raises(NotifyFailed):
            delivery.notify([delivery_id], notifier)
        assert delivery.notify([delivery_id], notifier) == 1
        assert delivery.notify([delivery_id], notifier) == 0  # told once it went out
    tried, sent = (json.loads(body) for body, _ in Receiver.received)
    assert sent["type"] == "message.delivered" and sent["message_id"] == message_id
    assert sent["recipient"] == {"child_id": child["id"]}
    assert tried["id"] == sent["id"] and Receiver.keys == [sent["id"], sent["id"]]

"""The webhook notifier over real HTTP: signed bodies with their id as the Idempotency-Key, and
failures that ask to be retried."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.conftest import Receiver
from voicebox.notify import NotifyFailed, WebhookNotifier, notification_id

SECRET = b"webhook-test-secret"


def test_the_webhook_is_signed_and_a_failure_asks_for_a_retry(receiver: str) -> None:
    notifier = WebhookNotifier(receiver, SECRET)
    Receiver.statuses = [503]
    event = {
        "id": notification_id("message.delivered", "d1"),
        "type": "message.delivered",
        "message_id": "m1",
    }
    with pytest.raises(NotifyFailed):
        notifier.notify(event)
    notifier.notify(event)
    assert len(Receiver.received) == 2
    body, signature = Receiver.received[1]
    assert json.loads(body) == event
    assert signature == "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    # The retry carries the first try's key, so a receiver that took the first drops it.
    assert Receiver.keys == [event["id"], event["id"]]


def test_a_notifications_id_is_what_it_is_about() -> None:
    assert notification_id("message.delivered", "d1") == notification_id("message.delivered", "d1")
    assert len({notification_id("message.delivered", "d1"), notification_id("message.delivered", "d2"),
                notification_id("help.claimed", "d1")}) == 3  # fmt: skip


def test_an_unreachable_webhook_asks_for_a_retry() -> None:
    with pytest.raises(NotifyFailed):
        WebhookNotifier("http://127.0.0.1:9/hook", SECRET).notify({"id": "n1", "type": "test"})

"""The webhook notifier over real HTTP: signed bodies, and failures that ask to be retried."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.conftest import Receiver
from voicebox.notify import NotifyFailed, WebhookNotifier

SECRET = b"webhook-test-secret"


def test_the_webhook_is_signed_and_a_failure_asks_for_a_retry(receiver: str) -> None:
    notifier = WebhookNotifier(receiver, SECRET)
    Receiver.statuses = [503]
    with pytest.raises(NotifyFailed):
        notifier.notify({"type": "message.delivered", "message_id": "m1"})
    notifier.notify({"type": "message.delivered", "message_id": "m1"})
    assert len(Receiver.received) == 2
    body, signature = Receiver.received[1]
    assert json.loads(body) == {"type": "message.delivered", "message_id": "m1"}
    assert signature == "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()


def test_an_unreachable_webhook_asks_for_a_retry() -> None:
    with pytest.raises(NotifyFailed):
        WebhookNotifier("http://127.0.0.1:9/hook", SECRET).notify({"type": "test"})

"""The webhook notifier over real HTTP: signed bodies, and failures that ask to be retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from voicebox.notify import NotifyFailed, WebhookNotifier

SECRET = b"webhook-test-secret"


class Receiver(BaseHTTPRequestHandler):
    statuses: list[int] = []
    received: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((body, self.headers["X-Voicebox-Signature"]))
        self.send_response(Receiver.statuses.pop(0) if Receiver.statuses else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.statuses, Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


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

"""Telling people that something arrived: a log line, or an HTTP webhook to a push gateway.

Every notification carries an ``id`` made from what it is about (``notification_id``), so one
sent again (a retry after a timeout, a task run twice) carries the same id, and the webhook
sends it as ``Idempotency-Key``: a receiver drops a repeat."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
import uuid
from abc import ABC, abstractmethod
from typing import Any

from config.settings import Settings

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 5
_IDS = uuid.UUID("6f1c2a4e-8d3b-4c57-9a0e-2b7d5e9f1c03")


def notification_id(*about: str) -> str:
    """The id of the notification about ``about`` (its type, and the rows and recipient it is
    for): the same parts always give the same id."""
    return str(uuid.uuid5(_IDS, "\x1f".join(about)))


class NotifyFailed(RuntimeError):
    """The notification did not go out; worth retrying later."""


class Notifier(ABC):
    @abstractmethod
    def notify(self, event: dict[str, Any]) -> None:
        """Send one event (with its ``id``); raise NotifyFailed when it should be retried."""


class LogNotifier(Notifier):
    def notify(self, event: dict[str, Any]) -> None:
        if log.isEnabledFor(logging.INFO):
            log.info("notify %s", json.dumps(event, sort_keys=True))


class WebhookNotifier(Notifier):
    """POSTs the event as JSON, signed so the receiver can tell it came from us."""

    def __init__(self, url: str, secret: bytes) -> None:
        self.url = url
        self.secret = secret

    def notify(self, event: dict[str, Any]) -> None:
        body = json.dumps(event, sort_keys=True).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Voicebox-Signature": f"sha256={signature}",
                "Idempotency-Key": event["id"],
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the answer's connection
            raise NotifyFailed(f"webhook {self.url} answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise NotifyFailed(f"webhook {self.url} failed: {exc}") from exc


def build_notifier(settings: Settings) -> Notifier:
    if settings.notifier == "webhook":
        secret = hmac.new(settings.secret_key.encode(), b"voicebox.webhook", hashlib.sha256).digest()
        return WebhookNotifier(settings.webhook_url or "", secret)
    return LogNotifier()

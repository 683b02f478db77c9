"""Telling people that something arrived: a log line, or an HTTP webhook to a push gateway."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from typing import Any

from config.settings import Settings

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 5


class NotifyFailed(RuntimeError):
    """The notification did not go out; worth retrying later."""


class Notifier(ABC):
    @abstractmethod
    def notify(self, event: dict[str, Any]) -> None:
        """Send one event; raise NotifyFailed when it should be retried."""


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
            headers={"Content-Type": "application/json", "X-Voicebox-Signature": f"sha256={signature}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise NotifyFailed(f"webhook {self.url} failed: {exc}") from exc


def build_notifier(settings: Settings) -> Notifier:
    if settings.notifier == "webhook":
        secret = hmac.new(settings.secret_key.encode(), b"voicebox.webhook", hashlib.sha256).digest()
        return WebhookNotifier(settings.webhook_url or "", secret)
    return LogNotifier()

"""Text messages to a phone (verification codes): a log line, or an HTTP gateway.

A provider's adapter is one more ``SmsSender``. The HTTP gateway gets a signed JSON body
``{"to": "+86...", "text": "..."}``, signed as the push webhook is (``X-Voicebox-Signature``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from abc import ABC, abstractmethod

from config.settings import Settings
from voicebox.notify import NotifyFailed, WebhookNotifier, notification_id

log = logging.getLogger(__name__)


class SmsFailed(RuntimeError):
    """The text did not go out."""


class SmsSender(ABC):
    @abstractmethod
    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone`` (E.164); raise SmsFailed if it did not go."""


class LogSms(SmsSender):
    """The embedded profile has no SMS: the text goes to the log, for whoever runs it."""

    def send(self, phone: str, text: str) -> None:
        log.warning("sms to %s: %s", phone, text)


class HttpSms(SmsSender):
    def __init__(self, url: str, secret: bytes) -> None:
        self._gateway = WebhookNotifier(url, secret)

    def send(self, phone: str, text: str) -> None:
        try:
            self._gateway.notify({"id": notification_id("sms", phone, text), "to": phone, "text": text})
        except NotifyFailed as exc:
            raise SmsFailed(str(exc)) from exc


def build_sms_sender(settings: Settings) -> SmsSender:
    if settings.sms == "http":
        secret = hmac.new(settings.secret_key.encode(), b"voicebox.sms", hashlib.sha256).digest()
        return HttpSms(settings.sms_gateway_url or "", secret)
    return LogSms()

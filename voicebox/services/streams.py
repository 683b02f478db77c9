"""What a live stream does between looks at its rows: wait for a wake-up, keep the line
alive, and end when its time is up or its token no longer holds.

The token is looked at before every look at the rows and every few seconds in between, so a
device unpaired or a user logged out hears nothing more, and its stream ends within 5 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from enum import Enum
from typing import Any, Protocol

from voicebox.events import Subscription
from voicebox.extensions import current_event_bus, current_settings
from voicebox.services.accounts import tokens
from voicebox.services.work import end_read

TOKEN_CHECK_SECONDS = 4.0
# A reader that is ``hurried`` (a gap in the help queue's events is open) looks again this
# soon rather than waiting for a wake-up.
HURRIED_POLL_SECONDS = 0.25
# An event (its id and what it carries), or None for "nothing yet" (the edge sends a
# keep-alive so proxies keep the line).
Event = tuple[str, Any] | None


class Reader(Protocol):
    """A stream's state and its look at the rows (an inbox's, or the help queue's)."""

    hurried: bool

    @property
    def topic(self) -> str: ...

    def look(self) -> list[tuple[str, Any]]: ...


class Step(Enum):
    WOKEN = "woken"  # look at the rows
    QUIET = "quiet"  # nothing said: keep the line alive, then look anyway
    END = "end"


class Pacer:
    """One stream's clock, from when it opened."""

    def __init__(self, token_id: str, subscription: Subscription, seconds: float) -> None:
        self._token_id = token_id
        self._subscription = subscription
        now = time.monotonic()
        self._deadline = now + seconds
        self._checked = now

    def next(self, longest: float) -> Step:
        """End the read and wait at most ``longest`` seconds for a wake-up. The token is looked
        at before every look at the rows, and every few seconds while nothing happens, so
        nothing reaches a device once its token is revoked."""
        end_read()
        until = min(time.monotonic() + longest, self._deadline)
        while True:
            now = time.monotonic()
            wait = min(until, self._checked + TOKEN_CHECK_SECONDS) - now
            woken = wait > 0 and self._subscription.wait(wait)
            now = time.monotonic()
            if now >= self._deadline:
                return Step.END
            looks = woken or now >= until
            if looks or now - self._checked >= TOKEN_CHECK_SECONDS:
                if not tokens.still_holds(self._token_id):
                    return Step.END
                self._checked = now
            if woken:
                return Step.WOKEN
            if looks:
                return Step.QUIET


def follow(reader: Reader, token_id: str) -> Iterator[Event]:
    """The API's own stream: ``reader``'s events as they come, waiting in this thread between
    looks, for ``VOICEBOX_EVENT_STREAM_SECONDS``."""
    bus = current_event_bus()
    subscription = bus.subscribe(reader.topic)
    pacer = Pacer(token_id, subscription, current_settings().event_stream_seconds)
    end_read()
    return _events(reader, subscription, pacer, bus.poll_seconds)


def _events(reader: Reader, subscription: Subscription, pacer: Pacer, poll: float) -> Iterator[Event]:
    try:
        while True:
            yield from reader.look()
            step = pacer.next(HURRIED_POLL_SECONDS if reader.hurried else poll)
            if step is Step.END:
                return
            if step is Step.QUIET and not reader.hurried:
                yield None
    finally:
        subscription.close()

"""The live inbox: deliveries pushed to a connected device as they land.

The database says what is new (deliveries after the client's cursor); the event bus only says
when to look. A stream lasts a bounded time and the client reconnects with Last-Event-ID, so a
long-lived connection never pins a server thread or a database connection for good.
"""

from __future__ import annotations

from collections.abc import Iterator

from voicebox.events import Subscription
from voicebox.extensions import current_event_bus, current_settings
from voicebox.services import paging
from voicebox.services.accounts.tokens import Principal
from voicebox.services.messaging import mailboxes
from voicebox.services.messaging.messages import Mailbox, MessageView
from voicebox.services.streams import Pacer, Step
from voicebox.services.work import end_read

# An event, or None for "nothing yet" (the edge sends a keep-alive so proxies keep the line).
Event = tuple[str, MessageView] | None


def inbox_stream(principal: Principal, last_event_id: str | None) -> Iterator[Event]:
    """Events after ``last_event_id`` (or from now on); the cursor is checked before streaming."""
    mailbox = Mailbox.of(principal)
    if last_event_id:
        paging.decode_cursor(last_event_id)
        cursor = last_event_id
    else:
        cursor = mailboxes.newest_cursor(mailbox)
    bus = current_event_bus()
    subscription = bus.subscribe(mailbox.topic)
    pacer = Pacer(principal.token_id, subscription, current_settings().event_stream_seconds)
    end_read()
    return _events(mailbox, cursor, subscription, pacer, bus.poll_seconds)


def _events(
    mailbox: Mailbox, cursor: str, subscription: Subscription, pacer: Pacer, poll: float
) -> Iterator[Event]:
    try:
        while True:
            for cursor, item in mailboxes.inbox_since(mailbox, cursor):  # noqa: B020 - advance it
                yield cursor, item
            step = pacer.next(poll)
            if step is Step.END:
                return
            if step is Step.QUIET:
                yield None
    finally:
        subscription.close()

"""The live inbox: deliveries pushed to a connected device as they land.

The database says what is new (deliveries after the client's cursor); the event bus only says
when to look. ``InboxReader`` is the stream's state and its look at the rows; the push server
(``voicebox.push``) waits between looks in its event loop.
"""

from __future__ import annotations

from voicebox.services import paging
from voicebox.services.accounts.tokens import Principal
from voicebox.services.messaging import mailboxes
from voicebox.services.messaging.message_views import Mailbox, MessageView


class InboxReader:
    """One stream of the caller's inbox: where it stands, and what is new since."""

    # Nothing to wait for between looks but a wake-up.
    hurried = False

    def __init__(self, principal: Principal, last_event_id: str | None) -> None:
        """Start after ``last_event_id`` (checked), or from now on."""
        self.mailbox = Mailbox.of(principal)
        if last_event_id:
            paging.decode_cursor(last_event_id)
            self.cursor = last_event_id
        else:
            self.cursor = mailboxes.newest_cursor(self.mailbox)

    @property
    def topic(self) -> str:
        return self.mailbox.topic

    def look(self) -> list[tuple[str, MessageView]]:
        """Deliveries since the last look, oldest first, each under its cursor."""
        found = mailboxes.inbox_since(self.mailbox, self.cursor)
        if found:
            self.cursor = found[-1][0]
        return found


def look_many(readers: list[InboxReader]) -> list[list[tuple[str, MessageView]]]:
    """``look`` for many streams at once (see ``mailboxes.inbox_since_many``)."""
    found = mailboxes.inbox_since_many([(reader.mailbox, reader.cursor) for reader in readers])
    for reader, events in zip(readers, found, strict=True):
        if events:
            reader.cursor = events[-1][0]
    return found

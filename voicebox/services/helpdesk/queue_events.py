"""The help queue's events: written with the change they describe, streamed live to helpers.

Each event is a row in the same transaction as the change, so the stream can never announce
what did not happen, nor miss what did. The event bus only says when to look again.

Rows are numbered by a database sequence, and a transaction that took a number may commit
after a later one: a reader that has seen event 11 while 10 is still uncommitted must not move
past 10. The stream's cursor therefore stops at the first gap and moves over it only once the
gap is older than ``GAP_GRACE`` (a rolled-back transaction leaves a gap for good); events
beyond the gap are sent at once and remembered, so nothing is sent twice in one stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Invalid
from voicebox.extensions import db
from voicebox.models import HelpEvent, HelpEventKind, HelpRequest
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.work import end_read

TOPIC = "helpdesk"
GAP_GRACE = timedelta(seconds=5)
READ_BATCH = 500
# Events about one request's thread, for its holder or its child, never broadcast to helpers.
PRIVATE_KINDS = (HelpEventKind.ANSWERED,)


def record(request: Any, kind: HelpEventKind, user_id: str | None = None, push: bool = False) -> None:
    """Write an event in the caller's transaction; pushed events also go through the notifier."""
    event_id = db.session.execute(
        insert(HelpEvent)
        .values(request_id=request.id, kind=kind, user_id=user_id, at=utcnow(), push=push)
        .returning(HelpEvent.id)
    ).scalar_one()
    if push:
        jobs.enqueue(jobs.PUSH_HELP_EVENT, str(event_id))
    jobs.wake(TOPIC)


@dataclass(frozen=True)
class LiveEvent:
    """What a helper's stream carries: what happened to which request, never what it says."""

    event_id: int
    type: str
    at: datetime
    request: dict


class QueueReader:
    """One helper's stream of the queue: where it stands, and what is new since."""

    topic = TOPIC

    def __init__(self, principal: Principal, last_event_id: str | None) -> None:
        """Start after ``last_event_id`` (checked), or from now on; approved helpers only."""
        policy.require_queue_watcher(principal)
        if last_event_id:
            if not (last_event_id.isascii() and last_event_id.isdigit()):
                raise Invalid("Last-Event-ID is not one this stream sent.")
            self.cursor: int | None = int(last_event_id)
        else:
            # None when there is no event yet: the first one seen is where the stream starts.
            self.cursor = db.session.scalar(select(func.max(HelpEvent.id)))
        self.user_id = user_of(principal).id
        self.sent: set[int] = set()
        # A gap is open: look again soon, not only at a wake-up (the stream's pace is the push
        # server's).
        self.hurried = False

    def look(self) -> list[tuple[str, LiveEvent]]:
        """Events since the last look that are for this helper, oldest first."""
        found = []
        while True:
            rows = db.session.execute(
                select(HelpEvent, HelpRequest)
                .join(HelpRequest, HelpRequest.id == HelpEvent.request_id)
                .where(HelpEvent.id > (self.cursor or 0))
                .order_by(HelpEvent.id)
                .limit(READ_BATCH)
            ).all()
            now = utcnow()
            gap = False
            for event, request in rows:
                fresh = event.id not in self.sent
                if not gap and (
                    self.cursor is None or event.id == self.cursor + 1 or event.at < now - GAP_GRACE
                ):
                    self.cursor = event.id
                    self.sent.discard(event.id)
                else:
                    gap = True
                    self.sent.add(event.id)
                if fresh and _is_for(event, self.user_id):
                    found.append((str(self.cursor), _live(event, request)))
            self.hurried = gap
            if len(rows) < READ_BATCH:
                return found
            end_read()


def _is_for(event: HelpEvent, user_id: str) -> bool:
    if event.kind in PRIVATE_KINDS:
        return False
    return event.user_id is None or event.user_id == user_id


def _live(event: HelpEvent, request: HelpRequest) -> LiveEvent:
    return LiveEvent(
        event_id=event.id,
        type=event.kind,
        at=event.at,
        request={
            "id": request.id,
            "status": request.status,
            "priority": request.priority,
            "category": request.category,
            "urgent": request.urgent,
            "queued_at": request.queued_at,
        },
    )

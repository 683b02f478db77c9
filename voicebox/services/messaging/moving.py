"""Moving a message that has not reached its child yet to another time.

Apart from ``messages``, since a move hands the message to ``delivery``, which itself reads
``messages``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from voicebox.clock import utcnow
from voicebox.errors import Conflict, NotFound
from voicebox.extensions import db
from voicebox.models import Child, Delivery, Direction, Message, MessageStatus
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal
from voicebox.services.messaging import delivery, message_views, messages
from voicebox.services.messaging.message_views import MessageView
from voicebox.services.work import use_case


@use_case
def reschedule(principal: Principal, message_id: str, deliver_at: datetime) -> MessageView:
    """Move a message that has not reached the child yet (its sender or a guardian may); a
    queued story leaves the queue for this time. Quiet hours still apply unless it is urgent."""
    message = policy.message_for(principal, db.session.get(Message, message_id))
    is_sender = principal.user is not None and message.sender_user_id == principal.user.id
    if message.direction != Direction.TO_CHILD or not (
        is_sender or policy.is_guardian(principal, message.child_id)
    ):
        raise NotFound("No such message.")
    if message.status not in (MessageStatus.PROCESSING, MessageStatus.SCHEDULED):
        raise Conflict("Only a message that has not reached the child yet can be moved.")
    messages.check_deliver_at(deliver_at)
    message.deliver_at, message.queued = deliver_at, False
    if message.status == MessageStatus.SCHEDULED:
        child = db.session.get_one(Child, message.child_id)
        pending = list(
            db.session.scalars(
                select(Delivery).where(Delivery.message_id == message.id, Delivery.delivered_at.is_(None))
            )
        )
        if not pending:
            delivery.give(child, message, max(deliver_at, utcnow()))
        for row in pending:
            row.due_at = delivery.due_for_child(message, child, max(deliver_at, utcnow()))
            row.schedule_id = None
    return message_views.message_view_for(principal, message)

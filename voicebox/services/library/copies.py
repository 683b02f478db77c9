"""A child's copy of a library story: an ordinary message to the child that names the story it
came from, shares its recording and description (no second transcode, no second blob) and owns
neither. A schedule brings one, or the child takes one from their library."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voicebox.clock import utcnow
from voicebox.errors import Conflict, NotFound
from voicebox.extensions import db
from voicebox.models import (
    BoxItem,
    Child,
    Direction,
    Kind,
    LibraryStory,
    Message,
    MessageStatus,
    Recording,
    RecordingStatus,
)
from voicebox.services.accounts.tokens import Principal
from voicebox.services.library.stories import given_boxes
from voicebox.services.messaging import delivery, message_views
from voicebox.services.messaging.message_views import MessageView
from voicebox.services.work import use_case


def give(
    child: Child, story: LibraryStory, due: datetime, schedule_id: str | None = None, urgent: bool = False
) -> Message:
    """Bring ``story`` to ``child`` as their copy at ``due`` (after their quiet hours unless
    ``urgent``), in the caller's transaction; returns the copy. A copy that exists already is
    returned as it is, unless it was cancelled and this is not a schedule (the child asked for it
    themselves)."""
    existing = db.session.scalar(
        select(Message).where(Message.library_story_id == story.id, Message.child_id == child.id)
    )
    if existing is not None and (existing.status != MessageStatus.CANCELLED or schedule_id is not None):
        return existing
    copy = existing or _copy_of(story, child)
    delivery.give(child, copy, due, schedule_id, urgent)
    return copy


def _copy_of(story: LibraryStory, child: Child) -> Message:
    """The copy comes from the organisation rather than a person, so no curator's outbox ever
    lists a child."""
    copy = Message(
        kind=Kind.STORY,
        title=story.title,
        recording_id=story.recording_id,
        story_id=story.story_id,
        library_story_id=story.id,
        child_id=child.id,
        direction=Direction.TO_CHILD,
        status=MessageStatus.SCHEDULED,
    )
    db.session.add(copy)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("This story is on its way to the child already.") from None
    return copy


@use_case
def take(principal: Principal, story_id: str) -> MessageView:
    """A child picks a library story: their copy arrives in their inbox now."""
    if principal.child is None:
        raise NotFound("No such story.")
    child = principal.child
    boxed = select(BoxItem.story_id).where(BoxItem.box_id.in_(given_boxes(child.id)))
    story = db.session.scalar(
        select(LibraryStory)
        .join(Recording, Recording.id == LibraryStory.recording_id)
        .where(
            LibraryStory.id == story_id, LibraryStory.id.in_(boxed), Recording.status == RecordingStatus.READY
        )
    )
    if story is None:
        raise NotFound("No such story.")
    copy = give(child, story, utcnow(), urgent=True)
    return message_views.message_view_for(principal, copy)

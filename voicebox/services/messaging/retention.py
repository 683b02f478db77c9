"""Delivered messages past ``VOICEBOX_MESSAGE_RETENTION_DAYS``: deleted with their recordings.

Off by default (0): a family keeps its messages until someone deletes them. A library story's
copy goes, but the story's recording is the library's and stays.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from voicebox.clock import utcnow
from voicebox.extensions import current_settings, db
from voicebox.models import Message, Story
from voicebox.services.recordings import recordings
from voicebox.services.work import use_case

BATCH = 500


@use_case
def purge_delivered() -> int:
    """Delete one batch of messages delivered longer ago than the retention; the count."""
    days = current_settings().message_retention_days
    if not days:
        return 0
    cutoff = utcnow() - timedelta(days=days)
    old = db.session.execute(
        select(Message.id, Message.library_story_id, Message.recording_id, Message.story_id)
        .where(Message.delivered_at < cutoff)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not old:
        return 0
    db.session.execute(delete(Message).where(Message.id.in_([row.id for row in old])))
    owned = [row for row in old if row.library_story_id is None]
    recordings.remove([row.recording_id for row in owned])
    db.session.execute(delete(Story).where(Story.id.in_([row.story_id for row in owned if row.story_id])))
    return len(old)

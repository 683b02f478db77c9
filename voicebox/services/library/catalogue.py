"""An organisation's library stories, as its curators keep them: adding one, listing them,
reading one and its audio, and withdrawing one (the children's copies go with it).

A library story reads as a message does (the same view and fields), from its organisation to
its organisation: ``processing``, then ``ready`` or ``failed`` as its recording is; it is never
delivered itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import Select, select

from voicebox.errors import NotFound
from voicebox.extensions import current_settings, db
from voicebox.models import Kind, LibraryStory, Organisation, Recording, RecordingStatus, Story, User
from voicebox.services import paging, policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.blobs import BlobStream
from voicebox.services.messaging import story_details
from voicebox.services.messaging.message_views import MessageView, Party
from voicebox.services.messaging.story_details import NO_DETAILS, StoryDetails
from voicebox.services.recordings import recordings
from voicebox.services.work import use_case


@use_case
def add(
    principal: Principal,
    org_id: str,
    *,
    title: str | None = None,
    audio: BinaryIO | None = None,
    upload_id: str | None = None,
    story: StoryDetails = NO_DETAILS,
) -> MessageView:
    """A curator's story for the organisation's library; ``ready`` once transcoded."""
    org = policy.curated_org(principal, org_id)
    story_details.check(story, Kind.STORY, {"org_id": org.id})
    recording = recordings.take(principal, audio, upload_id, current_settings().max_story_seconds)
    added = LibraryStory(
        org_id=org.id,
        title=title,
        recording_id=recording.id,
        story_id=story_details.new_story(story).id,
        created_by=user_of(principal).id,
    )
    db.session.add(added)
    db.session.flush()
    return view_of(added)


def list_stories(principal: Principal, org_id: str, cursor: str | None, limit: int) -> paging.Page:
    """An organisation's library stories, newest first (its curators)."""
    org = policy.curated_org(principal, org_id)
    rows, last = paging.newest_first(
        _READ.where(LibraryStory.org_id == org.id), LibraryStory.created_at, LibraryStory.id, cursor, limit
    )
    return paging.Page(
        [_view(row) for row in rows],
        paging.encode_cursor(last.LibraryStory.created_at, last.LibraryStory.id) if last else None,
    )


def is_library_story(story_id: str) -> bool:
    """Whether the id names a library story (its routes are shared with messages')."""
    return db.session.get(LibraryStory, story_id) is not None


def story_for(principal: Principal, story_id: str) -> LibraryStory:
    """The library story, for its organisation's curators; NotFound for anyone else (a child
    hears their own copy)."""
    story = db.session.get(LibraryStory, story_id)
    if story is None or not policy.curates(principal, story.org_id):
        raise NotFound("No such message.")
    return story


def get(principal: Principal, story_id: str) -> MessageView:
    return view_of(story_for(principal, story_id))


@use_case
def withdraw(principal: Principal, story_id: str) -> None:
    """Take the story out of the library: out of its boxes, and every child's copy with it."""
    story = story_for(principal, story_id)
    # Its copies and box items go with the row (their keys cascade); then what it owned.
    db.session.delete(story)
    recordings.remove([story.recording_id])
    story_details.forget(story.story_id)


def open_audio(principal: Principal, story_id: str, format_: str) -> str | BlobStream:
    return recordings.open_audio(story_for(principal, story_id).recording_id, format_)


def audio_link(principal: Principal, story_id: str, format_: str) -> tuple[str, datetime]:
    return recordings.audio_link(story_for(principal, story_id).recording_id, format_)


# A library story with what its view shows: its organisation, recording, description and curator.
_READ: Select = (
    select(LibraryStory, Organisation, Recording, Story, User.id.label("curator_id"), User.display_name)
    .join(Organisation, Organisation.id == LibraryStory.org_id)
    .join(Recording, Recording.id == LibraryStory.recording_id)
    .join(Story, Story.id == LibraryStory.story_id)
    .outerjoin(User, User.id == LibraryStory.created_by)
)


def _view(row: Any) -> MessageView:
    story, org, recording = row.LibraryStory, row.Organisation, row.Recording
    return MessageView(
        id=story.id,
        kind=Kind.STORY,
        title=story.title,
        story=story_details.described(row.Story),
        urgent=False,
        queued=False,
        sender=Party(row.curator_id, row.display_name) if row.curator_id else Party("", ""),
        recipient=Party(org.id, org.name),
        status=recording.status,
        failure=recordings.shown_failure(recording),
        duration_ms=recording.duration_ms,
        waveform=recording.waveform,
        renditions=recordings.shown_renditions(recording),
        position_ms=None,
        created_at=story.created_at,
        deliver_at=None,
        delivered_at=None,
        played_at=None,
    )


def view_of(story: LibraryStory) -> MessageView:
    """The story as its curators, and the children given it, see it."""
    return _view(db.session.execute(_READ.where(LibraryStory.id == story.id)).one())


def ready_episodes(series_id: str) -> list[MessageView]:
    """An organisation's series, its episodes ready to hear in order, read in one statement."""
    query = _READ.where(Story.series_id == series_id, Recording.status == RecordingStatus.READY)
    return [_view(row) for row in db.session.execute(query.order_by(Story.episode))]

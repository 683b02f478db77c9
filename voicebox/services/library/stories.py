"""Stories: what one is (title, cover, ages, category, language, series), and the library a
child was given: their family's stories and the boxes organisations assigned to them.

A family's story is a message of kind ``story`` to their child. An organisation's story is a
``LibraryStory`` (``catalogue``); a child hears their own copy of it (``copies``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, null, or_, select, union_all

from voicebox.errors import Invalid, NotFound
from voicebox.extensions import db
from voicebox.models import (
    BoxAssignment,
    BoxItem,
    Child,
    Direction,
    GroupMember,
    Guardianship,
    Kind,
    LibraryStory,
    Message,
    MessageStatus,
    Organisation,
    Recording,
    RecordingStatus,
    Series,
    Story,
    StoryBox,
)
from voicebox.services import paging, policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.library import catalogue
from voicebox.services.messaging import message_views, story_details
from voicebox.services.messaging.message_views import MessageView
from voicebox.services.messaging.story_details import StoryDetails
from voicebox.services.work import use_case

HEARD = (MessageStatus.DELIVERED, MessageStatus.PLAYED)


@use_case
def create_series(
    principal: Principal, title: str, child_id: str | None = None, org_id: str | None = None
) -> Series:
    """A family's series (a guardian of ``child_id``) or an organisation's (its curator)."""
    if child_id is not None:
        policy.guarded_child(principal, child_id)
    elif org_id is not None:
        policy.curated_org(principal, org_id)
    else:
        raise Invalid("A series belongs to a child or to an organisation.")
    series = Series(title=title, child_id=child_id, org_id=org_id, created_by=user_of(principal).id)
    db.session.add(series)
    return series


def series_for(principal: Principal, series_id: str) -> Series:
    """A series its family, its curators, or a child given its organisation's stories may see."""
    series = db.session.get(Series, series_id)
    if series is not None:
        if series.child_id is not None and _in_family(principal, series.child_id):
            return series
        if series.org_id is not None:
            if policy.curates(principal, series.org_id):
                return series
            if principal.child is not None and series.org_id in given_orgs(principal.child.id):
                return series
            if principal.user is not None and any(
                series.org_id in given_orgs(child_id) for child_id in _guarded_ids(principal.user.id)
            ):
                return series
    raise NotFound("No such series.")


def _in_family(principal: Principal, child_id: str) -> bool:
    return (principal.child is not None and principal.child.id == child_id) or policy.is_guardian(
        principal, child_id
    )


def _guarded_ids(user_id: str) -> list[str]:
    return list(db.session.scalars(select(Guardianship.child_id).where(Guardianship.user_id == user_id)))


@dataclass(frozen=True)
class SeriesView:
    id: str
    title: str
    child_id: str | None
    org_id: str | None
    created_at: datetime
    episodes: list[MessageView]


def series_detail(principal: Principal, series_id: str) -> SeriesView:
    """A series the caller may see, with its episodes as they see them."""
    series = series_for(principal, series_id)
    return SeriesView(
        id=series.id,
        title=series.title,
        child_id=series.child_id,
        org_id=series.org_id,
        created_at=series.created_at,
        episodes=episodes(principal, series),
    )


def episodes(principal: Principal, series: Series) -> list[MessageView]:
    """The series' stories in episode order, as the caller sees them: an organisation's once
    ready to hear; a family's once transcoded, and for the child's device once it reached them."""
    if series.org_id is not None:
        return catalogue.ready_episodes(series.id)
    query = (
        select(Message)
        .join(Story, Story.id == Message.story_id)
        .where(Story.series_id == series.id)
        .where(Message.status.not_in((MessageStatus.PROCESSING, MessageStatus.FAILED)))
        .order_by(Story.episode)
    )
    if principal.child is not None:
        query = query.where(Message.status.in_(HEARD))
    return [message_views.message_view_for(principal, m) for m in db.session.scalars(query)]


def given_boxes(child_id: str) -> Select:
    """The ids of the boxes given to the child, directly or through a group they are in."""
    groups = select(GroupMember.group_id).where(GroupMember.child_id == child_id)
    return select(BoxAssignment.box_id).where(
        or_(BoxAssignment.child_id == child_id, BoxAssignment.group_id.in_(groups))
    )


def given_org_ids(child_id: str) -> Select:
    """The ids of the organisations whose boxes reached the child."""
    return select(StoryBox.org_id).where(StoryBox.id.in_(given_boxes(child_id)))


def given_orgs(child_id: str) -> set[str]:
    return set(db.session.scalars(given_org_ids(child_id)))


@dataclass(frozen=True, kw_only=True)
class LibraryItem(StoryDetails):
    """A story in a child's library: the family's own, or an organisation's."""

    id: str
    title: str | None
    source: str  # "family" or "library"
    organisation: Organisation | None
    series_title: str | None
    duration_ms: int | None
    created_at: datetime
    # The message to play: the family story itself, or the child's copy once they have one.
    message_id: str | None
    played: bool


def library(
    principal: Principal,
    child_id: str,
    category: str | None = None,
    age: int | None = None,
    cursor: str | None = None,
    limit: int = paging.DEFAULT_LIMIT,
) -> paging.Page:
    """The family's delivered stories and the ready stories of every box the child was given,
    newest first, filtered by category and by an age inside the story's range."""
    child = policy.child_for(principal, child_id)
    family = _FAMILY_ENTRIES.where(
        Message.child_id == child.id,
        Message.direction == Direction.TO_CHILD,
        Message.kind == Kind.STORY,
        Message.library_story_id.is_(None),
        Message.status.in_(HEARD),
    )
    boxed = _LIBRARY_ENTRIES.where(
        LibraryStory.id.in_(select(BoxItem.story_id).where(BoxItem.box_id.in_(given_boxes(child.id)))),
        Recording.status == RecordingStatus.READY,
    )
    entries = union_all(family, boxed).subquery()
    query = select(entries, Story).join(Story, Story.id == entries.c.story_id)
    if category is not None:
        query = query.where(Story.category == category)
    if age is not None:
        query = query.where(
            or_(Story.age_min.is_(None), Story.age_min <= age),
            or_(Story.age_max.is_(None), Story.age_max >= age),
        )
    rows, last = paging.newest_first(query, entries.c.created_at, entries.c.id, cursor, limit)
    return paging.Page(_items(child, rows), paging.encode_cursor(last.created_at, last.id) if last else None)


# What a library item shows of a family story or a library story, and of its recording; the
# rows of both read alike, so one page can hold both.
_FAMILY_ENTRIES = select(
    Message.id,
    Message.title,
    Message.created_at,
    Message.story_id,
    Message.played_at,
    null().label("org_id"),
    Recording.duration_ms,
).join(Recording, Recording.id == Message.recording_id)
_LIBRARY_ENTRIES = select(
    LibraryStory.id,
    LibraryStory.title,
    LibraryStory.created_at,
    LibraryStory.story_id,
    null().label("played_at"),
    LibraryStory.org_id,
    Recording.duration_ms,
).join(Recording, Recording.id == LibraryStory.recording_id)


def _items(child: Child | None, rows: Sequence[Row]) -> list[LibraryItem]:
    """Library items of ``rows`` (an entry and its Story), with ``child``'s copies of the
    library's stories (None: as their curators see them)."""
    series_ids = {row.Story.series_id for row in rows}
    series = {s.id: s.title for s in db.session.scalars(select(Series).where(Series.id.in_(series_ids)))}
    orgs = {
        o.id: o
        for o in db.session.scalars(select(Organisation).where(Organisation.id.in_({r.org_id for r in rows})))
    }
    copies = (
        {
            copy.library_story_id: copy
            for copy in db.session.scalars(
                select(Message).where(
                    Message.child_id == child.id, Message.library_story_id.in_([r.id for r in rows])
                )
            )
        }
        if child is not None
        else {}
    )
    items = []
    for row in rows:
        organisation = orgs.get(row.org_id)
        if organisation is None:
            message_id, played = row.id, row.played_at is not None
        else:
            copy = copies.get(row.id)
            heard = copy is not None and copy.status != MessageStatus.CANCELLED
            message_id = copy.id if copy is not None and heard else None
            played = copy is not None and copy.played_at is not None
        items.append(
            LibraryItem(
                **story_details.described(row.Story),
                id=row.id,
                title=row.title,
                source="library" if organisation is not None else "family",
                organisation=organisation,
                series_title=series.get(row.Story.series_id),
                duration_ms=row.duration_ms,
                created_at=row.created_at,
                message_id=message_id,
                played=played,
            )
        )
    return items


@dataclass(frozen=True)
class BoxView:
    id: str
    title: str
    description: str | None
    organisation: Organisation
    items: list[LibraryItem]
    created_at: datetime


def boxes(principal: Principal, child_id: str) -> list[BoxView]:
    """The boxes given to the child, each with its stories in order."""
    child = policy.child_for(principal, child_id)
    found = db.session.scalars(
        select(StoryBox)
        .where(StoryBox.id.in_(given_boxes(child.id)))
        .order_by(StoryBox.created_at, StoryBox.id)
    )
    return [box_view(child, box) for box in found]


def box_view(child: Child | None, box: StoryBox) -> BoxView:
    """The box with its stories in order: all of them for its curators (``child`` None), the
    ones ready to hear for a child."""
    entries = (
        _LIBRARY_ENTRIES.add_columns(BoxItem.position)
        .join(BoxItem, BoxItem.story_id == LibraryStory.id)
        .where(BoxItem.box_id == box.id)
    )
    if child is not None:
        entries = entries.where(Recording.status == RecordingStatus.READY)
    listed = entries.subquery()
    query = select(listed, Story).join(Story, Story.id == listed.c.story_id).order_by(listed.c.position)
    return BoxView(
        id=box.id,
        title=box.title,
        description=box.description,
        organisation=db.session.get_one(Organisation, box.org_id),
        items=_items(child, db.session.execute(query).all()),
        created_at=box.created_at,
    )


def box_given_to(child_id: str, box_id: str) -> StoryBox:
    box = db.session.scalar(
        select(StoryBox).where(StoryBox.id == box_id, StoryBox.id.in_(given_boxes(child_id)))
    )
    if box is None:
        raise NotFound("No such story box for this child.")
    return box

"""Stories: what one is (title, cover, ages, category, language, series), and the library a
child was given: their family's stories and the boxes organisations assigned to them.

A family's story is a message of kind ``story`` to their child. An organisation's story is a
``library`` message; a child hears a copy of it (a message to the child that shares the
story's recording and description), made when a schedule brings it or the child takes it from
the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, and_, or_, select

from voicebox.clock import utcnow
from voicebox.errors import NotFound
from voicebox.extensions import db
from voicebox.models import (
    BoxAssignment,
    BoxItem,
    Child,
    Direction,
    GroupMember,
    Guardianship,
    Kind,
    Message,
    MessageStatus,
    Organisation,
    Recording,
    Series,
    Story,
    StoryBox,
)
from voicebox.services import paging, policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.messaging import delivery, message_views
from voicebox.services.messaging.message_views import MessageView
from voicebox.services.messaging.story_details import STORY_FIELDS, StoryDetails
from voicebox.services.work import use_case

HEARD = (MessageStatus.DELIVERED, MessageStatus.PLAYED)


@use_case
def create_series(
    principal: Principal, title: str, child_id: str | None = None, org_id: str | None = None
) -> Series:
    """A family's series (a guardian of ``child_id``) or an organisation's (its curator)."""
    if child_id is not None:
        policy.guarded_child(principal, child_id)
    else:
        policy.curated_org(principal, org_id)  # type: ignore[arg-type]
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
        episodes=[message_views.message_view_for(principal, m) for m in episodes(principal, series)],
    )


def episodes(principal: Principal, series: Series) -> list[Message]:
    """The series' stories in episode order: those ready to hear for its family and curators;
    for a child's device, a family episode only once it has reached them."""
    query = (
        select(Message)
        .join(Story, Story.id == Message.story_id)
        .where(Story.series_id == series.id, Message.source_id.is_(None))
        .where(Message.status.not_in((MessageStatus.PROCESSING, MessageStatus.FAILED)))
        .order_by(Story.episode)
    )
    if principal.child is not None:
        query = query.where(or_(Message.direction == Direction.LIBRARY, Message.status.in_(HEARD)))
    return list(db.session.scalars(query))


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
    """The family's delivered stories and the stories of every box the child was given, newest
    first, filtered by category and by an age inside the story's range."""
    child = policy.child_for(principal, child_id)
    boxed = select(BoxItem.message_id).where(BoxItem.box_id.in_(given_boxes(child.id)))
    family = and_(
        Message.child_id == child.id,
        Message.direction == Direction.TO_CHILD,
        Message.kind == Kind.STORY,
        Message.source_id.is_(None),
        Message.status.in_(HEARD),
    )
    query = LISTED.where(or_(family, and_(Message.id.in_(boxed), Message.status == MessageStatus.READY)))
    if category is not None:
        query = query.where(Story.category == category)
    if age is not None:
        query = query.where(
            or_(Story.age_min.is_(None), Story.age_min <= age),
            or_(Story.age_max.is_(None), Story.age_max >= age),
        )
    rows, last = paging.newest_first(query, Message.created_at, Message.id, cursor, limit)
    items = _items(child, rows)
    return paging.Page(
        items, paging.encode_cursor(last.Message.created_at, last.Message.id) if last else None
    )


# Stories with what a library item shows of their description and recording.
LISTED = (
    select(Message, Story, Recording.duration_ms)
    .join(Story, Story.id == Message.story_id)
    .join(Recording, Recording.id == Message.recording_id)
)


def _items(child: Child | None, rows: Sequence[Row]) -> list[LibraryItem]:
    """Library items of ``rows`` of LISTED, with ``child``'s copies (None: as their curators
    see them)."""
    stories = [row.Message for row in rows]
    series_ids = {row.Story.series_id for row in rows}
    series = {s.id: s.title for s in db.session.scalars(select(Series).where(Series.id.in_(series_ids)))}
    orgs = {
        o.id: o
        for o in db.session.scalars(
            select(Organisation).where(Organisation.id.in_({m.org_id for m in stories}))
        )
    }
    copies = (
        {
            copy.source_id: copy
            for copy in db.session.scalars(
                select(Message).where(
                    Message.child_id == child.id, Message.source_id.in_([m.id for m in stories])
                )
            )
        }
        if child is not None
        else {}
    )
    items = []
    for story, details, duration_ms in rows:
        mine = copies.get(story.id) if story.direction == Direction.LIBRARY else story
        organisation = orgs.get(story.org_id)
        items.append(
            LibraryItem(
                **{name: getattr(details, name) for name in STORY_FIELDS},
                id=story.id,
                title=story.title,
                source="library" if organisation is not None else "family",
                organisation=organisation,
                series_title=series.get(details.series_id),
                duration_ms=duration_ms,
                created_at=story.created_at,
                message_id=mine.id if mine is not None and mine.status != MessageStatus.CANCELLED else None,
                played=mine is not None and mine.played_at is not None,
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
    query = (
        LISTED.join(BoxItem, BoxItem.message_id == Message.id)
        .where(BoxItem.box_id == box.id)
        .order_by(BoxItem.position)
    )
    if child is not None:
        query = query.where(Message.status == MessageStatus.READY)
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


@use_case
def take(principal: Principal, story_id: str) -> MessageView:
    """A child picks a library story: their copy arrives in their inbox now."""
    if principal.child is None:
        raise NotFound("No such story.")
    child = principal.child
    boxed = select(BoxItem.message_id).where(BoxItem.box_id.in_(given_boxes(child.id)))
    story = db.session.scalar(
        select(Message).where(
            Message.id == story_id, Message.id.in_(boxed), Message.status == MessageStatus.READY
        )
    )
    if story is None:
        raise NotFound("No such story.")
    copy = delivery.give(child, story, utcnow(), urgent=True)
    return message_views.message_view_for(principal, copy)

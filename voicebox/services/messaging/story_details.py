"""What a story is: cover text, ages, category, language, and its place in a series."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import delete, select

from voicebox.errors import Conflict, Invalid
from voicebox.extensions import db
from voicebox.models import Kind, Series, Story
from voicebox.models.base import new_id
from voicebox.services.work import add_unique


@dataclass(frozen=True)
class StoryDetails:
    """What the sender says of a story, all optional."""

    cover_text: str | None = None
    category: str | None = None
    language: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    series_id: str | None = None
    episode: int | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


# The columns of a Story, named as the fields above.
STORY_FIELDS = tuple(field.name for field in fields(StoryDetails))
NO_DETAILS = StoryDetails()


def described(source: Any) -> dict[str, Any]:
    """What ``source`` (a Story, or a row with its columns) says of a story, field by field."""
    return {name: getattr(source, name) for name in STORY_FIELDS}


def new_story(details: StoryDetails) -> Story:
    """A story's description, in the caller's transaction (``check`` it first)."""
    story = Story(id=new_id(), **vars(details))
    # Flushed now: the message that refers to it is inserted after it. Two stories sent at once
    # can both pass ``check``; the series' constraint then refuses the second.
    add_unique(story, f"Episode {details.episode} of this series exists already.")
    return story


def forget(story_id: str) -> None:
    """Delete a story's description once no message refers to it (in the caller's transaction)."""
    db.session.execute(delete(Story).where(Story.id == story_id))


def check(details: StoryDetails, kind: str, series_owner: dict[str, str]) -> None:
    """Refuse ``details`` that do not fit a recording of ``kind`` by ``series_owner`` (a
    ``child_id`` or an ``org_id``); a series' episode numbers are unique. Runs before the
    recording is stored, so a refusal leaves nothing behind."""
    if details.is_empty():
        return
    if kind != Kind.STORY:
        raise Invalid(
            "Only a story has a cover, ages, a category or a series.", {"kind": ["Must be 'story'."]}
        )
    low, high = details.age_min, details.age_max
    if low is not None and high is not None and low > high:
        raise Invalid("The age range is upside down.", {"age_min": ["Must not be above age_max."]})
    if (details.series_id is None) != (details.episode is None):
        raise Invalid(
            "An episode needs its series, and a series an episode number.", {"episode": ["Give both."]}
        )
    if details.series_id is not None:
        series = db.session.get(Series, details.series_id)
        owner = (
            {"child_id": series.child_id}
            if series and series.child_id
            else {"org_id": series and series.org_id}
        )
        if series is None or owner != series_owner:
            raise Invalid("No such series here.", {"series_id": ["Unknown series."]})
        taken = db.session.scalar(
            select(Story.id).where(Story.series_id == series.id, Story.episode == details.episode)
        )
        if taken is not None:
            raise Conflict(f"Episode {details.episode} of this series exists already.")

"""An organisation's story library: its curators, series, stories, story boxes and groups of
children.

A ``Story`` is what a story is (its description). A family's story is a message of kind
``story`` to their child; an organisation's is a ``LibraryStory``, and a child hears it as their
own copy: a message that names the library story it came from.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voicebox.clock import utcnow
from voicebox.extensions import Model
from voicebox.models.base import UTCDateTime, new_id


class GroupKind(StrEnum):
    CLASS = "class"
    SCHOOL = "school"
    VILLAGE = "village"
    OTHER = "other"


class Organisation(Model):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Curatorship(Model):
    """An admin's grant: this user keeps this organisation's library (their role is unchanged)."""

    __tablename__ = "curatorships"

    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    granted_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Series(Model):
    """Episodes told in order: a family's (``child_id``) or an organisation's (``org_id``)."""

    __tablename__ = "series"
    __table_args__ = (CheckConstraint("(child_id IS NULL) <> (org_id IS NULL)", name="one_owner"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(120))
    child_id: Mapped[str | None] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Story(Model):
    """What a story is, said once: a library story's copies share their story's."""

    __tablename__ = "stories"
    # Each episode number once in its series (the use case says so first, in words).
    __table_args__ = (UniqueConstraint("series_id", "episode", name="uq_stories_series_id_episode"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    cover_text: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(24))
    language: Mapped[str | None] = mapped_column(String(16))
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    series_id: Mapped[str | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    episode: Mapped[int | None] = mapped_column(Integer)


class LibraryStory(Model):
    """An organisation's story: its recording and description. Whether it can be heard is its
    recording's status; boxes bring it to children, each as a copy of their own."""

    __tablename__ = "library_stories"
    __table_args__ = (Index("ix_library_stories_org_id_created_at", "org_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(120))
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id"), index=True)
    # The curator who recorded it; the story stays the organisation's when their account goes.
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryBox(Model):
    """An ordered collection of library stories, assigned to children or groups of children."""

    __tablename__ = "story_boxes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoxItem(Model):
    __tablename__ = "box_items"

    box_id: Mapped[str] = mapped_column(ForeignKey("story_boxes.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("library_stories.id", ondelete="CASCADE"), index=True)


class ChildGroup(Model):
    """A class, a school or a village; guardians enrol their child with the group's join code."""

    __tablename__ = "child_groups"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GroupMember(Model):
    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("child_groups.id", ondelete="CASCADE"), primary_key=True)
    child_id: Mapped[str] = mapped_column(
        ForeignKey("children.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoxAssignment(Model):
    """A box given to one child, or to every child of a group (present and future members)."""

    __tablename__ = "box_assignments"
    __table_args__ = (
        CheckConstraint("(child_id IS NULL) <> (group_id IS NULL)", name="one_target"),
        UniqueConstraint("box_id", "child_id", name="uq_box_assignments_box_id_child_id"),
        UniqueConstraint("box_id", "group_id", name="uq_box_assignments_box_id_group_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    box_id: Mapped[str] = mapped_column(ForeignKey("story_boxes.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[str | None] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[str | None] = mapped_column(
        ForeignKey("child_groups.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

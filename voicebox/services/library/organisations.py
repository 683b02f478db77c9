"""Organisations and their curators: groups of children, and the story boxes given to them.

Admins create organisations and grant curators. A curator never looks children up: a guardian
enrols their child in a group with the code the organisation handed out (a class's teacher, a
village's volunteer), and a box goes to a group, or to one child already in one of the
organisation's groups.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from voicebox.errors import Forbidden, Invalid, NotFound
from voicebox.extensions import db
from voicebox.models import (
    BoxAssignment,
    BoxItem,
    ChildGroup,
    Curatorship,
    GroupMember,
    LibraryStory,
    Organisation,
    Recording,
    RecordingStatus,
    Role,
    StoryBox,
    User,
)
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal, readable_code, user_of
from voicebox.services.library import stories
from voicebox.services.work import add_unique, use_case

JOIN_CODE_LENGTH = 8
MAX_BOX_ITEMS = 200


@use_case
def create_org(principal: Principal, name: str) -> Organisation:
    policy.require_role(principal, Role.ADMIN)
    org = Organisation(name=name)
    add_unique(org, "An organisation of that name exists already.")
    return org


def list_orgs(principal: Principal) -> list[Organisation]:
    """Every organisation for an admin; a curator's own (none for anyone else)."""
    if principal.user is None:
        raise Forbidden("Organisations are listed for their curators and admins.")
    query = select(Organisation).order_by(Organisation.name)
    if principal.role != Role.ADMIN:
        mine = select(Curatorship.org_id).where(Curatorship.user_id == user_of(principal).id)
        query = query.where(Organisation.id.in_(mine))
    return list(db.session.scalars(query))


@use_case
def grant_curator(principal: Principal, org_id: str, user_id: str) -> User:
    """An admin makes an account (a parent, a volunteer) a curator of the organisation."""
    policy.require_role(principal, Role.ADMIN)
    org = policy.curated_org(principal, org_id)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if db.session.get(Curatorship, (org.id, user.id)) is None:
        db.session.add(Curatorship(org_id=org.id, user_id=user.id, granted_by=user_of(principal).id))
    return user


@use_case
def revoke_curator(principal: Principal, org_id: str, user_id: str) -> None:
    policy.require_role(principal, Role.ADMIN)
    org = policy.curated_org(principal, org_id)
    db.session.execute(
        delete(Curatorship).where(Curatorship.org_id == org.id, Curatorship.user_id == user_id)
    )


@use_case
def create_group(principal: Principal, org_id: str, name: str, kind: str) -> ChildGroup:
    org = policy.curated_org(principal, org_id)
    group = ChildGroup(org_id=org.id, name=name, kind=kind, join_code=readable_code(JOIN_CODE_LENGTH))
    db.session.add(group)
    return group


def list_groups(principal: Principal, org_id: str) -> list[ChildGroup]:
    org = policy.curated_org(principal, org_id)
    return list(
        db.session.scalars(select(ChildGroup).where(ChildGroup.org_id == org.id).order_by(ChildGroup.name))
    )


@use_case
def enrol(principal: Principal, child_id: str, join_code: str) -> ChildGroup:
    """A guardian puts their child in a group with its join code."""
    child = policy.guarded_child(principal, child_id)
    group = db.session.scalar(select(ChildGroup).where(ChildGroup.join_code == join_code.strip().upper()))
    if group is None:
        raise Invalid("No group has that code.", {"join_code": ["Unknown code."]})
    if db.session.get(GroupMember, (group.id, child.id)) is None:
        db.session.add(GroupMember(group_id=group.id, child_id=child.id))
    return group


def groups_of(principal: Principal, child_id: str) -> list[ChildGroup]:
    child = policy.guarded_child(principal, child_id)
    return list(
        db.session.scalars(
            select(ChildGroup)
            .join(GroupMember, GroupMember.group_id == ChildGroup.id)
            .where(GroupMember.child_id == child.id)
            .order_by(ChildGroup.name)
        )
    )


@use_case
def leave(principal: Principal, child_id: str, group_id: str) -> None:
    child = policy.guarded_child(principal, child_id)
    db.session.execute(
        delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.child_id == child.id)
    )


def _library_stories(org: Organisation, story_ids: list[str]) -> list[str]:
    if len(story_ids) > MAX_BOX_ITEMS:
        raise Invalid(f"A box holds at most {MAX_BOX_ITEMS} stories.", {"items": ["Too many."]})
    if len(set(story_ids)) != len(story_ids):
        raise Invalid("A story appears in a box once.", {"items": ["Repeated story."]})
    found = set(
        db.session.scalars(
            select(LibraryStory.id)
            .join(Recording, Recording.id == LibraryStory.recording_id)
            .where(
                LibraryStory.id.in_(story_ids),
                LibraryStory.org_id == org.id,
                Recording.status != RecordingStatus.FAILED,
            )
        )
    )
    missing = [story_id for story_id in story_ids if story_id not in found]
    if missing:
        raise Invalid("Some stories are not in this organisation's library.", {"items": missing})
    return story_ids


@use_case
def create_box(
    principal: Principal,
    org_id: str,
    title: str,
    description: str | None = None,
    items: list[str] | None = None,
) -> stories.BoxView:
    org = policy.curated_org(principal, org_id)
    story_ids = _library_stories(org, items or [])
    box = StoryBox(org_id=org.id, title=title, description=description, created_by=user_of(principal).id)
    db.session.add(box)
    db.session.flush()
    _fill(box, story_ids)
    return stories.box_view(None, box)


def _fill(box: StoryBox, story_ids: list[str]) -> None:
    """Put the stories in the (empty) box, in this order."""
    db.session.add_all(BoxItem(box_id=box.id, position=n, story_id=sid) for n, sid in enumerate(story_ids))


def _box_for(principal: Principal, box_id: str) -> StoryBox:
    box = db.session.get(StoryBox, box_id)
    if box is None or not policy.curates(principal, box.org_id):
        raise NotFound("No such story box.")
    return box


def get_box(principal: Principal, box_id: str) -> stories.BoxView:
    return stories.box_view(None, _box_for(principal, box_id))


def list_boxes(principal: Principal, org_id: str) -> list[stories.BoxView]:
    org = policy.curated_org(principal, org_id)
    boxes = db.session.scalars(
        select(StoryBox).where(StoryBox.org_id == org.id).order_by(StoryBox.created_at)
    )
    return [stories.box_view(None, box) for box in boxes]


@use_case
def set_items(principal: Principal, box_id: str, items: list[str]) -> stories.BoxView:
    """Replace the box's stories and their order; children keep what they were given."""
    box = _box_for(principal, box_id)
    story_ids = _library_stories(db.session.get_one(Organisation, box.org_id), items)
    db.session.execute(delete(BoxItem).where(BoxItem.box_id == box.id))
    _fill(box, story_ids)
    return stories.box_view(None, box)


@use_case
def assign(principal: Principal, box_id: str, group_id: str | None, child_id: str | None) -> BoxAssignment:
    """Give the box to a group of the organisation, or to a child in one of its groups."""
    box = _box_for(principal, box_id)
    if (group_id is None) == (child_id is None):
        raise Invalid("Give the box to a group or to a child.", {"group_id": ["Give group_id or child_id."]})
    org_groups = select(ChildGroup.id).where(ChildGroup.org_id == box.org_id)
    if group_id is not None:
        known = db.session.scalar(
            select(ChildGroup.id).where(ChildGroup.id == group_id, ChildGroup.org_id == box.org_id)
        )
    else:
        known = db.session.scalar(
            select(GroupMember.child_id).where(
                GroupMember.child_id == child_id, GroupMember.group_id.in_(org_groups)
            )
        )
    if known is None:
        raise NotFound("No such group or child in this organisation.")
    assignment = BoxAssignment(box_id=box.id, group_id=group_id, child_id=child_id)
    add_unique(assignment, "The box was given to them already.")
    return assignment


@use_case
def unassign(principal: Principal, box_id: str, assignment_id: str) -> None:
    box = _box_for(principal, box_id)
    db.session.execute(
        delete(BoxAssignment).where(BoxAssignment.id == assignment_id, BoxAssignment.box_id == box.id)
    )


def assignments(principal: Principal, box_id: str) -> list[BoxAssignment]:
    box = _box_for(principal, box_id)
    return list(
        db.session.scalars(
            select(BoxAssignment).where(BoxAssignment.box_id == box.id).order_by(BoxAssignment.created_at)
        )
    )

"""A child's story library: their family's stories and the boxes organisations gave them;
family series; and the groups a guardian enrolled the child in."""

from __future__ import annotations

from flask_smorest import Blueprint

from voicebox.api.library_schemas import (
    BoxSchema,
    JoinSchema,
    LibraryQuerySchema,
    LibraryStorySchema,
    MemberGroupSchema,
    NewSeriesSchema,
    SeriesDetailSchema,
    SeriesSchema,
)
from voicebox.api.schemas import MessageSchema, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.errors import NotFound
from voicebox.extensions import current_settings, rate_limit
from voicebox.models import ChildGroup, Series
from voicebox.services import paging
from voicebox.services.library import copies, organisations, stories
from voicebox.services.library.stories import SeriesView
from voicebox.services.messaging.message_views import MessageView

blp = Blueprint("library", __name__, url_prefix="/api/v1", description="Stories and the library")


def _own_child_id() -> str:
    principal = current_principal()
    if principal.child is None:
        raise NotFound(
            "Only a child's device has a library of its own; guardians use /children/{id}/library."
        )
    return principal.child.id


@blp.route("/library", methods=["GET"])
@authenticated()
@blp.arguments(LibraryQuerySchema, location="query")
@blp.response(200, list_of(LibraryStorySchema, "LibraryStoryList"))
def my_library(query: dict) -> paging.Page:
    """The device's child's stories: the family's and their boxes', filtered by category and age"""
    return stories.library(current_principal(), _own_child_id(), **query)


@blp.route("/children/<id:child_id>/library", methods=["GET"])
@authenticated()
@blp.arguments(LibraryQuerySchema, location="query")
@blp.response(200, list_of(LibraryStorySchema, "ChildLibraryStoryList"))
def child_library(query: dict, child_id: str) -> paging.Page:
    """A child's library, as their device lists it (guardians)"""
    return stories.library(current_principal(), child_id, **query)


@blp.route("/library/boxes", methods=["GET"])
@authenticated()
@blp.response(200, list_of(BoxSchema, "GivenBoxList"))
def my_boxes() -> dict:
    """The story boxes given to the device's child, each in its order"""
    return {"items": stories.boxes(current_principal(), _own_child_id()), "next_cursor": None}


@blp.route("/children/<id:child_id>/library/boxes", methods=["GET"])
@authenticated()
@blp.response(200, list_of(BoxSchema, "ChildBoxList"))
def child_boxes(child_id: str) -> dict:
    """The story boxes given to a child (guardians)"""
    return {"items": stories.boxes(current_principal(), child_id), "next_cursor": None}


@blp.route("/library/stories/<id:story_id>/take", methods=["POST"])
@authenticated()
@blp.response(201, MessageSchema)
def take_story(story_id: str) -> MessageView:
    """The device's child takes a story from a box: it arrives in their inbox now"""
    return copies.take(current_principal(), story_id)


@blp.route("/children/<id:child_id>/series", methods=["POST"])
@authenticated()
@blp.arguments(NewSeriesSchema)
@blp.response(201, SeriesSchema)
def create_family_series(body: dict, child_id: str) -> Series:
    """Start a family series; its episodes are stories sent with series_id and episode"""
    return stories.create_series(current_principal(), body["title"], child_id=child_id)


@blp.route("/series/<id:series_id>", methods=["GET"])
@authenticated()
@blp.response(200, SeriesDetailSchema)
def get_series(series_id: str) -> SeriesView:
    """A series and its episodes in order"""
    return stories.series_detail(current_principal(), series_id)


@blp.route("/children/<id:child_id>/groups", methods=["POST"])
@rate_limit(lambda: current_settings().code_rate_limit)
@authenticated()
@blp.arguments(JoinSchema)
@blp.response(201, MemberGroupSchema)
def join_group(body: dict, child_id: str) -> ChildGroup:
    """Enrol a child in a class, school or village group with the code its organisation gave"""
    return organisations.enrol(current_principal(), child_id, body["join_code"])


@blp.route("/children/<id:child_id>/groups", methods=["GET"])
@authenticated()
@blp.response(200, list_of(MemberGroupSchema, "MemberGroupList"))
def child_groups(child_id: str) -> dict:
    """The groups a child is in"""
    return {"items": organisations.groups_of(current_principal(), child_id), "next_cursor": None}


@blp.route("/children/<id:child_id>/groups/<id:group_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def leave_group(child_id: str, group_id: str) -> None:
    """Take a child out of a group; boxes given through it are no longer theirs"""
    organisations.leave(current_principal(), child_id, group_id)

"""Organisations and their curators: the library, series, story boxes and groups of children."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.bodies import recording_form, recording_form_doc
from voicebox.api.library_schemas import (
    AssignmentSchema,
    BoxItemsSchema,
    BoxSchema,
    GroupSchema,
    NewAssignmentSchema,
    NewBoxSchema,
    NewGroupSchema,
    NewSeriesSchema,
    OrganisationSchema,
    SeriesSchema,
)
from voicebox.api.schemas import (
    MessageSchema,
    PageQuerySchema,
    StoryFieldsSchema,
    Text,
    UserSchema,
    list_of,
    story_details,
)
from voicebox.api.security import authenticated, current_principal
from voicebox.models import BoxAssignment, ChildGroup, Organisation, Series, User
from voicebox.services import paging
from voicebox.services.library import catalogue, organisations, stories
from voicebox.services.library.stories import BoxView
from voicebox.services.messaging.message_views import MessageView

blp = Blueprint("organisations", __name__, url_prefix="/api/v1", description="Organisations and curators")


class NewOrganisationSchema(Schema):
    name = Text(80, required=True)


class CuratorSchema(Schema):
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class NewLibraryStorySchema(StoryFieldsSchema):
    title = Text(120, required=True)
    upload_id = fields.String(validate=validate.Length(min=1, max=64))


@blp.route("/admin/organisations", methods=["POST"])
@authenticated()
@blp.arguments(NewOrganisationSchema)
@blp.response(201, OrganisationSchema)
def create_organisation(body: dict) -> Organisation:
    """Create an organisation (admins)"""
    return organisations.create_org(current_principal(), body["name"])


@blp.route("/organisations", methods=["GET"])
@authenticated()
@blp.response(200, list_of(OrganisationSchema, "OrganisationList"))
def list_organisations() -> dict:
    """Every organisation for an admin; the ones a curator keeps"""
    return {"items": organisations.list_orgs(current_principal()), "next_cursor": None}


@blp.route("/admin/organisations/<id:org_id>/curators", methods=["POST"])
@authenticated()
@blp.arguments(CuratorSchema)
@blp.response(200, UserSchema)
def grant_curator(body: dict, org_id: str) -> User:
    """Make an account a curator of the organisation (admins)"""
    return organisations.grant_curator(current_principal(), org_id, body["user_id"])


@blp.route("/admin/organisations/<id:org_id>/curators/<id:user_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def revoke_curator(org_id: str, user_id: str) -> None:
    """Take the curator grant back (admins)"""
    organisations.revoke_curator(current_principal(), org_id, user_id)


@blp.route("/organisations/<id:org_id>/stories", methods=["POST"])
@authenticated(slow_body=True)
@blp.doc(requestBody=recording_form_doc(NewLibraryStorySchema))
@blp.response(202, MessageSchema)
def add_story(org_id: str) -> MessageView:
    """Add a recorded story to the library (multipart 'audio' or an upload_id); 'ready' once transcoded"""
    body = recording_form(
        NewLibraryStorySchema(), "Send multipart/form-data with an 'audio' file, or JSON with an 'upload_id'."
    )
    return catalogue.add(current_principal(), org_id, story=story_details(body), **body)


@blp.route("/organisations/<id:org_id>/stories", methods=["GET"])
@authenticated()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, list_of(MessageSchema, "LibraryMessageList"))
def library_stories(query: dict, org_id: str) -> paging.Page:
    """The organisation's library, newest first, with each story's status"""
    return catalogue.list_stories(current_principal(), org_id, query["cursor"], query["limit"])


@blp.route("/organisations/<id:org_id>/series", methods=["POST"])
@authenticated()
@blp.arguments(NewSeriesSchema)
@blp.response(201, SeriesSchema)
def create_series(body: dict, org_id: str) -> Series:
    """Start a series in the library; its episodes are stories added with series_id and episode"""
    return stories.create_series(current_principal(), body["title"], org_id=org_id)


@blp.route("/organisations/<id:org_id>/groups", methods=["POST"])
@authenticated()
@blp.arguments(NewGroupSchema)
@blp.response(201, GroupSchema)
def create_group(body: dict, org_id: str) -> ChildGroup:
    """Create a class, school or village group; hand its join code to the guardians"""
    return organisations.create_group(current_principal(), org_id, **body)


@blp.route("/organisations/<id:org_id>/groups", methods=["GET"])
@authenticated()
@blp.response(200, list_of(GroupSchema, "GroupList"))
def list_groups(org_id: str) -> dict:
    """The organisation's groups"""
    return {"items": organisations.list_groups(current_principal(), org_id), "next_cursor": None}


@blp.route("/organisations/<id:org_id>/boxes", methods=["POST"])
@authenticated()
@blp.arguments(NewBoxSchema)
@blp.response(201, BoxSchema)
def create_box(body: dict, org_id: str) -> BoxView:
    """Assemble a story box: library stories in order"""
    return organisations.create_box(current_principal(), org_id, **body)


@blp.route("/organisations/<id:org_id>/boxes", methods=["GET"])
@authenticated()
@blp.response(200, list_of(BoxSchema, "BoxList"))
def list_boxes(org_id: str) -> dict:
    """The organisation's story boxes"""
    return {"items": organisations.list_boxes(current_principal(), org_id), "next_cursor": None}


@blp.route("/boxes/<id:box_id>", methods=["GET"])
@authenticated()
@blp.response(200, BoxSchema)
def get_box(box_id: str) -> BoxView:
    """One story box (its curators)"""
    return organisations.get_box(current_principal(), box_id)


@blp.route("/boxes/<id:box_id>/items", methods=["PUT"])
@authenticated()
@blp.arguments(BoxItemsSchema)
@blp.response(200, BoxSchema)
def set_box_items(body: dict, box_id: str) -> BoxView:
    """Replace a box's stories and their order"""
    return organisations.set_items(current_principal(), box_id, body["items"])


@blp.route("/boxes/<id:box_id>/assignments", methods=["POST"])
@authenticated()
@blp.arguments(NewAssignmentSchema)
@blp.response(201, AssignmentSchema)
def assign_box(body: dict, box_id: str) -> BoxAssignment:
    """Give the box to a group, or to a child in one of the organisation's groups"""
    return organisations.assign(current_principal(), box_id, body.get("group_id"), body.get("child_id"))


@blp.route("/boxes/<id:box_id>/assignments", methods=["GET"])
@authenticated()
@blp.response(200, list_of(AssignmentSchema, "AssignmentList"))
def list_assignments(box_id: str) -> dict:
    """Who the box was given to"""
    return {"items": organisations.assignments(current_principal(), box_id), "next_cursor": None}


@blp.route("/boxes/<id:box_id>/assignments/<id:assignment_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def unassign_box(box_id: str, assignment_id: str) -> None:
    """Take the box back from a group or child; what was delivered stays"""
    organisations.unassign(current_principal(), box_id, assignment_id)

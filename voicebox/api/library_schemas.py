"""Shapes of the story library: stories as a child's library lists them, boxes, series, groups."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from voicebox.api.schemas import MessageSchema, PageQuerySchema, Prose, StoryFieldsSchema, Text, Timestamp
from voicebox.models import GroupKind, StoryCategory


class OrganisationSchema(Schema):
    id = fields.String()
    name = fields.String()
    created_at = Timestamp()


class LibraryStorySchema(StoryFieldsSchema):
    id = fields.String()
    title = fields.String(allow_none=True)
    source = fields.String(metadata={"enum": ["family", "library"]})
    organisation = fields.Nested(OrganisationSchema, allow_none=True)
    series_title = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    created_at = Timestamp()
    message_id = fields.String(
        allow_none=True,
        metadata={"description": "the message to play; null until the child takes a library story"},
    )
    played = fields.Boolean()


class LibraryQuerySchema(PageQuerySchema):
    category = fields.String(validate=validate.OneOf([c.value for c in StoryCategory]))
    age = fields.Integer(validate=validate.Range(min=0, max=18))


class BoxSchema(Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    organisation = fields.Nested(OrganisationSchema)
    items = fields.List(fields.Nested(LibraryStorySchema))
    created_at = Timestamp()


class NewBoxSchema(Schema):
    title = Text(120, required=True)
    description = Prose(500)
    items = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list)


class BoxItemsSchema(Schema):
    items = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True)


class AssignmentSchema(Schema):
    id = fields.String()
    group_id = fields.String(allow_none=True)
    child_id = fields.String(allow_none=True)
    created_at = Timestamp()


class NewAssignmentSchema(Schema):
    group_id = fields.String(validate=validate.Length(min=1, max=64))
    child_id = fields.String(validate=validate.Length(min=1, max=64))


class GroupSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": [k.value for k in GroupKind]})
    join_code = fields.String()
    created_at = Timestamp()


class MemberGroupSchema(Schema):
    """A group as a guardian sees it: never its join code."""

    id = fields.String()
    name = fields.String()
    kind = fields.String()


class NewGroupSchema(Schema):
    name = Text(80, required=True)
    kind = fields.String(load_default=GroupKind.CLASS, validate=validate.OneOf([k.value for k in GroupKind]))


class JoinSchema(Schema):
    join_code = fields.String(required=True, validate=validate.Length(min=4, max=16))


class NewSeriesSchema(Schema):
    title = Text(120, required=True)


class SeriesSchema(Schema):
    id = fields.String()
    title = fields.String()
    child_id = fields.String(allow_none=True)
    org_id = fields.String(allow_none=True)
    created_at = Timestamp()


class SeriesDetailSchema(SeriesSchema):
    episodes = fields.List(fields.Nested(MessageSchema))

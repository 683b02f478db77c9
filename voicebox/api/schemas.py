"""Request and response shapes shared by several resources."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing, validate

from voicebox.models import StoryCategory
from voicebox.services.local_times import format_hhmm
from voicebox.services.messaging.story_details import STORY_FIELDS, StoryDetails
from voicebox.services.paging import DEFAULT_LIMIT


class Timestamp(fields.DateTime):
    """RFC 3339 in UTC ending in ``Z``; on input, an offset is required (no naive times)."""

    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            raise ValidationError("Give a time zone offset, e.g. 2026-11-23T12:00:00Z.")
        return parsed.astimezone(UTC)


class Text(fields.String):
    """A short human text: trimmed, not blank, bounded, without control characters."""

    def __init__(self, max_length: int, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=1, max=max_length), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if any(ord(char) < 32 or ord(char) == 127 for char in text):
            raise ValidationError("Control characters are not allowed.")
        return text


class Prose(Text):
    """A longer text a person wrote: like Text, but line breaks and tabs are kept."""

    ALLOWED = frozenset("\n\r\t")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = fields.String._deserialize(self, value, attr, data, **kwargs).strip()
        if any((ord(char) < 32 or ord(char) == 127) and char not in self.ALLOWED for char in text):
            raise ValidationError("Control characters are not allowed.")
        return text


class FormBoolean(fields.Boolean):
    """A boolean that arrives as JSON true/false, or as a multipart form's "true"/"false"."""

    truthy = {True, "true"}
    falsy = {False, "false"}


class StrictBoolean(fields.Boolean):
    """Only JSON true or false; "yes" or 1 is a client bug worth reporting."""

    truthy = {True}
    falsy = {False}


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict()
    request_id = fields.String()


class UserSchema(Schema):
    id = fields.String()
    role = fields.String()
    display_name = fields.String()
    status = fields.String()


class ChildSchema(Schema):
    id = fields.String()
    display_name = fields.String()
    birth_year = fields.Integer()
    timezone = fields.String()
    quiet_hours = fields.Method(
        "_quiet_hours",
        metadata={
            "type": "object",
            "nullable": True,
            "description": "local HH:MM start and end; non-urgent deliveries wait for the end",
            "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
        },
    )

    def _quiet_hours(self, child: Any) -> dict[str, str] | None:
        if child.quiet_start is None or child.quiet_end is None:
            return None
        return {"start": format_hhmm(child.quiet_start), "end": format_hhmm(child.quiet_end)}


class DeviceSchema(Schema):
    id = fields.String()
    name = fields.String()
    paired_at = Timestamp()


class SessionSchema(Schema):
    token = fields.String()
    user = fields.Nested(UserSchema)


def list_of(item: type[Schema], name: str) -> type[Schema]:
    """The ``{items, next_cursor}`` envelope every list answers with."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item)), "next_cursor": fields.String(allow_none=True)},
        name=name,
    )


class PageQuerySchema(Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=DEFAULT_LIMIT)


AUDIO_FORMATS = ("opus", "opus_low", "aac")


class AudioQuerySchema(Schema):
    format = fields.String(load_default="opus", validate=validate.OneOf(AUDIO_FORMATS))


class Waveform(fields.Raw):
    """At most 100 integers 0-100. Raw: the service hands out plain ints already; a field object
    for each of a page's 2,000 waveform points was half the cost of serving an inbox."""

    def __init__(self) -> None:
        super().__init__(
            allow_none=True,
            metadata={
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 100},
                "maxItems": 100,
            },
        )


class Renditions(fields.Raw):
    """``[{format, bitrate, bytes}]``, plain dicts from the service."""

    def __init__(self) -> None:
        super().__init__(
            metadata={
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "format": {"type": "string", "enum": list(AUDIO_FORMATS)},
                        "bitrate": {"type": "integer"},
                        "bytes": {"type": "integer"},
                    },
                },
            }
        )


class StoryFieldsSchema(Schema):
    """A story's description, as a sender gives it (form fields or JSON)."""

    cover_text = Prose(500)
    category = fields.String(validate=validate.OneOf([c.value for c in StoryCategory]))
    language = fields.String(
        validate=validate.Regexp(
            r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error="Use a language tag, e.g. zh or zh-yue."
        )
    )
    age_min = fields.Integer(validate=validate.Range(min=0, max=18))
    age_max = fields.Integer(validate=validate.Range(min=0, max=18))
    series_id = fields.String(validate=validate.Length(min=1, max=64))
    episode = fields.Integer(validate=validate.Range(min=1, max=10_000))


def story_details(body: dict) -> StoryDetails:
    """Take a story's description out of a loaded body."""
    return StoryDetails(**{name: body.pop(name) for name in STORY_FIELDS if name in body})


class ListedSchema(Schema):
    """A response shape that lists of many items use: it dumps each field straight from the
    object's attribute (or the dict's key), where marshmallow asks a chain of accessors for
    each one. The result is the same (a missing value takes the field's ``dump_default`` or is
    left out); a page of 20 messages spent a quarter of its time in those accessors."""

    @functools.cached_property
    def _plan(self) -> list[tuple[str, str, str, fields.Field, bool]]:
        """For each field: its key out, where its value is, its name, itself, and whether it
        is read straight (not a Method field, nor a dotted path)."""
        plan = []
        for name, field in self.dump_fields.items():
            key = name if field.attribute is None else field.attribute
            out = name if field.data_key is None else field.data_key
            plan.append((out, key, name, field, field._CHECK_ATTRIBUTE and "." not in key))
        return plan

    def _serialize(self, obj: Any, *, many: bool = False) -> Any:
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        values = obj if isinstance(obj, dict) else None
        shape = {}
        for out, key, name, field, straight in self._plan:
            if not straight:
                value = field.serialize(name, obj, accessor=self.get_attribute)
            else:
                found = values.get(key, missing) if values is not None else getattr(obj, key, missing)
                if found is missing:
                    found = field.dump_default() if callable(field.dump_default) else field.dump_default
                value = missing if found is missing else field._serialize(found, name, obj)
            if value is not missing:
                shape[out] = value
        return shape


class PartySchema(ListedSchema):
    id = fields.String()
    display_name = fields.String()


class FailureSchema(ListedSchema):
    reason = fields.String()
    detail = fields.String()


class StorySchema(ListedSchema):
    cover_text = fields.String(allow_none=True)
    category = fields.String(allow_none=True, metadata={"enum": [c.value for c in StoryCategory]})
    language = fields.String(allow_none=True)
    age_min = fields.Integer(allow_none=True)
    age_max = fields.Integer(allow_none=True)
    series_id = fields.String(allow_none=True)
    episode = fields.Integer(allow_none=True)


class MessageSchema(ListedSchema):
    id = fields.String()
    kind = fields.String()
    title = fields.String(allow_none=True)
    story = fields.Nested(StorySchema, allow_none=True, metadata={"description": "null for a message"})
    urgent = fields.Boolean()
    queued = fields.Boolean(metadata={"description": "a story waiting for the child's schedule"})
    sender = fields.Nested(PartySchema)
    recipient = fields.Nested(PartySchema)
    status = fields.String()
    failure = fields.Nested(FailureSchema, allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    waveform = Waveform()
    renditions = Renditions()
    position_ms = fields.Integer(allow_none=True)
    created_at = Timestamp()
    deliver_at = Timestamp(allow_none=True)
    delivered_at = Timestamp(allow_none=True)
    played_at = Timestamp(allow_none=True)

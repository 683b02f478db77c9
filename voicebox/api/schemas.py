"""Request and response shapes shared by several resources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

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


class PartySchema(Schema):
    id = fields.String()
    display_name = fields.String()


class FailureSchema(Schema):
    reason = fields.String()
    detail = fields.String()


class MessageSchema(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String(allow_none=True)
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

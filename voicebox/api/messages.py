"""Voice messages and stories: send, read, play back, report listening, delete.

A library story's id reads, plays and withdraws the story here too, for its curators: the
routes curators had before it was a row of its own."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response as WerkzeugResponse

from voicebox.api.bodies import recording_form, recording_form_doc
from voicebox.api.schemas import (
    AudioQuerySchema,
    FormBoolean,
    MessageSchema,
    StoryFieldsSchema,
    StrictBoolean,
    Text,
    Timestamp,
    story_details,
)
from voicebox.api.security import authenticated, current_principal
from voicebox.api.streaming import audio_response
from voicebox.errors import Invalid
from voicebox.models import Kind
from voicebox.services.library import catalogue
from voicebox.services.messaging import message_views, messages, moving
from voicebox.services.messaging.message_views import MessageView

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages", description="Messages and stories")


class NewMessageSchema(StoryFieldsSchema):
    to = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(load_default=Kind.MESSAGE, validate=validate.OneOf([k.value for k in Kind]))
    title = Text(120)
    deliver_at = Timestamp()
    upload_id = fields.String(validate=validate.Length(min=1, max=64))
    urgent = FormBoolean(load_default=False, metadata={"description": "deliver even in quiet hours"})
    queue = FormBoolean(
        load_default=False, metadata={"description": "a story that waits for the child's schedule"}
    )


class RescheduleSchema(Schema):
    deliver_at = Timestamp(required=True)


class AudioLinkSchema(Schema):
    url = fields.String(required=True, metadata={"description": "GET it (with Range) without a token"})
    expires_at = Timestamp(required=True)


class PlaySchema(Schema):
    position_ms = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    completed = StrictBoolean(load_default=False)


@blp.route("", methods=["POST"])
@authenticated(slow_body=True)
@blp.doc(
    requestBody=recording_form_doc(NewMessageSchema),
    parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 255}}],
)
@blp.response(202, MessageSchema)
def send_message() -> MessageView:
    """Send a recording (multipart 'audio', or a finished upload_id) to a child or to the guardians"""
    body = recording_form(
        NewMessageSchema(), "Send multipart/form-data with an 'audio' file, or JSON with an 'upload_id'."
    )
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 255:
        raise Invalid("Idempotency-Key must be 1 to 255 characters.")
    return messages.send(current_principal(), idempotency_key=key, story=story_details(body), **body)


@blp.route("/<id:message_id>", methods=["GET"])
@authenticated()
@blp.response(200, MessageSchema)
def get_message(message_id: str) -> MessageView:
    """One message, with its status and where the caller stopped listening"""
    if catalogue.is_library_story(message_id):
        return catalogue.get(current_principal(), message_id)
    return message_views.get(current_principal(), message_id)


@blp.route("/<id:message_id>", methods=["PATCH"])
@authenticated()
@blp.arguments(RescheduleSchema)
@blp.response(200, MessageSchema)
def reschedule_message(body: dict, message_id: str) -> MessageView:
    """Move a message that has not reached the child yet to another time (sender or guardian)"""
    return moving.reschedule(current_principal(), message_id, body["deliver_at"])


@blp.route("/<id:message_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def delete_message(message_id: str) -> None:
    """Delete a message: its sender until delivered, a guardian of the child at any time (a
    library story's copy not yet delivered is cancelled, so its schedule skips it)"""
    if catalogue.is_library_story(message_id):
        catalogue.withdraw(current_principal(), message_id)
    else:
        messages.delete(current_principal(), message_id)


@blp.route("/<id:message_id>/audio", methods=["GET"])
@authenticated()
@blp.arguments(AudioQuerySchema, location="query")
@blp.alt_response(302, description="Redirect to a short-lived URL of the audio")
@blp.alt_response(206, description="Part of the audio (Range)")
def get_audio(query: dict, message_id: str) -> WerkzeugResponse:
    """The audio in one format: a redirect to a short-lived URL, or the bytes with Range"""
    if catalogue.is_library_story(message_id):
        return audio_response(catalogue.open_audio(current_principal(), message_id, query["format"]))
    return audio_response(message_views.open_message_audio(current_principal(), message_id, query["format"]))


@blp.route("/<id:message_id>/audio-link", methods=["GET"])
@authenticated()
@blp.arguments(AudioQuerySchema, location="query")
@blp.response(200, AudioLinkSchema)
def get_audio_link(query: dict, message_id: str) -> dict:
    """A short-lived link to the audio in one format, for a player that cannot send a token"""
    if catalogue.is_library_story(message_id):
        url, expires_at = catalogue.audio_link(current_principal(), message_id, query["format"])
    else:
        url, expires_at = message_views.message_audio_link(current_principal(), message_id, query["format"])
    return {"url": url, "expires_at": expires_at}


@blp.route("/<id:message_id>/plays", methods=["POST"])
@authenticated()
@blp.arguments(PlaySchema)
@blp.response(204)
def record_play(body: dict, message_id: str) -> None:
    """Report listening progress; the first completed play marks the message played"""
    messages.record_play(current_principal(), message_id, **body)

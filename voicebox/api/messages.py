"""Voice messages and stories: send, read, play back, report listening, delete."""

from __future__ import annotations

from flask import Response, redirect, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from voicebox.api.schemas import MessageSchema, StrictBoolean, Text, Timestamp
from voicebox.api.security import authenticated, current_principal
from voicebox.api.streaming import blob_response
from voicebox.errors import Invalid
from voicebox.extensions import current_settings
from voicebox.models import Kind
from voicebox.services import messaging
from voicebox.services.messaging import MessageView

blp = Blueprint("messages", __name__, url_prefix="/api/v1/messages", description="Messages and stories")

FORMATS = ("opus", "opus_low", "aac")
# Multipart framing around the recording itself.
MULTIPART_OVERHEAD = 64 * 1024


class NewMessageSchema(Schema):
    to = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(load_default=Kind.MESSAGE, validate=validate.OneOf([k.value for k in Kind]))
    title = Text(120)
    deliver_at = Timestamp()
    upload_id = fields.String(validate=validate.Length(min=1, max=64))


class PlaySchema(Schema):
    position_ms = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    completed = StrictBoolean(load_default=False)


class AudioQuerySchema(Schema):
    format = fields.String(load_default="opus", validate=validate.OneOf(FORMATS))


def _new_message_body() -> dict:
    """JSON (with an upload_id) or multipart form fields (with the audio file)."""
    if request.mimetype == "multipart/form-data":
        raw = {key: value for key, value in request.form.items() if value != ""}
    else:
        raw = request.get_json(silent=True)
        if not isinstance(raw, dict):
            raise Invalid("Send multipart/form-data with an 'audio' file, or JSON with an 'upload_id'.")
    try:
        return NewMessageSchema().load(raw)
    except ValidationError as exc:
        raise Invalid("Some fields are missing or invalid.", exc.normalized_messages()) from None


@blp.route("", methods=["POST"])
@authenticated(slow_body=True)
@blp.doc(
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "allOf": [NewMessageSchema],
                    "properties": {"audio": {"type": "string", "format": "binary"}},
                }
            },
            "application/json": {"schema": NewMessageSchema},
        }
    },
    parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 255}}],
)
@blp.response(202, MessageSchema)
def send_message() -> MessageView:
    """Send a recording (multipart 'audio', or a finished upload_id) to a child or to the guardians"""
    request.max_content_length = current_settings().max_upload_bytes + MULTIPART_OVERHEAD
    body = _new_message_body()
    audio = request.files.get("audio")
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 255:
        raise Invalid("Idempotency-Key must be 1 to 255 characters.")
    return messaging.send(
        current_principal(), audio=audio.stream if audio else None, idempotency_key=key, **body
    )


@blp.route("/<id:message_id>", methods=["GET"])
@authenticated()
@blp.response(200, MessageSchema)
def get_message(message_id: str) -> MessageView:
    """One message, with its status and where the caller stopped listening"""
    return messaging.get(current_principal(), message_id)


@blp.route("/<id:message_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def delete_message(message_id: str) -> None:
    """Delete a message: its sender until delivered, a guardian of the child at any time"""
    messaging.delete(current_principal(), message_id)


@blp.route("/<id:message_id>/audio", methods=["GET"])
@authenticated()
@blp.arguments(AudioQuerySchema, location="query")
@blp.alt_response(302, description="Redirect to a short-lived URL of the audio")
@blp.alt_response(206, description="Part of the audio (Range)")
def get_audio(query: dict, message_id: str) -> Response:
    """The audio in one format: a redirect to a short-lived URL, or the bytes with Range"""
    audio = messaging.audio(current_principal(), message_id, query["format"])
    if isinstance(audio, str):
        return redirect(audio, 302)
    return blob_response(audio.info, audio.read, audio.max_age)


@blp.route("/<id:message_id>/plays", methods=["POST"])
@authenticated()
@blp.arguments(PlaySchema)
@blp.response(204)
def record_play(body: dict, message_id: str) -> None:
    """Report listening progress; the first completed play marks the message played"""
    messaging.record_play(current_principal(), message_id, **body)

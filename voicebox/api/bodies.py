"""Bodies that come as multipart form fields beside a recording, or as JSON."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from voicebox.errors import Invalid
from voicebox.extensions import current_settings

# Multipart framing around the recording itself.
MULTIPART_OVERHEAD = 64 * 1024


def recording_form(schema: Schema, hint: str) -> dict:
    """The fields of a multipart/form-data or JSON body, loaded by ``schema``, and the recording
    as ``audio`` (a stream, or None); ``hint`` says what to send when the body is neither."""
    # The one recording and its form fields may be larger than other bodies.
    request.max_content_length = current_settings().max_upload_bytes + MULTIPART_OVERHEAD
    body = _fields(schema, hint)
    audio = request.files.get("audio")
    body["audio"] = audio.stream if audio else None
    return body


def recording_form_doc(schema: type[Schema]) -> dict:
    """The OpenAPI request body of ``recording_form``: multipart with 'audio', or JSON."""
    recording = {"audio": {"type": "string", "format": "binary"}}
    return {
        "content": {
            "multipart/form-data": {"schema": {"allOf": [schema], "properties": recording}},
            "application/json": {"schema": schema},
        }
    }


def _fields(schema: Schema, hint: str) -> dict:
    raw: Any
    if request.mimetype == "multipart/form-data":
        raw = {key: value for key, value in request.form.items() if value != ""}
    else:
        raw = request.get_json(silent=True)
        if not isinstance(raw, dict):
            raise Invalid(hint)
    try:
        return schema.load(raw)
    except ValidationError as exc:
        raise Invalid("Some fields are missing or invalid.", exc.normalized_messages()) from None

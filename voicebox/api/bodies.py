"""Bodies that come as multipart form fields (beside a recording) or as JSON."""

from __future__ import annotations

from flask import request
from marshmallow import Schema, ValidationError

from voicebox.errors import Invalid
from voicebox.extensions import current_settings

# Multipart framing around the recording itself.
MULTIPART_OVERHEAD = 64 * 1024


def recording_body_limit() -> int:
    """The largest body that may carry one recording and its form fields."""
    return current_settings().max_upload_bytes + MULTIPART_OVERHEAD


def form_or_json(schema: Schema, hint: str) -> dict:
    """The fields of a multipart/form-data or JSON body, loaded by ``schema``; ``hint`` says
    what to send when the body is neither."""
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

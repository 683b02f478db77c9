"""Resumable uploads speaking tus 1.0.0: creation, creation-with-upload, termination,
expiration and checksum (sha1), so stock tus clients work over weak networks."""

from __future__ import annotations

from email.utils import format_datetime

from flask import Response, request
from flask_smorest import Blueprint

from voicebox.api.security import authenticated, current_principal
from voicebox.errors import DomainError, Invalid
from voicebox.extensions import current_settings
from voicebox.models import Upload
from voicebox.services.recordings import uploads

blp = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads", description="Resumable uploads (tus)")

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"


def _header(name: str, description: str, *, required: bool = False, digits: bool = False) -> dict:
    schema = {"type": "string", "pattern": "^[0-9]{1,19}$"} if digits else {"type": "string"}
    return {"in": "header", "name": name, "required": required, "description": description, "schema": schema}


def _answer(description: str, *headers: str) -> dict:
    return {"description": description, "headers": {name: {"schema": {"type": "string"}} for name in headers}}


# The protocol lives in headers; documented, so clients and fuzzers can speak it.
TUS_RESUMABLE = {
    "in": "header",
    "name": "Tus-Resumable",
    "required": True,
    "schema": {"type": "string", "enum": [TUS_VERSION]},
}
CHUNK = {"content": {OFFSET_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}}
CHECKSUM = _header("Upload-Checksum", "sha1 and the chunk's base64 digest")
STATE = ("Tus-Resumable", "Upload-Offset", "Upload-Length", "Upload-Expires")


class TusVersionUnsupported(DomainError):
    status, title, slug = 412, "Precondition Failed", "tus-version"
    headers = {"Tus-Version": TUS_VERSION}


class WrongContentType(DomainError):
    status, title, slug = 415, "Unsupported Media Type", "content-type"


@blp.after_request
def tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    if not response.is_streamed and response.calculate_content_length() == 0:
        # An upload's state is all in headers: no body, so no content type.
        del response.headers["Content-Type"]
    return response


def _require_tus() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise TusVersionUnsupported(f"Send 'Tus-Resumable: {TUS_VERSION}'.")


def _int_header(name: str) -> int:
    raw = request.headers.get(name, "")
    # ASCII only: str.isdigit also takes digits such as '²' that int() refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise Invalid(f"{name} must be a non-negative integer.")
    return int(raw)


def _chunk_checksum() -> bytes | None:
    if request.mimetype != OFFSET_CONTENT_TYPE:
        raise WrongContentType(f"Send the bytes as {OFFSET_CONTENT_TYPE}.")
    request.max_content_length = current_settings().max_upload_bytes
    return uploads.parse_checksum(request.headers.get("Upload-Checksum"))


def _state(upload: Upload, status: int) -> Response:
    response = Response(status=status)
    response.headers["Upload-Offset"] = str(upload.offset)
    response.headers["Upload-Length"] = str(upload.length)
    response.headers["Upload-Expires"] = format_datetime(upload.expires_at, usegmt=True)
    return response


@blp.route("", methods=["OPTIONS"])
@blp.doc(
    security=[],
    responses={"204": _answer("What is supported", "Tus-Version", "Tus-Extension", "Tus-Max-Size")},
)
def capabilities() -> Response:
    """What this tus server supports"""
    response = Response(status=204)
    response.headers["Tus-Version"] = TUS_VERSION
    response.headers["Tus-Extension"] = TUS_EXTENSIONS
    response.headers["Tus-Max-Size"] = str(current_settings().max_upload_bytes)
    response.headers["Tus-Checksum-Algorithm"] = "sha1"
    return response


@blp.route("", methods=["POST"])
@authenticated(slow_body=True)
@blp.doc(
    parameters=[
        TUS_RESUMABLE,
        _header("Upload-Length", "the recording's size in bytes", required=True, digits=True),
        _header("Upload-Metadata", "tus metadata: comma-separated keys, each with its base64 value"),
        CHECKSUM,
    ],
    requestBody={**CHUNK, "required": False},
    responses={"201": _answer("Started; Location names the upload", "Location", *STATE)},
)
def create_upload() -> Response:
    """Start an upload of Upload-Length bytes (a first chunk may come in the body)"""
    _require_tus()
    upload = uploads.create(
        current_principal(),
        _int_header("Upload-Length"),
        uploads.parse_metadata(request.headers.get("Upload-Metadata")),
    )
    if request.content_length:
        checksum = _chunk_checksum()
        upload = uploads.append(current_principal(), upload.id, 0, request.stream, checksum)
    response = _state(upload, 201)
    response.headers["Location"] = f"/api/v1/uploads/{upload.id}"
    return response


@blp.route("/<id:upload_id>", methods=["HEAD"])
@authenticated()
@blp.doc(parameters=[TUS_RESUMABLE], responses={"200": _answer("How far it got", *STATE)})
def upload_offset(upload_id: str) -> Response:
    """How many bytes of the upload the server holds"""
    _require_tus()
    return _state(uploads.get(current_principal(), upload_id), 200)


@blp.route("/<id:upload_id>", methods=["PATCH"])
@authenticated(slow_body=True)
@blp.doc(
    parameters=[
        TUS_RESUMABLE,
        _header("Upload-Offset", "where this chunk begins", required=True, digits=True),
        CHECKSUM,
    ],
    requestBody={**CHUNK, "required": True},
    responses={"204": _answer("Appended", *STATE)},
)
def append_chunk(upload_id: str) -> Response:
    """Append bytes at Upload-Offset (Upload-Checksum: sha1 checked)"""
    _require_tus()
    checksum = _chunk_checksum()
    offset = _int_header("Upload-Offset")
    return _state(uploads.append(current_principal(), upload_id, offset, request.stream, checksum), 204)


@blp.route("/<id:upload_id>", methods=["DELETE"])
@authenticated()
@blp.doc(parameters=[TUS_RESUMABLE], responses={"204": _answer("Abandoned", "Tus-Resumable")})
def terminate_upload(upload_id: str) -> Response:
    """Abandon the upload and delete what it stored"""
    _require_tus()
    uploads.terminate(current_principal(), upload_id)
    return Response(status=204)

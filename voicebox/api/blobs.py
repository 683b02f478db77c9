"""Signed, expiring blob links for the local folder store: what S3 presigned URLs are to S3."""

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from voicebox.api.streaming import blob_response
from voicebox.services import blobs

blp = Blueprint("blobs", __name__, url_prefix="/api/v1/blobs", description="Blob links")


class SignedLinkSchema(Schema):
    expires = fields.Integer(required=True)
    signature = fields.String(required=True)


@blp.route("/<path:key>", methods=["GET"])
@blp.doc(security=[])
@blp.arguments(SignedLinkSchema, location="query")
def get_blob(query: dict, key: str) -> Response:
    """The bytes behind a signed link (Range honoured); 404 once the link expires"""
    link = blobs.open_signed_link(key, query["expires"], query["signature"])
    return blob_response(link.info, link.read, link.max_age)

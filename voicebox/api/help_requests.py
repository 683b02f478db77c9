"""Help requests: a child asks, a helper claims, they talk in a thread, the helper closes it."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response as WerkzeugResponse

from voicebox.api.bodies import recording_form, recording_form_doc
from voicebox.api.help_schemas import HelpRequestSchema, HelpSummaryListSchema, ReplySchema
from voicebox.api.schemas import AudioQuerySchema, FormBoolean, PageQuerySchema, Prose, Text
from voicebox.api.security import authenticated, current_principal
from voicebox.api.streaming import audio_response
from voicebox.models import Category, HelpStatus, Outcome
from voicebox.services import paging
from voicebox.services.helpdesk import claims, thread_views, threads
from voicebox.services.helpdesk.thread_views import HelpRequestView, ReplyView

blp = Blueprint(
    "help_requests", __name__, url_prefix="/api/v1/help-requests", description="Help requests from children"
)

TEXT_LIMIT = 2000
RECORDING_HINT = "Send multipart/form-data (with 'audio' and/or 'text'), or JSON."


class NewHelpRequestSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf([c.value for c in Category]))
    urgent = FormBoolean(load_default=False)
    text = Prose(TEXT_LIMIT)
    upload_id = fields.String(validate=validate.Length(min=1, max=64))


class NewReplySchema(Schema):
    text = Prose(TEXT_LIMIT)
    upload_id = fields.String(validate=validate.Length(min=1, max=64))


class ResolveSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in Outcome]))
    note = Text(500)


class EscalateSchema(Schema):
    reason = Text(500, required=True)


class HelpListQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf([s.value for s in HelpStatus]))


@blp.route("", methods=["POST"])
@authenticated(slow_body=True)
@blp.doc(requestBody=recording_form_doc(NewHelpRequestSchema))
@blp.response(201, HelpRequestSchema)
def ask() -> HelpRequestView:
    """Ask for help from a child's device: a recording and/or text, a category, an urgent flag"""
    return threads.ask(current_principal(), **recording_form(NewHelpRequestSchema(), RECORDING_HINT))


@blp.route("", methods=["GET"])
@authenticated()
@blp.arguments(HelpListQuerySchema, location="query")
@blp.response(200, HelpSummaryListSchema)
def list_requests(query: dict) -> paging.Page:
    """A child's own requests; what a volunteer holds; any, for supervisors and admins"""
    return thread_views.list_requests(
        current_principal(), query.get("status"), query["cursor"], query["limit"]
    )


@blp.route("/claim", methods=["POST"])
@authenticated()
@blp.response(200, HelpRequestSchema)
@blp.alt_response(204, description="No request is waiting")
def claim() -> HelpRequestView | Response:
    """Take the most urgent waiting request, held by you under a lease"""
    claimed = claims.claim(current_principal())
    return claimed if claimed is not None else Response(status=204)


@blp.route("/<id:request_id>", methods=["GET"])
@authenticated()
@blp.response(200, HelpRequestSchema)
def get_request(request_id: str) -> HelpRequestView:
    """One request and its thread: the child, its holder, supervisors and admins"""
    return thread_views.get(current_principal(), request_id)


@blp.route("/<id:request_id>/replies", methods=["POST"])
@authenticated(slow_body=True)
@blp.doc(requestBody=recording_form_doc(NewReplySchema))
@blp.response(201, ReplySchema)
def reply(request_id: str) -> ReplyView:
    """Answer in the thread, by voice (multipart 'audio') or text: the holder, or the child"""
    return threads.reply(current_principal(), request_id, **recording_form(NewReplySchema(), RECORDING_HINT))


@blp.route("/<id:request_id>/release", methods=["POST"])
@authenticated()
@blp.response(200, HelpRequestSchema)
def release(request_id: str) -> HelpRequestView:
    """Hand the request back to the queue"""
    return claims.release(current_principal(), request_id)


@blp.route("/<id:request_id>/resolve", methods=["POST"])
@authenticated()
@blp.arguments(ResolveSchema)
@blp.response(200, HelpRequestSchema)
def resolve(body: dict, request_id: str) -> HelpRequestView:
    """Close the request with its outcome"""
    return claims.resolve(current_principal(), request_id, body["outcome"], body.get("note"))


@blp.route("/<id:request_id>/escalate", methods=["POST"])
@authenticated()
@blp.arguments(EscalateSchema)
@blp.response(200, HelpRequestSchema)
def escalate(body: dict, request_id: str) -> HelpRequestView:
    """Hand the request to the supervisors, saying why"""
    return claims.escalate(current_principal(), request_id, body["reason"])


@blp.route("/<id:request_id>/audio", methods=["GET"])
@authenticated()
@blp.arguments(AudioQuerySchema, location="query")
@blp.alt_response(302, description="Redirect to a short-lived URL of the audio")
def request_audio(query: dict, request_id: str) -> WerkzeugResponse:
    """The child's recording, in one format"""
    return audio_response(thread_views.open_thread_audio(current_principal(), request_id, query["format"]))


@blp.route("/<id:request_id>/replies/<id:reply_id>/audio", methods=["GET"])
@authenticated()
@blp.arguments(AudioQuerySchema, location="query")
@blp.alt_response(302, description="Redirect to a short-lived URL of the audio")
def reply_audio(query: dict, request_id: str, reply_id: str) -> WerkzeugResponse:
    """A reply's recording, in one format"""
    recording = thread_views.open_thread_audio(current_principal(), request_id, query["format"], reply_id)
    return audio_response(recording)

"""Inbox and outbox, and the inbox's live stream of new deliveries (Server-Sent Events)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, request, stream_with_context
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from voicebox.api.schemas import MessageSchema, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.services import live, mailboxes

blp = Blueprint("inbox", __name__, url_prefix="/api/v1", description="Inbox and outbox")

MessageListSchema = list_of(MessageSchema, "MessageList")
RECONNECT_MS = 3000


class PageQuerySchema(Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=mailboxes.DEFAULT_LIMIT)


@blp.route("/inbox", methods=["GET"])
@authenticated()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, MessageListSchema)
def inbox(query: dict) -> mailboxes.Page:
    """Messages delivered to the caller, newest first"""
    return mailboxes.inbox(current_principal(), query["cursor"], query["limit"])


@blp.route("/outbox", methods=["GET"])
@authenticated()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, MessageListSchema)
def outbox(query: dict) -> mailboxes.Page:
    """Messages the caller sent, newest first, with their status"""
    return mailboxes.outbox(current_principal(), query["cursor"], query["limit"])


def _server_sent(events: Iterator[live.Event]) -> Iterator[str]:
    yield f"retry: {RECONNECT_MS}\n\n"
    for event in events:
        if event is None:
            yield ": keep-alive\n\n"
        else:
            cursor, message = event
            yield f"id: {cursor}\nevent: message\ndata: {MessageSchema().dumps(message)}\n\n"


@blp.route("/inbox/events", methods=["GET"])
@authenticated()
@blp.doc(
    responses={
        200: {"description": "text/event-stream of 'message' events, each a Message; the id is a cursor"}
    },
    parameters=[{"in": "header", "name": "Last-Event-ID", "schema": {"type": "string"}}],
)
def inbox_events() -> Response:
    """New deliveries as Server-Sent Events; reconnect with Last-Event-ID to miss none"""
    events = live.inbox_stream(current_principal(), request.headers.get("Last-Event-ID"))
    response = Response(stream_with_context(_server_sent(events)), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # proxies must not hold events back
    return response

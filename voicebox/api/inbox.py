"""Inbox and outbox, and the inbox's live stream of new deliveries (Server-Sent Events)."""

from __future__ import annotations

from flask import Response, request
from flask_smorest import Blueprint

from voicebox.api.schemas import MessageSchema, PageQuerySchema, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.api.streaming import event_stream
from voicebox.services import paging
from voicebox.services.messaging import live, mailboxes

blp = Blueprint("inbox", __name__, url_prefix="/api/v1", description="Inbox and outbox")

MessageListSchema = list_of(MessageSchema, "MessageList")


@blp.route("/inbox", methods=["GET"])
@authenticated()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, MessageListSchema)
def inbox(query: dict) -> paging.Page:
    """Messages delivered to the caller, newest first"""
    return mailboxes.inbox(current_principal(), query["cursor"], query["limit"])


@blp.route("/outbox", methods=["GET"])
@authenticated()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, MessageListSchema)
def outbox(query: dict) -> paging.Page:
    """Messages the caller sent, newest first, with their status"""
    return mailboxes.outbox(current_principal(), query["cursor"], query["limit"])


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
    return event_stream(events, MessageSchema(), lambda _: "message")

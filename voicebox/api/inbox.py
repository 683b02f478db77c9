"""Inbox and outbox, and the inbox's live stream of new deliveries (Server-Sent Events)."""

from __future__ import annotations

from typing import NoReturn

from flask_smorest import Blueprint

from voicebox.api.schemas import MessageSchema, PageQuerySchema, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.api.streaming import served_by_push
from voicebox.services import paging
from voicebox.services.messaging import mailboxes

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
def inbox_events() -> NoReturn:
    """New deliveries as Server-Sent Events; reconnect with Last-Event-ID to miss none"""
    served_by_push()

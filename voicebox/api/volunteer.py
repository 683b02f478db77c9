"""Helpers at work: their presence and capacity, the queue's live events, the queue's health."""

from __future__ import annotations

from typing import NoReturn

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.help_schemas import PresenceSchema, QueueHealthSchema
from voicebox.api.schemas import StrictBoolean
from voicebox.api.security import authenticated, current_principal
from voicebox.api.streaming import served_by_push
from voicebox.services.helpdesk import oversight, volunteers
from voicebox.services.helpdesk.oversight import QueueHealth
from voicebox.services.helpdesk.volunteers import Presence

blp = Blueprint("volunteer", __name__, url_prefix="/api/v1", description="Volunteers and supervisors")


class PresenceUpdateSchema(Schema):
    available = StrictBoolean()
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=volunteers.MAX_CAPACITY))


@blp.route("/volunteer", methods=["GET"])
@authenticated()
@blp.response(200, PresenceSchema)
def presence() -> Presence:
    """Your presence, capacity, and the requests you hold"""
    return volunteers.presence(current_principal())


@blp.route("/volunteer", methods=["PUT"])
@authenticated()
@blp.arguments(PresenceUpdateSchema)
@blp.response(200, PresenceSchema)
def set_presence(body: dict) -> Presence:
    """Set yourself available or away (going away hands back what you hold), or your capacity"""
    return volunteers.set_presence(current_principal(), body.get("available"), body.get("capacity"))


@blp.route("/volunteer/events", methods=["GET"])
@authenticated()
@blp.doc(
    responses={200: {"description": "text/event-stream of queue events; each id is a cursor"}},
    parameters=[{"in": "header", "name": "Last-Event-ID", "schema": {"type": "string"}}],
)
def queue_events() -> NoReturn:
    """The help queue's events (new, claimed, released, escalated, ...) as Server-Sent Events"""
    served_by_push()


@blp.route("/supervisor/queue", methods=["GET"])
@authenticated()
@blp.response(200, QueueHealthSchema)
def queue_health() -> QueueHealth:
    """The queue's health: waiting by priority, oldest wait, volunteers available, escalations"""
    return oversight.queue_health(current_principal())

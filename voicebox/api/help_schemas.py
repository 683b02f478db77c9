"""Shapes of help requests, their threads, the helpers' presence and the queue's health."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields

from voicebox.api.schemas import FailureSchema, Renditions, Timestamp, Waveform, list_of
from voicebox.models import HelpStatus
from voicebox.services.helpdesk.thread_views import ThreadAudio


class ThreadAudioLink(fields.String):
    """Where a thread's recording is fetched: the request's own, or one reply's."""

    _CHECK_ATTRIBUTE = False  # made from the recording, not read from it

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        audio: ThreadAudio = obj
        if audio.reply_id is None:
            return url_for("help_requests.request_audio", request_id=audio.request_id)
        return url_for("help_requests.reply_audio", request_id=audio.request_id, reply_id=audio.reply_id)


class ThreadAudioSchema(Schema):
    url = ThreadAudioLink(metadata={"description": "GET it with ?format=opus|opus_low|aac"})
    status = fields.String(metadata={"enum": ["processing", "ready", "failed"]})
    failure = fields.Nested(FailureSchema, allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    waveform = Waveform()
    renditions = Renditions()


class HelperSchema(Schema):
    """Who answers: to the child, only the name they go by."""

    id = fields.String(allow_none=True, metadata={"description": "the helper's user id; null for the child"})
    display_name = fields.String()


class ReplySchema(Schema):
    id = fields.String()
    author = fields.String(metadata={"enum": ["child", "helper"]})
    helper = fields.Nested(HelperSchema, allow_none=True)
    text = fields.String(allow_none=True)
    audio = fields.Nested(ThreadAudioSchema, allow_none=True)
    created_at = Timestamp()


class HelpChildSchema(Schema):
    display_name = fields.String()
    age = fields.Integer()
    timezone = fields.String()


class HelpRequestSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"enum": [status.value for status in HelpStatus]})
    category = fields.String()
    urgent = fields.Boolean()
    priority = fields.Integer(
        metadata={
            "description": "1 (a child who may be in danger) to 4; to the child, the priority of "
            "their own choices (category, urgent), never what screening their words found"
        }
    )
    text = fields.String(allow_none=True)
    audio = fields.Nested(ThreadAudioSchema, allow_none=True)
    child = fields.Nested(HelpChildSchema, allow_none=True, metadata={"description": "null once erased"})
    risk_terms = fields.List(fields.String())
    created_at = Timestamp()
    queued_at = Timestamp()
    claimed_at = Timestamp(allow_none=True)
    held_by = fields.Nested(HelperSchema, allow_none=True)
    lease_expires_at = Timestamp(allow_none=True)
    escalated_at = Timestamp(allow_none=True)
    escalation_reason = fields.String(allow_none=True)
    replies = fields.List(fields.Nested(ReplySchema))
    resolved_at = Timestamp(allow_none=True)
    outcome = fields.String(allow_none=True)


class HelpSummarySchema(Schema):
    id = fields.String()
    status = fields.String()
    category = fields.String()
    urgent = fields.Boolean()
    priority = fields.Integer()
    created_at = Timestamp()
    queued_at = Timestamp()
    claimed_at = Timestamp(allow_none=True)
    escalated_at = Timestamp(allow_none=True)
    resolved_at = Timestamp(allow_none=True)


HelpSummaryListSchema = list_of(HelpSummarySchema, "HelpSummaryList")


class PresenceSchema(Schema):
    available = fields.Boolean()
    capacity = fields.Integer()
    holding = fields.List(fields.Nested(HelpSummarySchema))


class WaitingSchema(Schema):
    priority = fields.Integer()
    count = fields.Integer()
    oldest_wait_seconds = fields.Integer()


class QueueHealthSchema(Schema):
    waiting = fields.List(fields.Nested(WaitingSchema))
    oldest_wait_seconds = fields.Integer(allow_none=True)
    held = fields.Integer()
    escalations_open = fields.Integer()
    volunteers_available = fields.Integer()
    volunteers_with_room = fields.Integer()


class LiveEventSchema(Schema):
    event_id = fields.Integer()
    type = fields.String()
    at = Timestamp()
    request = fields.Nested(
        HelpSummarySchema(only=("id", "status", "priority", "category", "urgent", "queued_at"))
    )

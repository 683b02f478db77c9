"""A child's recurring schedules, and everything still on its way to them."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.schemas import MessageSchema, StrictBoolean, Timestamp, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.models import Schedule, Source
from voicebox.services.local_times import format_hhmm
from voicebox.services.scheduling import schedules

blp = Blueprint("schedules", __name__, url_prefix="/api/v1", description="Schedules")

HHMM = validate.Regexp(r"^\d\d:\d\d$", error="Use HH:MM, e.g. 20:00.")


class NewScheduleSchema(Schema):
    time = fields.String(required=True, validate=HHMM, metadata={"description": "HH:MM in the child's zone"})
    weekdays = fields.List(
        fields.Integer(strict=True),
        load_default=lambda: list(range(1, 8)),
        metadata={"description": "ISO weekdays, 1 = Monday; every day if left out"},
    )
    source = fields.String(load_default=Source.QUEUE, validate=validate.OneOf([s.value for s in Source]))
    box_id = fields.String(validate=validate.Length(min=1, max=64))
    series_id = fields.String(validate=validate.Length(min=1, max=64))


class ScheduleChangeSchema(Schema):
    time = fields.String(validate=HHMM)
    weekdays = fields.List(fields.Integer(strict=True))
    paused = StrictBoolean()


class ScheduleSchema(Schema):
    id = fields.String()
    child_id = fields.String()
    time = fields.Method("_time", metadata={"type": "string"})
    weekdays = fields.List(fields.Integer())
    source = fields.String()
    box_id = fields.String(allow_none=True)
    series_id = fields.String(allow_none=True)
    paused = fields.Boolean()
    next_run_at = Timestamp(metadata={"description": "the next run, in UTC (planned a few minutes ahead)"})
    last_run_at = Timestamp(allow_none=True)
    created_at = Timestamp()

    def _time(self, schedule: Any) -> str:
        return format_hhmm(schedule.minute_of_day)


class UpcomingSchema(Schema):
    message = fields.Nested(MessageSchema)
    due_at = Timestamp(
        allow_none=True, metadata={"description": "null: waiting for its turn or its transcode"}
    )
    schedule_id = fields.String(allow_none=True)


@blp.route("/children/<id:child_id>/schedules", methods=["POST"])
@authenticated()
@blp.arguments(NewScheduleSchema)
@blp.response(201, ScheduleSchema)
def create_schedule(body: dict, child_id: str) -> Schedule:
    """Deliver the next story of the queue, a box or a series at HH:MM on chosen weekdays"""
    return schedules.create(current_principal(), child_id, **body)


@blp.route("/children/<id:child_id>/schedules", methods=["GET"])
@authenticated()
@blp.response(200, list_of(ScheduleSchema, "ScheduleList"))
def list_schedules(child_id: str) -> dict:
    """A child's schedules, with their next runs"""
    return {"items": schedules.list_schedules(current_principal(), child_id), "next_cursor": None}


@blp.route("/schedules/<id:schedule_id>", methods=["PATCH"])
@authenticated()
@blp.arguments(ScheduleChangeSchema)
@blp.response(200, ScheduleSchema)
def update_schedule(body: dict, schedule_id: str) -> Schedule:
    """Change a schedule's time or weekdays, or pause and resume it"""
    return schedules.update_schedule(current_principal(), schedule_id, **body)


@blp.route("/schedules/<id:schedule_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def delete_schedule(schedule_id: str) -> None:
    """Stop a schedule; a run it planned that has not arrived is taken back"""
    schedules.remove(current_principal(), schedule_id)


@blp.route("/children/<id:child_id>/upcoming", methods=["GET"])
@authenticated()
@blp.response(200, list_of(UpcomingSchema, "UpcomingList"))
def upcoming(child_id: str) -> dict:
    """What has not reached the child yet, soonest first; move it with PATCH /messages/{id},
    cancel it with DELETE /messages/{id}"""
    return {"items": schedules.upcoming(current_principal(), child_id), "next_cursor": None}

"""Children: a guardian adds them (with consent) and lists them."""

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.schemas import ChildSchema, StrictBoolean, Text, Timestamp, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.models import Child
from voicebox.services.families import children, erasure, watchdog

blp = Blueprint("children", __name__, url_prefix="/api/v1/children", description="Children")

ChildListSchema = list_of(ChildSchema, "ChildList")


class NewChildSchema(Schema):
    display_name = Text(40, required=True)
    birth_year = fields.Integer(required=True, strict=True)
    timezone = fields.String(validate=validate.Length(max=64))
    guardian_consent = StrictBoolean(load_default=False)


@blp.route("", methods=["POST"])
@authenticated()
@blp.arguments(NewChildSchema)
@blp.response(201, ChildSchema)
def create_child(body: dict) -> Child:
    """Add a child; the caller becomes their guardian and records consent"""
    return children.create_child(current_principal(), **body)


@blp.route("", methods=["GET"])
@authenticated()
@blp.response(200, ChildListSchema)
def list_children() -> dict:
    """The children the caller looks after"""
    return {"items": children.list_children(current_principal()), "next_cursor": None}


class QuietHoursSchema(Schema):
    start = fields.String(required=True, validate=validate.Regexp(r"^\d\d:\d\d$"))
    end = fields.String(required=True, validate=validate.Regexp(r"^\d\d:\d\d$"))


class ChildChangeSchema(Schema):
    timezone = fields.String(validate=validate.Length(min=1, max=64))
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)


@blp.route("/<id:child_id>", methods=["PATCH"])
@authenticated()
@blp.arguments(ChildChangeSchema)
@blp.response(200, ChildSchema)
def update_child(body: dict, child_id: str) -> Child:
    """Change a child's time zone or quiet hours (null: none); a guardian only"""
    return children.update_child(current_principal(), child_id, **body)


class NudgeSchema(Schema):
    nudged_at = Timestamp()
    days_since_contact = fields.Integer()
    prompt = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        allow_none=True,
        metadata={"description": "something the guardian could say, by language (zh, en)"},
    )


@blp.route("/<id:child_id>/nudge", methods=["GET"])
@authenticated()
@blp.response(200, NudgeSchema)
@blp.alt_response(204, description="The child has not gone quiet, or contact has resumed since")
def get_nudge(child_id: str) -> watchdog.Nudge | Response:
    """The no-contact watchdog's nudge to the child's guardians, while the child is still quiet"""
    return watchdog.current_nudge(current_principal(), child_id) or Response(status=204)


@blp.route("/<id:child_id>", methods=["GET"])
@authenticated()
@blp.response(200, ChildSchema)
def get_child(child_id: str) -> Child:
    """One child the caller looks after"""
    return children.get_child(current_principal(), child_id)


class EraseSchema(Schema):
    confirm = fields.String(
        required=True,
        validate=validate.Length(max=80),
        metadata={"description": "the child's display name, typed to confirm"},
    )


@blp.route("/<id:child_id>/erase", methods=["POST"])
@authenticated()
@blp.arguments(EraseSchema)
@blp.response(202)
def erase_child(body: dict, child_id: str) -> None:
    """Erase the child and everything about them (this is how consent is withdrawn); nobody
    reaches the child from now on, and a worker deletes every row and recording"""
    erasure.request_erasure(current_principal(), child_id, body["confirm"])


class ConsentSchema(Schema):
    guardian_consent = StrictBoolean(load_default=False)


@blp.route("/<id:child_id>/consent", methods=["POST"])
@authenticated()
@blp.arguments(ConsentSchema)
@blp.response(200, ChildSchema)
def consent_again(body: dict, child_id: str) -> Child:
    """Consent to the privacy policy as it is now; after it changes, every other call about the
    child answers 428 until the guardian does"""
    return children.consent_again(current_principal(), child_id, body["guardian_consent"])

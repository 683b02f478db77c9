"""Administration: volunteers' standing, the audit trail of help requests, quiet children."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.schemas import PageQuerySchema, PartySchema, Timestamp, UserSchema, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.models import Role, User, UserStatus
from voicebox.services import paging
from voicebox.services.accounts import users
from voicebox.services.families import watchdog
from voicebox.services.helpdesk import audit, volunteers

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Administration")

UserListSchema = list_of(UserSchema, "UserList")


class VolunteerFilterSchema(Schema):
    # Every volunteer's standing (``active`` is a parent's).
    status = fields.String(validate=validate.OneOf([s.value for s in UserStatus if s != UserStatus.ACTIVE]))


@blp.route("/volunteers", methods=["GET"])
@authenticated(Role.ADMIN)
@blp.arguments(VolunteerFilterSchema, location="query")
@blp.response(200, UserListSchema)
def list_volunteers(query: dict) -> dict:
    """Volunteers, optionally only those pending or approved"""
    return {"items": users.list_volunteers(query.get("status")), "next_cursor": None}


@blp.route("/volunteers/<id:user_id>/approve", methods=["POST"])
@authenticated(Role.ADMIN)
@blp.response(200, UserSchema)
def approve_volunteer(user_id: str) -> User:
    """Approve a volunteer so they can take help requests"""
    return users.approve_volunteer(user_id)


@blp.route("/volunteers/<id:user_id>/reject", methods=["POST"])
@authenticated(Role.ADMIN)
@blp.response(200, UserSchema)
def reject_volunteer(user_id: str) -> User:
    """Turn down an applicant; their account takes no help requests"""
    return users.reject_volunteer(user_id)


@blp.route("/volunteers/<id:user_id>/suspend", methods=["POST"])
@authenticated(Role.ADMIN)
@blp.response(200, UserSchema)
def suspend_volunteer(user_id: str) -> User:
    """Stop a volunteer at once: their tokens and streams end, what they hold goes back to the queue"""
    return volunteers.suspend(current_principal(), user_id)


@blp.route("/volunteers/<id:user_id>/reinstate", methods=["POST"])
@authenticated(Role.ADMIN)
@blp.response(200, UserSchema)
def reinstate_volunteer(user_id: str) -> User:
    """Let a suspended volunteer sign in and take requests again"""
    return users.reinstate_volunteer(user_id)


class ActorSchema(PartySchema):
    role = fields.String()


class AuditEntrySchema(Schema):
    id = fields.String()
    at = Timestamp()
    actor = fields.Nested(ActorSchema)
    action = fields.String(
        metadata={"enum": ["read", "listen", "claim", "reply", "release", "escalate", "resolve"]}
    )
    request_id = fields.String()


class AuditQuerySchema(PageQuerySchema):
    request_id = fields.String(validate=validate.Length(min=1, max=64))


@blp.route("/audit", methods=["GET"])
@authenticated()
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, list_of(AuditEntrySchema, "AuditEntryList"))
def audit_log(query: dict) -> paging.Page:
    """Who read or acted on which help request, and when, newest first"""
    return audit.entries(current_principal(), query.get("request_id"), query["cursor"], query["limit"])


class QuietChildSchema(Schema):
    child = fields.Nested(
        Schema.from_dict(
            {
                "id": fields.String(),
                "display_name": fields.String(),
                "age": fields.Integer(),
                "timezone": fields.String(),
            },
            name="QuietChildChild",
        )
    )
    quiet_since = Timestamp()
    last_contact_at = Timestamp(allow_none=True, metadata={"description": "null: never heard from home"})
    days_since_contact = fields.Integer()
    nudged_at = Timestamp(allow_none=True)


@blp.route("/quiet-children", methods=["GET"])
@authenticated()
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, list_of(QuietChildSchema, "QuietChildList"))
def quiet_children(query: dict) -> paging.Page:
    """Children with no message or story from home for the set number of days, longest first"""
    return watchdog.quiet_children(current_principal(), query["cursor"], query["limit"])

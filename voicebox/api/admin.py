"""Administration: volunteers waiting for approval, and approving them."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.schemas import UserSchema, list_of
from voicebox.api.security import authenticated
from voicebox.models import Role, User, UserStatus
from voicebox.services import accounts

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Administration")

UserListSchema = list_of(UserSchema, "UserList")


class VolunteerFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf([UserStatus.PENDING.value, UserStatus.APPROVED.value]))


@blp.route("/volunteers", methods=["GET"])
@authenticated(Role.ADMIN)
@blp.arguments(VolunteerFilterSchema, location="query")
@blp.response(200, UserListSchema)
def list_volunteers(query: dict) -> dict:
    """Volunteers, optionally only those pending or approved"""
    return {"items": accounts.list_volunteers(query.get("status")), "next_cursor": None}


@blp.route("/volunteers/<id:user_id>/approve", methods=["POST"])
@authenticated(Role.ADMIN)
@blp.response(200, UserSchema)
def approve_volunteer(user_id: str) -> User:
    """Approve a volunteer so they can take help requests"""
    return accounts.approve_volunteer(user_id)

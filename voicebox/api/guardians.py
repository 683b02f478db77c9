"""A child's guardians, and one-time invitations for a second guardian."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.schemas import ChildSchema, StrictBoolean, Timestamp, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.extensions import current_settings, rate_limit
from voicebox.models import Child, Relation
from voicebox.services.families import children

blp = Blueprint("guardians", __name__, url_prefix="/api/v1", description="Guardians")


class GuardianSchema(Schema):
    id = fields.String()
    display_name = fields.String()
    relation = fields.String()


GuardianListSchema = list_of(GuardianSchema, "GuardianList")


class NewInviteSchema(Schema):
    relation = fields.String(
        load_default=Relation.OTHER.value, validate=validate.OneOf([r.value for r in Relation])
    )


class InviteSchema(Schema):
    id = fields.String()
    code = fields.String()
    expires_at = Timestamp()


class PendingInviteSchema(Schema):
    """An invitation not used yet; its code is shown once, when it is made."""

    id = fields.String()
    relation = fields.String()
    created_at = Timestamp()
    expires_at = Timestamp()


class AcceptInviteSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=4, max=32))
    guardian_consent = StrictBoolean(load_default=False)


@blp.route("/children/<id:child_id>/guardians", methods=["GET"])
@authenticated()
@blp.response(200, GuardianListSchema)
def list_guardians(child_id: str) -> dict:
    """Everyone who looks after the child"""
    return {"items": children.list_guardians(current_principal(), child_id), "next_cursor": None}


@blp.route("/children/<id:child_id>/guardian-invites", methods=["POST"])
@authenticated()
@blp.arguments(NewInviteSchema)
@blp.response(201, InviteSchema)
def invite_guardian(body: dict, child_id: str) -> children.Invite:
    """A one-time code that lets another parent or a grandparent look after the child too"""
    return children.invite_guardian(current_principal(), child_id, **body)


@blp.route("/children/<id:child_id>/guardian-invites", methods=["GET"])
@authenticated()
@blp.response(200, list_of(PendingInviteSchema, "PendingInviteList"))
def list_invites(child_id: str) -> dict:
    """The child's invitations nobody has used yet"""
    return {"items": children.list_invites(current_principal(), child_id), "next_cursor": None}


@blp.route("/children/<id:child_id>/guardian-invites/<id:invite_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def cancel_invite(child_id: str, invite_id: str) -> None:
    """Take back an invitation nobody has used; its code stops working"""
    children.cancel_invite(current_principal(), child_id, invite_id)


@blp.route("/children/<id:child_id>/guardians/<id:user_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def remove_guardian(child_id: str, user_id: str) -> None:
    """Remove a guardian (or leave); 409 for the child's last one"""
    children.remove_guardian(current_principal(), child_id, user_id)


@blp.route("/guardian-invites/accept", methods=["POST"])
@rate_limit(lambda: current_settings().code_rate_limit)
@authenticated()
@blp.arguments(AcceptInviteSchema)
@blp.response(200, ChildSchema)
def accept_invite(body: dict) -> Child:
    """Become a guardian of the child the code was made for"""
    return children.accept_invite(current_principal(), **body)

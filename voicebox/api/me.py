"""Who am I: the user, or for a device token the child it speaks for; my password and sessions."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.schemas import ChildSchema, DeviceSchema, Timestamp, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.models import User
from voicebox.services.accounts import users
from voicebox.services.families import erasure

blp = Blueprint("me", __name__, url_prefix="/api/v1", description="The caller")


class MeSchema(Schema):
    id = fields.String()
    role = fields.String()
    display_name = fields.String()
    status = fields.String()
    child = fields.Nested(ChildSchema)
    device = fields.Nested(DeviceSchema)


@blp.route("/me")
@authenticated()
@blp.response(200, MeSchema)
def me() -> dict | User:
    """The caller's account, or the child a device speaks for"""
    principal = current_principal()
    if principal.device is not None:
        return {"role": "child", "child": principal.child, "device": principal.device}
    return principal.user  # a user token always has a user


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=users.MAX_PASSWORD))
    new_password = fields.String(required=True, validate=validate.Length(max=users.MAX_PASSWORD))


class AccountSessionSchema(Schema):
    id = fields.String()
    created_at = Timestamp()
    expires_at = Timestamp()
    current = fields.Boolean(metadata={"description": "the session this call came from"})


@blp.route("/me/password", methods=["PUT"])
@authenticated()
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
def change_password(body: dict) -> None:
    """A new password; every other session of the account ends"""
    users.change_password(current_principal(), **body)


@blp.route("/me/sessions", methods=["GET"])
@authenticated()
@blp.response(200, list_of(AccountSessionSchema, "AccountSessionList"))
def list_sessions() -> dict:
    """The account's sessions that still work, newest first"""
    return {"items": users.list_sessions(current_principal()), "next_cursor": None}


@blp.route("/me/sessions/<id:session_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def end_session(session_id: str) -> None:
    """End one session of the account (a phone lost or lent)"""
    users.end_session(current_principal(), session_id)


class DeleteAccountSchema(Schema):
    password = fields.String(required=True, validate=validate.Length(max=users.MAX_PASSWORD))
    erase_children = fields.List(
        fields.String(validate=validate.Length(max=80)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={
            "description": "the display name of each child only you look after: erased with the account"
        },
    )


@blp.route("/me/delete", methods=["POST"])
@authenticated()
@blp.arguments(DeleteAccountSchema)
@blp.response(204)
def delete_account(body: dict) -> None:
    """Delete the account and what it recorded; 409 naming the children it would erase until
    they are named in erase_children"""
    erasure.delete_account(current_principal(), **body)

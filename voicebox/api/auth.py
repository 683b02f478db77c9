"""Register, log in, log out."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.schemas import SessionSchema, Text
from voicebox.api.security import authenticated, current_principal
from voicebox.extensions import current_settings, rate_limit
from voicebox.services.accounts import users

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


class RegisterSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=32))
    password = fields.String(required=True, validate=validate.Length(max=users.MAX_PASSWORD))
    display_name = Text(users.MAX_DISPLAY_NAME, required=True)
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in users.SELF_SERVICE_ROLES]))


class LoginSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=32))
    password = fields.String(required=True, validate=validate.Length(max=users.MAX_PASSWORD))


@blp.route("/register", methods=["POST"])
@blp.doc(security=[])
@rate_limit(lambda: current_settings().register_rate_limit)
@blp.arguments(RegisterSchema)
@blp.response(201, SessionSchema)
def register(body: dict) -> users.Session:
    """Create a parent or volunteer account (volunteers start pending)"""
    return users.register(**body)


@blp.route("/login", methods=["POST"])
@blp.doc(security=[])
@rate_limit(lambda: current_settings().login_rate_limit)
@blp.arguments(LoginSchema)
@blp.response(200, SessionSchema)
def login(body: dict) -> users.Session:
    """Exchange a phone number and password for a token"""
    return users.login(**body)


@blp.route("/logout", methods=["POST"])
@authenticated()
@blp.response(204)
def logout() -> None:
    """Revoke the token used for this call"""
    users.logout(current_principal())


@blp.route("/logout-everywhere", methods=["POST"])
@authenticated()
@blp.response(204)
def logout_everywhere() -> None:
    """End every session of the account, this one too"""
    users.sign_out_everywhere(current_principal())

"""Register, log in, log out."""

from flask import request
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.schemas import SessionSchema, Text
from voicebox.api.security import authenticated, current_principal
from voicebox.errors import Invalid
from voicebox.extensions import current_settings, rate_limit
from voicebox.models import CodePurpose
from voicebox.services.accounts import users

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


CODE = validate.Length(min=4, max=12)


class RegisterSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=32))
    password = fields.String(required=True, validate=validate.Length(max=users.MAX_PASSWORD))
    display_name = Text(users.MAX_DISPLAY_NAME, required=True)
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in users.SELF_SERVICE_ROLES]))
    code = fields.String(
        validate=CODE, metadata={"description": "the code texted by POST /auth/phone-codes, when required"}
    )


class PhoneCodeSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=32))
    purpose = fields.String(required=True, validate=validate.OneOf([p.value for p in CodePurpose]))


class PasswordResetSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=32))
    code = fields.String(required=True, validate=CODE)
    new_password = fields.String(required=True, validate=validate.Length(max=users.MAX_PASSWORD))


def _phone_in_body() -> str:
    """The number a code is asked for: counted per number as well as per address."""
    body = request.get_json(silent=True)
    phone = body.get("phone") if isinstance(body, dict) else None
    if not isinstance(phone, str):
        return get_remote_address()
    try:
        return f"phone:{users.normalise_phone(phone)}"  # however the number is written
    except Invalid:
        return get_remote_address()


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


@blp.route("/phone-codes", methods=["POST"])
@blp.doc(security=[])
@rate_limit(lambda: current_settings().code_rate_limit)
@rate_limit(lambda: current_settings().phone_code_rate_limit, key=_phone_in_body)
@blp.arguments(PhoneCodeSchema)
@blp.response(202)
def send_phone_code(body: dict) -> None:
    """Text a one-time code to the number (for sign-up, or a forgotten password); the answer is
    the same whether or not the number has an account"""
    users.send_phone_code(**body)


@blp.route("/password-reset", methods=["POST"])
@blp.doc(security=[])
@rate_limit(lambda: current_settings().code_rate_limit)
@blp.arguments(PasswordResetSchema)
@blp.response(204)
def reset_password(body: dict) -> None:
    """A new password with the code texted to the account's number; every session ends"""
    users.reset_password(**body)


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

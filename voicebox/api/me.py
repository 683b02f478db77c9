"""Who am I: the user, or for a device token the child it speaks for."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from voicebox.api.schemas import ChildSchema, DeviceSchema
from voicebox.api.security import authenticated, current_principal
from voicebox.models import User

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
    return principal.user  # type: ignore[return-value]  # a user token always has a user

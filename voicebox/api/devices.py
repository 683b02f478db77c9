"""A child's devices: pairing codes, pairing, listing and revoking."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from voicebox.api.schemas import ChildSchema, DeviceSchema, Text, Timestamp, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.extensions import current_settings, rate_limit
from voicebox.models import PairingCode
from voicebox.services.families import devices

blp = Blueprint("devices", __name__, url_prefix="/api/v1", description="Devices")

DeviceListSchema = list_of(DeviceSchema, "DeviceList")


class PairingCodeSchema(Schema):
    code = fields.String()
    expires_at = Timestamp()


class PairSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$", error="Six digits."))
    device_name = Text(60, required=True)


class PairedSchema(Schema):
    token = fields.String()
    child = fields.Nested(ChildSchema)
    device = fields.Nested(DeviceSchema)


@blp.route("/children/<id:child_id>/pairing-code", methods=["POST"])
@authenticated()
@blp.response(201, PairingCodeSchema)
def issue_pairing_code(child_id: str) -> PairingCode:
    """A six-digit, single-use code to pair the child's device; earlier codes stop working"""
    return devices.issue_pairing_code(current_principal(), child_id)


@blp.route("/devices/pair", methods=["POST"])
@blp.doc(security=[])
@rate_limit(lambda: current_settings().code_rate_limit)
@blp.arguments(PairSchema)
@blp.response(201, PairedSchema)
def pair(body: dict) -> devices.Pairing:
    """Pair a device with a code; the token it gets acts as the child"""
    return devices.pair(**body)


@blp.route("/children/<id:child_id>/devices", methods=["GET"])
@authenticated()
@blp.response(200, DeviceListSchema)
def list_devices(child_id: str) -> dict:
    """The child's paired devices"""
    return {"items": devices.list_devices(current_principal(), child_id), "next_cursor": None}


@blp.route("/children/<id:child_id>/devices/<id:device_id>", methods=["DELETE"])
@authenticated()
@blp.response(204)
def revoke_device(child_id: str, device_id: str) -> None:
    """Unpair a device; its token stops working at once"""
    devices.revoke_device(current_principal(), child_id, device_id)

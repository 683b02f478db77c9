"""Health: database, broker and storage, each up or down."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from voicebox.services import health

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health")


class CheckSchema(Schema):
    status = fields.String()


class HealthSchema(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(CheckSchema))


@blp.route("/health")
@blp.doc(security=[])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="Something is down")
def get_health() -> tuple[dict, int]:
    """Whether the database, the broker and the blob store answer"""
    checks = health.report()
    up = all(check["status"] == "up" for check in checks.values())
    return {"status": "ok" if up else "degraded", "checks": checks}, 200 if up else 503

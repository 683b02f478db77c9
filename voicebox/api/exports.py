"""A child's export: a guardian asks for everything held about the child and downloads a zip."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from voicebox.api.schemas import Timestamp, list_of
from voicebox.api.security import authenticated, current_principal
from voicebox.services.families import exports

blp = Blueprint("exports", __name__, url_prefix="/api/v1/children", description="Exports")


class ExportSchema(Schema):
    id = fields.String()
    child_id = fields.String()
    status = fields.String(metadata={"enum": ["queued", "working", "ready", "failed"]})
    progress = fields.Integer(metadata={"description": "percent of the work done"})
    bytes = fields.Integer(allow_none=True)
    created_at = Timestamp()
    finished_at = Timestamp(allow_none=True)
    expires_at = Timestamp(metadata={"description": "when the zip and this export are deleted"})
    download_url = fields.String(
        allow_none=True,
        metadata={"description": "a signed link to the zip, valid until expires_at; null until ready"},
    )


ExportListSchema = list_of(ExportSchema, "ExportList")


@blp.route("/<id:child_id>/exports", methods=["POST"])
@authenticated()
@blp.response(202, ExportSchema)
def request_export(child_id: str) -> exports.ExportView:
    """Ask for everything voicebox holds about the child, as one zip made by a worker (help
    requests are never in it); while one is being made, this answers that one"""
    return exports.request_export(current_principal(), child_id)


@blp.route("/<id:child_id>/exports", methods=["GET"])
@authenticated()
@blp.response(200, ExportListSchema)
def list_exports(child_id: str) -> dict:
    """The child's exports, newest first; each is deleted a day after it is ready"""
    return {"items": exports.list_exports(current_principal(), child_id), "next_cursor": None}


@blp.route("/<id:child_id>/exports/<id:export_id>", methods=["GET"])
@authenticated()
@blp.response(200, ExportSchema)
def get_export(child_id: str, export_id: str) -> exports.ExportView:
    """One export: its status and progress, and once ready the link to download it"""
    return exports.get_export(current_principal(), child_id, export_id)

"""The HTTP edge: one blueprint per resource, all under /api/v1."""

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import BaseConverter

from voicebox.api import (
    admin,
    auth,
    blobs,
    children,
    devices,
    exports,
    guardians,
    health,
    help_requests,
    inbox,
    library,
    me,
    messages,
    organisations,
    schedules,
    uploads,
    volunteer,
)
from voicebox.api.schemas import ProblemSchema

BLUEPRINTS = (
    auth,
    me,
    children,
    exports,
    devices,
    guardians,
    messages,
    uploads,
    inbox,
    schedules,
    library,
    organisations,
    help_requests,
    volunteer,
    admin,
    health,
    blobs,
)
BLOB_LINK_PREFIX = "/api/v1/blobs"


class VoiceboxApi(Api):
    ERROR_SCHEMA = ProblemSchema


class IdConverter(BaseConverter):
    """Ids in paths: anything else is not routed at all (404), so it never reaches a query."""

    regex = r"[A-Za-z0-9_-]{1,64}"


def register_api(app: Flask) -> Api:
    app.url_map.converters["id"] = IdConverter
    app.config.update(
        API_TITLE="voicebox",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    api = VoiceboxApi(app)
    api.register_converter(IdConverter, lambda _: {"type": "string", "pattern": f"^{IdConverter.regex}$"})
    for module in BLUEPRINTS:
        api.register_blueprint(module.blp)
    return api

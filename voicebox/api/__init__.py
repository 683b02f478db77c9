"""The HTTP edge: one blueprint per resource, all under /api/v1."""

from flask import Flask
from flask_smorest import Api

from voicebox.api import admin, auth, blobs, children, devices, guardians, health, me
from voicebox.api.schemas import ProblemSchema

BLUEPRINTS = (auth, me, children, devices, guardians, admin, health, blobs)
BLOB_LINK_PREFIX = "/api/v1/blobs"


class VoiceboxApi(Api):
    ERROR_SCHEMA = ProblemSchema


def register_api(app: Flask) -> Api:
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
    for module in BLUEPRINTS:
        api.register_blueprint(module.blp)
    return api

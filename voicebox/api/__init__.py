"""The HTTP edge: one blueprint per resource, all under /api/v1."""

import http

from flask import Flask, Response
from flask_smorest import Api
from flask_smorest.utils import prepare_response
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
    instrumentation,
    library,
    me,
    messages,
    organisations,
    schedules,
    uploads,
    volunteer,
)
from voicebox.api.schemas import ProblemSchema
from voicebox.errors import PROBLEM_JSON

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

    def _register_responses(self) -> None:
        """The error responses, as flask-smorest registers them, but typed as what every error
        answers: problem details, ``application/problem+json``."""
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


class IdConverter(BaseConverter):
    """Ids in paths: anything else is not routed at all (404), so it never reaches a query."""

    regex = r"[A-Za-z0-9_-]{1,64}"


def _untyped_without_body(response: Response) -> Response:
    """A 204 or 304 has no content type; Flask would call it text/html. (Every request passes
    here: one comparison.)"""
    if response.status_code in (204, 304):
        del response.headers["Content-Type"]
    return response


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
    instrumentation.init_app(app)
    app.after_request(_untyped_without_body)
    api = VoiceboxApi(app)
    api.register_converter(IdConverter, lambda _: {"type": "string", "pattern": f"^{IdConverter.regex}$"})
    for module in BLUEPRINTS:
        api.register_blueprint(module.blp)
    return api

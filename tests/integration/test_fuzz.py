"""Schemathesis over the published OpenAPI document: every operation, on both profiles, called
as a signed-in user of every role, as a paired device and with no token. No answer is a 5xx,
and every answer conforms to its documented status codes, content type and schema.

Generated ids name nothing, so each path id is, for about half the examples, swapped for a
real one of a small family (a child with a device, a message, a help request, an export, a
schedule, an upload), and the calls reach the code behind the 404. The examples are derandomized: CI
runs the same ones every time, and what fuzzing found is kept as ordinary tests
(``test_bad_input.py``). The live streams are left out: they answer for a minute each, and
their own tests cover them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Api
from tests.integration.recordings import deliver_directly, post_form

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 8
# A tus chunk is raw bytes under its own media type.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@pytest.fixture
def family(
    app: Flask,
    parent: Api,
    make_child: Callable[..., dict],
    pair_device: Callable[..., Api],
    helper: Callable[..., Api],
    staff: Callable[..., Api],
    register: Callable[..., Api],
) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The callers, by who they are, and the real ids to put in paths, by parameter name."""
    child = make_child()
    device = pair_device(child["id"])
    volunteer = helper()
    (message_id,) = deliver_directly(app, child["id"], parent.user["id"], 1)
    asked = post_form(device, "/help-requests", None, category="family", text="I am sad")
    schedule = parent.post(f"/children/{child['id']}/schedules", {"time": "20:00", "source": "queue"})
    export = parent.post(f"/children/{child['id']}/exports")
    upload = parent.post("/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "1000"})
    callers = {
        "parent": parent.token,
        "device": device.token,
        "volunteer": volunteer.token,
        "applicant": register("volunteer", "Applicant").token,
        "supervisor": staff("supervisor").token,
        "admin": staff("admin").token,
        "nobody": "",
    }
    ids = {
        "child_id": child["id"],
        "device_id": device.device_id,
        "user_id": volunteer.user["id"],
        "message_id": message_id,
        "request_id": asked.json["id"],
        "schedule_id": schedule.json["id"],
        "export_id": export.json["id"],
        "upload_id": upload.headers["Location"].rsplit("/", 1)[1],
    }
    yield callers, ids


# The document as published: tests/unit/test_openapi.py holds it equal to the one served.
schema = schemathesis.openapi.from_path(Path(__file__).parent.parent / "openapi.json")
schema = schema.exclude(path_regex=r"/events$")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_as_every_caller(
    case: schemathesis.Case, app: Flask, family: tuple[dict, dict]
) -> None:
    callers, ids = family
    for name, value in list((case.path_parameters or {}).items()):
        # About half the examples name something real (the choice follows the generated value,
        # so derandomized runs make the same one).
        if name in ids and len(str(value)) % 2 == 0:
            case.path_parameters[name] = ids[name]
    for who, token in callers.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        assert response.status_code < 500, f"{who}: {case.method} {case.formatted_path}"

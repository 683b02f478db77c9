"""Children over HTTP: consent is required, and a child is seen only by their guardians."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.audio import recording
from tests.conftest import Api, app_env, build_app, dispose
from tests.integration.recordings import send
from voicebox.extensions import db
from voicebox.models import Child, Consent


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_child_needs_consent_and_nothing_is_stored_without_it(parent: Api, app) -> None:
    for consent in ({}, {"guardian_consent": False}):
        response = parent.post("/children", {"display_name": "Xiaoming", "birth_year": 2018, **consent})
        assert response.status_code == 422
        assert "guardian_consent" in response.json["errors"]
    assert (
        parent.post(
            "/children", {"display_name": "X", "birth_year": 2018, "guardian_consent": "yes"}
        ).status_code
        == 422
    )
    assert count(app, Child) == 0 and count(app, Consent) == 0


def test_create_child_records_consent_and_defaults_to_beijing_time(parent: Api, app) -> None:
    response = parent.post(
        "/children", {"display_name": " Xiaoming ", "birth_year": 2018, "guardian_consent": True}
    )
    assert response.status_code == 201
    child = response.json
    assert child["display_name"] == "Xiaoming"
    assert child["timezone"] == "Asia/Shanghai"
    assert set(child) == {"id", "display_name", "birth_year", "timezone", "quiet_hours"}
    with app.app_context():
        consent = db.session.scalar(select(Consent))
        assert consent.child_id == child["id"] and consent.guardian_id == parent.user["id"]
        assert consent.policy_version == app.config["VOICEBOX_SETTINGS"].consent_policy_version
        assert consent.given_at is not None


def test_new_children_get_the_configured_quiet_hours_and_guardians_change_them(
    parent: Api, register, make_child
) -> None:
    child = make_child()
    assert child["quiet_hours"] is None  # this suite's setting: off
    changed = parent.patch(
        f"/children/{child['id']}",
        json={"quiet_hours": {"start": "21:00", "end": "06:30"}, "timezone": "Europe/London"},
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["quiet_hours"] == {"start": "21:00", "end": "06:30"}
    assert changed.json["timezone"] == "Europe/London"
    for bad in (
        {"quiet_hours": {"start": "25:00", "end": "06:30"}},
        {"quiet_hours": {"start": "21:00"}},
        {"timezone": "Mars/Olympus"},
    ):
        response = parent.patch(f"/children/{child['id']}", json=bad)
        assert response.status_code == 422, bad
    assert parent.get(f"/children/{child['id']}").json["quiet_hours"] == {"start": "21:00", "end": "06:30"}
    assert parent.patch(f"/children/{child['id']}", json={"quiet_hours": None}).json["quiet_hours"] is None
    stranger = register("parent", "Stranger")
    assert stranger.patch(f"/children/{child['id']}", json={"quiet_hours": None}).status_code == 404


def test_the_default_quiet_hours_come_from_the_setting(embedded_env: dict, tmp_path) -> None:
    app = build_app({**embedded_env, "VOICEBOX_DATA_DIR": str(tmp_path)}, VOICEBOX_QUIET_HOURS="21:30-07:00")
    try:
        client = Api(app.test_client())
        session = client.post(
            "/auth/register",
            {"phone": "+8613800000077", "password": "correct horse", "display_name": "Ma", "role": "parent"},
        ).json
        parent = Api(app.test_client(), session["token"])
        child = parent.post(
            "/children", {"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True}
        )
        assert child.json["quiet_hours"] == {"start": "21:30", "end": "07:00"}
    finally:
        dispose(app)


def test_child_fields_are_validated(parent: Api) -> None:
    base = {"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True}
    bad = [
        {"timezone": "Mars/Olympus"},
        {"timezone": "../../etc/passwd"},
        {"birth_year": 1950},
        {"birth_year": 3000},
        {"birth_year": "2018"},
        {"display_name": ""},
        {"display_name": "   "},
        {"display_name": "x" * 41},
        {"display_name": "bell\x07"},
        {"nickname": "extra fields are refused"},
    ]
    for change in bad:
        response = parent.post("/children", {**base, **change})
        assert response.status_code == 422, change
        assert response.json["errors"], change
    assert (
        parent.post("/children", {**base, "timezone": "America/New_York"}).json["timezone"]
        == "America/New_York"
    )


def test_children_are_listed_only_to_their_guardians(parent: Api, register, make_child) -> None:
    mine = make_child()
    other = register("parent", "Baba")
    theirs = make_child(other, display_name="Lili")
    assert [c["id"] for c in parent.get("/children").json["items"]] == [mine["id"]]
    assert parent.get("/children").json["next_cursor"] is None
    assert parent.get(f"/children/{mine['id']}").status_code == 200
    hidden = parent.get(f"/children/{theirs['id']}")
    missing = parent.get("/children/does-not-exist")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["detail"] == missing.json["detail"]


def test_only_parents_create_children(register) -> None:
    volunteer = register("volunteer")
    body = {"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True}
    assert volunteer.post("/children", body).status_code == 403


def test_after_the_policy_changes_a_guardian_consents_again_before_anything_else(
    app: Flask, request: pytest.FixtureRequest, parent: Api, make_child
) -> None:
    child = make_child()
    sent = send(parent, child["id"], recording("m4a"))
    assert sent.status_code == 202, sent.json
    changed = build_app(app_env(request), VOICEBOX_CONSENT_POLICY_VERSION="2027-01")
    try:
        api = Api(changed.test_client(), parent.token)
        path = f"/children/{child['id']}"
        held = api.get(path)
        assert held.status_code == 428 and "consent" in held.json["detail"]
        assert held.json["child_id"] == child["id"]  # which child to consent for
        # Every route that shows the child's data asks, the messages and both mailboxes too.
        for shows in (f"{path}/devices", f"/messages/{sent.json['id']}", "/inbox", "/outbox"):
            asked = api.get(shows)
            assert asked.status_code == 428, shows
            assert asked.json["child_id"] == child["id"], shows
        # Erasing is how consent is withdrawn: it needs none (here it stops at the name).
        assert api.post(f"{path}/erase", {"confirm": "not the name"}).status_code == 422
        assert api.post(f"{path}/consent", {"guardian_consent": False}).status_code == 422
        assert api.post(f"{path}/consent", {"guardian_consent": True}).status_code == 200
        for shows in (path, f"{path}/devices", f"/messages/{sent.json['id']}", "/inbox", "/outbox"):
            assert api.get(shows).status_code == 200, shows
        with changed.app_context():
            of_child = select(Consent.policy_version).where(Consent.child_id == child["id"])
            versions = set(db.session.scalars(of_child))
            db.session.remove()
        assert versions == {app.config["VOICEBOX_SETTINGS"].consent_policy_version, "2027-01"}
    finally:
        dispose(changed)

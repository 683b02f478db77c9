"""Children over HTTP: consent is required, and a child is seen only by their guardians."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import Api
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
    assert set(child) == {"id", "display_name", "birth_year", "timezone"}
    with app.app_context():
        consent = db.session.scalar(select(Consent))
        assert consent.child_id == child["id"] and consent.guardian_id == parent.user["id"]
        assert consent.policy_version == app.config["VOICEBOX_SETTINGS"].consent_policy_version
        assert consent.given_at is not None


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

"""A second guardian joins with a one-time invitation code, and consents too."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from tests.conftest import Api
from tests.integration.recordings import seeded_recording
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Consent, Delivery, Direction, GuardianInvite, Message, MessageStatus


def test_grandparent_joins_with_an_invitation(parent: Api, register, make_child, app) -> None:
    child = make_child()
    invite = parent.post(f"/children/{child['id']}/guardian-invites", {"relation": "grandparent"})
    assert invite.status_code == 201
    grandma = register("parent", "Nainai")
    assert grandma.get(f"/children/{child['id']}").status_code == 404
    joined = grandma.post(
        "/guardian-invites/accept", {"code": invite.json["code"].lower(), "guardian_consent": True}
    )
    assert joined.status_code == 200 and joined.json["id"] == child["id"]
    assert grandma.get(f"/children/{child['id']}").status_code == 200
    guardians = parent.get(f"/children/{child['id']}/guardians").json["items"]
    assert [(g["display_name"], g["relation"]) for g in guardians] == [
        ("Mama", "parent"),
        ("Nainai", "grandparent"),
    ]
    with app.app_context():
        assert {c.guardian_id for c in db.session.scalars(select(Consent))} == {
            parent.user["id"],
            grandma.user["id"],
        }


def test_invitation_is_single_use_and_expires(parent: Api, register, make_child, app) -> None:
    child = make_child()
    code = parent.post(f"/children/{child['id']}/guardian-invites", {}).json["code"]
    first, second = register("parent", "A"), register("parent", "B")
    assert first.post("/guardian-invites/accept", {"code": code, "guardian_consent": True}).status_code == 200
    assert (
        second.post("/guardian-invites/accept", {"code": code, "guardian_consent": True}).status_code == 410
    )
    late = parent.post(f"/children/{child['id']}/guardian-invites", {}).json["code"]
    with app.app_context():
        db.session.execute(update(GuardianInvite).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert (
        second.post("/guardian-invites/accept", {"code": late, "guardian_consent": True}).status_code == 410
    )
    assert (
        second.post("/guardian-invites/accept", {"code": "NOSUCHCODE", "guardian_consent": True}).status_code
        == 404
    )


def test_accepting_needs_consent_and_a_new_guardian(parent: Api, register, make_child) -> None:
    child = make_child()
    code = parent.post(f"/children/{child['id']}/guardian-invites", {}).json["code"]
    other = register("parent", "Baba")
    assert other.post("/guardian-invites/accept", {"code": code}).status_code == 422
    assert (
        parent.post("/guardian-invites/accept", {"code": code, "guardian_consent": True}).status_code == 409
    )
    assert other.post("/guardian-invites/accept", {"code": code, "guardian_consent": True}).status_code == 200


def test_invites_need_a_known_relation_and_a_guardian(parent: Api, register, make_child, pair_device) -> None:
    child = make_child()
    assert parent.post(f"/children/{child['id']}/guardian-invites", {"relation": "uncle"}).status_code == 422
    stranger = register("parent", "Stranger")
    device = pair_device(child["id"])
    for caller in (stranger, device):
        assert caller.post(f"/children/{child['id']}/guardian-invites", {}).status_code == 404
        assert caller.get(f"/children/{child['id']}/guardians").status_code == 404


def test_guessing_invitation_codes_is_rate_limited(parent: Api) -> None:
    statuses = [
        parent.post(
            "/guardian-invites/accept", {"code": f"GUESS{n:04d}", "guardian_consent": True}
        ).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429


def test_a_guardian_cancels_an_unused_invitation(parent: Api, register, make_child) -> None:
    child = make_child()
    path = f"/children/{child['id']}/guardian-invites"
    invite = parent.post(path, {"relation": "grandparent"}).json
    assert [(i["id"], i["relation"]) for i in parent.get(path).json["items"]] == [
        (invite["id"], "grandparent")
    ]
    assert "code" not in parent.get(path).json["items"][0]  # shown once, when made
    stranger = register("parent", "Stranger")
    assert stranger.get(path).status_code == 404
    assert stranger.delete(f"{path}/{invite['id']}").status_code == 404
    assert parent.delete(f"{path}/{invite['id']}").status_code == 204
    assert parent.get(path).json["items"] == []
    late = register("parent", "Nainai")
    accepted = late.post("/guardian-invites/accept", {"code": invite["code"], "guardian_consent": True})
    assert accepted.status_code == 404  # the code stopped working
    used = parent.post(path, {}).json
    late.post("/guardian-invites/accept", {"code": used["code"], "guardian_consent": True})
    assert parent.delete(f"{path}/{used['id']}").status_code == 409


def test_a_guardian_removes_another_but_never_the_last(app: Flask, parent: Api, register, make_child) -> None:
    child = make_child()
    papa = register("parent", "Baba")
    code = parent.post(f"/children/{child['id']}/guardian-invites", {}).json["code"]
    assert papa.post("/guardian-invites/accept", {"code": code, "guardian_consent": True}).status_code == 200
    with app.app_context():  # the child's voice, delivered to Baba's inbox
        message = Message(
            kind="message",
            child_id=child["id"],
            direction=Direction.TO_GUARDIANS,
            status=MessageStatus.DELIVERED,
            recording_id=seeded_recording(),
        )
        db.session.add(message)
        db.session.flush()
        now = utcnow()
        db.session.add(Delivery(message_id=message.id, user_id=papa.user["id"], due_at=now, delivered_at=now))
        db.session.commit()
    assert len(papa.get("/inbox").json["items"]) == 1
    guardians = f"/children/{child['id']}/guardians"
    assert register("parent", "Stranger").delete(f"{guardians}/{papa.user['id']}").status_code == 404
    assert parent.delete(f"{guardians}/{papa.user['id']}").status_code == 204
    assert papa.get(f"/children/{child['id']}").status_code == 404
    assert papa.get("/inbox").json["items"] == []  # the child's messages went with the child
    assert [g["display_name"] for g in parent.get(guardians).json["items"]] == ["Mama"]
    last = parent.delete(f"{guardians}/{parent.user['id']}")
    assert last.status_code == 409 and "at least one guardian" in last.json["detail"]

"""Pairing a child's device, and revoking it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import update

from tests.conftest import Api
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import PairingCode


def test_pairing_code_is_six_digits_for_ten_minutes(parent: Api, make_child) -> None:
    child = make_child()
    response = parent.post(f"/children/{child['id']}/pairing-code")
    assert response.status_code == 201
    assert re.fullmatch(r"[0-9]{6}", response.json["code"])
    expires = datetime.fromisoformat(response.json["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=9) < expires - utcnow() <= timedelta(minutes=10)
    assert response.json["expires_at"].endswith("Z")


def test_device_pairs_once_and_acts_as_the_child(parent: Api, anonymous: Api, make_child) -> None:
    child = make_child()
    code = parent.post(f"/children/{child['id']}/pairing-code").json["code"]
    paired = anonymous.post("/devices/pair", {"code": code, "device_name": "Grandma's phone"})
    assert paired.status_code == 201
    assert paired.json["child"] == child
    device = Api(anonymous.client, paired.json["token"])
    me = device.get("/me").json
    assert me["role"] == "child" and me["child"]["id"] == child["id"]
    reused = anonymous.post("/devices/pair", {"code": code, "device_name": "Stranger"})
    assert reused.status_code == 410
    assert reused.content_type == "application/problem+json"


def test_expired_unknown_and_malformed_codes(parent: Api, anonymous: Api, make_child, app) -> None:
    child = make_child()
    code = parent.post(f"/children/{child['id']}/pairing-code").json["code"]
    with app.app_context():
        db.session.execute(update(PairingCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert anonymous.post("/devices/pair", {"code": code, "device_name": "x"}).status_code == 410
    unknown = "000000" if code != "000000" else "000001"
    assert anonymous.post("/devices/pair", {"code": unknown, "device_name": "x"}).status_code == 404
    for bad in ("12345", "1234567", "abcdef", 123456, None):
        assert anonymous.post("/devices/pair", {"code": bad, "device_name": "x"}).status_code == 422
    assert anonymous.post("/devices/pair", {"code": "123456"}).status_code == 422


def test_a_new_code_replaces_the_old_one(parent: Api, anonymous: Api, make_child) -> None:
    child = make_child()
    first = parent.post(f"/children/{child['id']}/pairing-code").json["code"]
    second = parent.post(f"/children/{child['id']}/pairing-code").json["code"]
    if first != second:
        assert anonymous.post("/devices/pair", {"code": first, "device_name": "x"}).status_code == 404
    assert anonymous.post("/devices/pair", {"code": second, "device_name": "x"}).status_code == 201


def test_revoked_device_stops_at_once(parent: Api, make_child, pair_device) -> None:
    child = make_child()
    device = pair_device(child["id"])
    other = pair_device(child["id"], name="Tablet")
    listed = parent.get(f"/children/{child['id']}/devices").json["items"]
    assert {d["name"] for d in listed} == {"Grandma's phone", "Tablet"}
    assert parent.delete(f"/children/{child['id']}/devices/{device.device_id}").status_code == 204
    assert device.get("/me").status_code == 401
    assert other.get("/me").status_code == 200
    assert [d["id"] for d in parent.get(f"/children/{child['id']}/devices").json["items"]] == [
        other.device_id
    ]
    assert parent.delete(f"/children/{child['id']}/devices/{device.device_id}").status_code == 404


def test_device_logout_unpairs_it(parent: Api, make_child, pair_device) -> None:
    child = make_child()
    device = pair_device(child["id"])
    assert device.post("/auth/logout").status_code == 204
    assert device.get("/me").status_code == 401
    assert parent.get(f"/children/{child['id']}/devices").json["items"] == []


def test_strangers_and_devices_cannot_manage_devices(parent: Api, register, make_child, pair_device) -> None:
    child = make_child()
    device = pair_device(child["id"])
    stranger = register("parent", "Stranger")
    for caller in (stranger, device):
        assert caller.post(f"/children/{child['id']}/pairing-code").status_code == 404
        assert caller.get(f"/children/{child['id']}/devices").status_code == 404
        assert caller.delete(f"/children/{child['id']}/devices/{device.device_id}").status_code == 404
    assert device.get("/me").status_code == 200


def test_pairing_is_rate_limited(anonymous: Api) -> None:
    statuses = [
        anonymous.post("/devices/pair", {"code": f"{n:06d}", "device_name": "x"}).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429

"""Help requests through the HTTP API: asking, triage and aging, claims under a lease,
capacity, release, escalation and resolution, privacy and the audit trail."""

from __future__ import annotations

import json
import math
import time
from datetime import timedelta

import requests
from flask import Flask
from sqlalchemy import select

from tests.conftest import Api
from voicebox.extensions import db
from voicebox.models import HelpEvent
from voicebox.services.helpdesk import timers


def ask(device: Api, category: str = "lonely", urgent: bool = False, text: str = "I miss my mum") -> dict:
    response = device.post("/help-requests", {"category": category, "urgent": urgent, "text": text})
    assert response.status_code == 201, response.json
    return response.json


def sweep(app: Flask) -> dict[str, int]:
    """What the beat-driven task runs, here in the test's process (whose clock the test moves)."""
    with app.app_context():
        return timers.sweep()


def events(app: Flask, request_id: str) -> list[tuple[str, str | None, bool]]:
    with app.app_context():
        rows = db.session.scalars(
            select(HelpEvent).where(HelpEvent.request_id == request_id).order_by(HelpEvent.id)
        )
        return [(row.kind, row.user_id, row.push) for row in rows]


def test_a_child_asks_and_follows_the_thread(make_child, pair_device, parent: Api, helper) -> None:
    child = make_child(timezone="Asia/Urumqi")
    device = pair_device(child["id"])
    asked = ask(device, "school", text="Nobody talks to me at school.\nI eat alone.")
    assert asked["status"] == "queued" and asked["priority"] == 3 and asked["urgent"] is False
    assert asked["text"] == "Nobody talks to me at school.\nI eat alone."
    assert asked["replies"] == [] and asked["held_by"] is None and asked["audio"] is None
    assert asked["created_at"].endswith("Z")

    volunteer = helper("Teacher Li")
    held = volunteer.post("/help-requests/claim")
    assert held.status_code == 200, held.json
    assert held.json["id"] == asked["id"] and held.json["status"] == "held"
    assert held.json["held_by"] == {"id": volunteer.user["id"], "display_name": "Teacher Li"}
    # What a volunteer may know of the child, and nothing of the family.
    assert held.json["child"] == {
        "display_name": "Xiaoming",
        "age": held.json["child"]["age"],
        "timezone": "Asia/Urumqi",
    }
    assert 5 <= held.json["child"]["age"] <= 10
    assert parent.phone not in json.dumps(held.json) and "Mama" not in json.dumps(held.json)

    answer = volunteer.post(f"/help-requests/{asked['id']}/replies", {"text": "I am here. Tell me more?"})
    assert answer.status_code == 201 and answer.json["author"] == "helper"
    back = device.post(f"/help-requests/{asked['id']}/replies", {"text": "They laugh at my clothes."})
    assert back.status_code == 201 and back.json["author"] == "child" and back.json["helper"] is None

    thread = device.get(f"/help-requests/{asked['id']}").json
    assert [(r["author"], r["text"]) for r in thread["replies"]] == [
        ("helper", "I am here. Tell me more?"),
        ("child", "They laugh at my clothes."),
    ]
    assert thread["status"] == "held" and thread["held_by"]["display_name"] == "Teacher Li"
    mine = device.get("/help-requests").json
    assert [item["id"] for item in mine["items"]] == [asked["id"]] and mine["next_cursor"] is None


def test_bad_asks_are_refused_and_store_nothing(make_child, pair_device, parent: Api, helper) -> None:
    device = pair_device(make_child()["id"])
    assert device.post("/help-requests", {"category": "aliens", "text": "hi"}).status_code == 422
    assert device.post("/help-requests", {"category": "lonely"}).status_code == 422
    assert device.post("/help-requests", {"category": "lonely", "text": "   "}).status_code == 422
    assert (
        device.post("/help-requests", {"category": "lonely", "urgent": "yes", "text": "x"}).status_code == 422
    )
    assert device.post("/help-requests", {"category": "lonely", "text": "x" * 2001}).status_code == 422
    assert device.post("/help-requests", data="not json", content_type="text/plain").status_code == 422
    # Only a child's device asks.
    assert parent.post("/help-requests", {"category": "lonely", "text": "hi"}).status_code == 403
    assert device.get("/help-requests").json["items"] == []
    # A child with three open requests adds to one of them.
    for _ in range(3):
        ask(device)
    too_many = device.post("/help-requests", {"category": "lonely", "text": "again"})
    assert too_many.status_code == 409 and "add to one" in too_many.json["detail"]


def test_triage_puts_danger_first_then_oldest_first_within_a_priority(
    make_child, pair_device, helper
) -> None:
    device = pair_device(make_child()["id"])
    other = pair_device(make_child(display_name="Xiaohong")["id"])
    lonely = ask(device, "lonely")
    school = ask(device, "school", text="Homework is too hard")
    bullying_urgent = ask(device, "bullying", urgent=True, text="They took my bag")
    risky = ask(other, "other", text="我不想活了")
    safety = ask(other, "safety", text="A man follows me home")
    family = ask(other, "family", text="My grandpa is ill")
    # The screening is not for the child: they see the priority of what they chose.
    assert risky["priority"] == 4 and risky["risk_terms"] == []
    assert (bullying_urgent["priority"], safety["priority"], school["priority"], family["priority"]) == (
        2,
        2,
        3,
        3,
    )
    assert lonely["priority"] == 4

    volunteer = helper(capacity=10)
    order = [volunteer.post("/help-requests/claim").json["id"] for _ in range(6)]
    assert order == [
        risky["id"],
        bullying_urgent["id"],
        safety["id"],
        school["id"],
        family["id"],
        lonely["id"],
    ]
    assert volunteer.post("/help-requests/claim").status_code == 204


def test_waiting_raises_priority_so_nothing_starves(
    app: Flask, make_child, pair_device, helper, clock
) -> None:
    aging = timedelta(seconds=app.config["VOICEBOX_SETTINGS"].help_aging_seconds)
    device = pair_device(make_child()["id"])
    other = pair_device(make_child(display_name="Xiaohong")["id"])
    lonely = ask(device, "lonely")
    clock(2 * aging + timedelta(seconds=30))
    bullying = ask(other, "bullying", text="They push me")
    newer_lonely = ask(other, "lonely", text="Still lonely")
    volunteer = helper(capacity=10)
    order = [volunteer.post("/help-requests/claim").json["id"] for _ in range(3)]
    # Two aging steps past a priority-2 request's head start, the lonely child goes first.
    assert order == [lonely["id"], bullying["id"], newer_lonely["id"]]


def test_only_approved_available_helpers_under_capacity_claim(
    make_child, pair_device, parent: Api, register, helper, staff
) -> None:
    device = pair_device(make_child()["id"])
    pending = register("volunteer", "New volunteer")
    assert pending.post("/help-requests/claim").status_code == 403
    assert pending.put("/volunteer", {"available": True}).status_code == 403
    assert parent.post("/help-requests/claim").status_code == 403
    assert device.post("/help-requests/claim").status_code == 403
    assert staff("admin").post("/help-requests/claim").status_code == 403

    volunteer = helper(capacity=1)
    assert volunteer.post("/help-requests/claim").status_code == 204  # nothing waits
    first, second = ask(device), ask(device, "school", text="Exams")
    assert volunteer.post("/help-requests/claim").json["id"] == second["id"]
    at_capacity = volunteer.post("/help-requests/claim")
    assert at_capacity.status_code == 409 and "capacity" in at_capacity.json["detail"]
    assert volunteer.put("/volunteer", {"capacity": 2}).json["capacity"] == 2
    assert volunteer.post("/help-requests/claim").json["id"] == first["id"]
    assert volunteer.put("/volunteer", {"capacity": 0}).status_code == 422
    assert volunteer.put("/volunteer", {"available": "yes"}).status_code == 422

    away = volunteer.put("/volunteer", {"available": False})
    assert away.json == {"available": False, "capacity": 2, "holding": []}
    # Going away handed both back: another helper gets them, and the first cannot claim.
    assert device.get(f"/help-requests/{first['id']}").json["status"] == "queued"
    assert volunteer.post("/help-requests/claim").status_code == 409
    assert helper("Dr Wang").post("/help-requests/claim").json["id"] == second["id"]


def test_an_unanswered_claim_expires_back_to_the_queue(
    app: Flask, make_child, pair_device, helper, clock
) -> None:
    settings = app.config["VOICEBOX_SETTINGS"]
    device = pair_device(make_child()["id"])
    asked = ask(device)
    first = helper("Teacher Li")
    held = first.post("/help-requests/claim").json
    assert held["lease_expires_at"] is not None
    clock(timedelta(seconds=settings.help_lease_seconds - 5))
    assert sweep(app)["leases_expired"] == 0
    clock(timedelta(seconds=10))
    assert sweep(app)["leases_expired"] == 1
    assert sweep(app)["leases_expired"] == 0  # a second sweep changes nothing

    assert first.get(f"/help-requests/{asked['id']}").status_code == 404
    assert device.get(f"/help-requests/{asked['id']}").json["status"] == "queued"
    kinds = events(app, asked["id"])
    assert ("lease_expired", first.user["id"], True) in kinds and ("released", None, False) in kinds
    second = helper("Dr Wang")
    assert second.post("/help-requests/claim").json["id"] == asked["id"]

    # Each answer extends the lease: a helper in a conversation keeps the request.
    assert second.post(f"/help-requests/{asked['id']}/replies", {"text": "Hello"}).status_code == 201
    clock(timedelta(seconds=settings.help_lease_seconds + 5))
    assert sweep(app)["leases_expired"] == 0
    clock(timedelta(seconds=settings.help_reply_lease_seconds))
    assert sweep(app)["leases_expired"] == 1


def test_release_escalate_and_resolve(make_child, pair_device, helper, staff) -> None:
    device = pair_device(make_child()["id"])
    asked = ask(device, "family", text="Dad shouts every night")
    volunteer = helper()
    assert volunteer.post("/help-requests/claim").status_code == 200
    released = volunteer.post(f"/help-requests/{asked['id']}/release")
    assert released.status_code == 200 and released.json["status"] == "queued"
    assert volunteer.post(f"/help-requests/{asked['id']}/release").status_code == 404  # no longer theirs

    assert volunteer.post("/help-requests/claim").json["id"] == asked["id"]
    assert volunteer.post(f"/help-requests/{asked['id']}/escalate", {}).status_code == 422
    escalated = volunteer.post(f"/help-requests/{asked['id']}/escalate", {"reason": "Possible abuse at home"})
    assert escalated.status_code == 200 and escalated.json["status"] == "escalated"
    assert escalated.json["escalation_reason"] == "Possible abuse at home"
    # Escalated by a volunteer: for supervisors only; the child never sees the reason.
    assert helper("Dr Wang").post("/help-requests/claim").status_code == 204
    assert device.get(f"/help-requests/{asked['id']}").json["escalation_reason"] is None
    supervisor = helper("Supervisor Zhao", role="supervisor")
    taken = supervisor.post("/help-requests/claim")
    assert taken.json["id"] == asked["id"] and taken.json["status"] == "held"

    assert (
        volunteer.post(f"/help-requests/{asked['id']}/resolve", {"outcome": "supported"}).status_code == 404
    )
    assert supervisor.post(f"/help-requests/{asked['id']}/resolve", {"outcome": "fine"}).status_code == 422
    resolved = supervisor.post(
        f"/help-requests/{asked['id']}/resolve", {"outcome": "referred", "note": "NGO"}
    )
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"
    assert resolved.json["outcome"] == "referred" and resolved.json["resolved_at"].endswith("Z")
    assert (
        supervisor.post(f"/help-requests/{asked['id']}/resolve", {"outcome": "referred"}).status_code == 409
    )
    closed = device.post(f"/help-requests/{asked['id']}/replies", {"text": "thank you"})
    assert closed.status_code == 409 and "ask for help again" in closed.json["detail"]


def test_timers_alert_supervisors_and_escalate_long_waits(
    app: Flask, make_child, pair_device, helper, clock
) -> None:
    settings = app.config["VOICEBOX_SETTINGS"]
    device = pair_device(make_child()["id"])
    urgent = ask(device, "lonely", urgent=True, text="please someone")
    calm = ask(device, "school", text="maths")
    clock(timedelta(seconds=settings.help_urgent_alert_seconds + 1))
    assert sweep(app)["urgent_alerted"] == 1
    assert sweep(app)["urgent_alerted"] == 0
    assert ("urgent_waiting", None, True) in events(app, urgent["id"])
    assert [kind for kind, _, _ in events(app, calm["id"])] == ["new"]

    clock(timedelta(seconds=settings.help_escalate_seconds))
    assert sweep(app)["escalated"] == 2
    escalated = device.get(f"/help-requests/{calm['id']}").json
    assert escalated["status"] == "escalated" and escalated["escalated_at"] is not None
    # Escalated by the timer, it still goes to the first helper free.
    volunteer = helper()
    assert volunteer.post("/help-requests/claim").json["id"] == urgent["id"]


def test_a_child_in_danger_mid_thread_jumps_the_queue(make_child, pair_device, helper) -> None:
    device = pair_device(make_child()["id"])
    other = pair_device(make_child(display_name="Xiaohong")["id"])
    ask(other, "bullying", text="They hide my shoes")
    lonely = ask(device, "lonely")
    assert (
        device.post(f"/help-requests/{lonely['id']}/replies", {"text": "I want to hurt myself"}).status_code
        == 201
    )
    assert helper().post("/help-requests/claim").json["id"] == lonely["id"]


def test_only_the_child_the_holder_and_supervisors_see_a_request(
    make_child, pair_device, parent: Api, register, helper, staff
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    asked = ask(device, text="secret")
    path = f"/help-requests/{asked['id']}"
    holder, bystander = helper("Teacher Li"), helper("Dr Wang")
    assert holder.post("/help-requests/claim").status_code == 200
    sibling_device = pair_device(make_child(display_name="Xiaohong")["id"])
    stranger_parent = register("parent", "Other mum")
    # The guardian who paired the device, another child, another family, a volunteer not holding it.
    for outsider in (parent, sibling_device, stranger_parent, bystander):
        assert outsider.get(path).status_code == 404
        assert outsider.post(f"{path}/replies", {"text": "hi"}).status_code == 404
        assert outsider.get(f"{path}/audio").status_code == 404
        assert outsider.post(f"{path}/release").status_code == 404
    assert parent.get("/help-requests").status_code == 403
    assert bystander.get("/help-requests").json["items"] == []
    assert [item["id"] for item in holder.get("/help-requests").json["items"]] == [asked["id"]]
    assert "text" not in holder.get("/help-requests").json["items"][0]  # lists say how, never what
    assert staff("supervisor").get(path).status_code == 200
    assert staff("admin").get(path).status_code == 200
    assert holder.get(path).json["text"] == "secret"
    assert device.get(path).json["risk_terms"] == []


def test_a_request_is_seen_only_from_the_device_that_asked_it(
    make_child, pair_device, parent: Api, helper
) -> None:
    child = make_child()
    asking = pair_device(child["id"], name="Grandma's phone")
    # The person a child needs help about may be the guardian who pairs a phone of their own.
    guardians_own = pair_device(child["id"], name="Mama's phone")
    asked = ask(asking, "family", text="Papa shouts at night")
    path = f"/help-requests/{asked['id']}"
    assert guardians_own.get(path).status_code == 404
    assert guardians_own.get(f"{path}/audio").status_code == 404
    assert guardians_own.post(f"{path}/replies", {"text": "It is Mama. Tell me."}).status_code == 404
    assert guardians_own.get("/help-requests").json["items"] == []
    # Nor does asking from there tell it that the child has requests open.
    for _ in range(3):
        ask(guardians_own)
    assert [item["id"] for item in asking.get("/help-requests").json["items"]] == [asked["id"]]
    assert len(guardians_own.get("/help-requests").json["items"]) == 3
    assert asking.get(path).json["text"] == "Papa shouts at night"


def test_the_child_sees_their_helper_by_name_and_never_the_screening(make_child, pair_device, helper) -> None:
    device = pair_device(make_child()["id"])
    asked = ask(device, "school", text="I want to hurt myself")
    assert asked["priority"] == 3 and asked["risk_terms"] == []  # as a school worry, not urgent
    volunteer = helper("Teacher Li")
    held = volunteer.post("/help-requests/claim").json
    assert held["priority"] == 1 and held["risk_terms"] and held["held_by"]["id"] == volunteer.user["id"]
    volunteer.post(f"/help-requests/{asked['id']}/replies", {"text": "I am here with you."})
    thread = device.get(f"/help-requests/{asked['id']}").json
    assert thread["priority"] == 3 and thread["risk_terms"] == []
    assert thread["held_by"] == {"id": None, "display_name": "Teacher Li"}
    assert thread["replies"][0]["helper"] == {"id": None, "display_name": "Teacher Li"}
    assert device.get("/help-requests").json["items"][0]["priority"] == 3
    assert volunteer.user["id"] not in json.dumps(thread)


def test_a_bad_last_event_id_is_refused_not_a_crash(live_server: str, helper) -> None:
    volunteer = helper()
    for bad in ("²", "x", "-1"):
        response = requests.get(
            f"{live_server}/api/v1/volunteer/events",
            headers={"Authorization": f"Bearer {volunteer.token}", "Last-Event-ID": bad},
            timeout=10,
        )
        assert response.status_code == 422, (bad, response.status_code)
        assert response.headers["Content-Type"] == "application/problem+json"


def test_every_read_is_in_the_audit_log(make_child, pair_device, helper, staff) -> None:
    device = pair_device(make_child()["id"])
    asked = ask(device)
    volunteer = helper("Teacher Li")
    admin = staff("admin", "Admin Chen")
    volunteer.post("/help-requests/claim")
    volunteer.get(f"/help-requests/{asked['id']}")
    volunteer.post(f"/help-requests/{asked['id']}/replies", {"text": "Hello"})
    device.get(f"/help-requests/{asked['id']}")  # the child reading their own thread is not audited
    admin.get(f"/help-requests/{asked['id']}")

    trail = admin.get(f"/admin/audit?request_id={asked['id']}")
    assert trail.status_code == 200
    rows = [(e["actor"]["display_name"], e["actor"]["role"], e["action"]) for e in trail.json["items"]]
    assert rows == [
        ("Admin Chen", "admin", "read"),
        ("Teacher Li", "volunteer", "reply"),
        ("Teacher Li", "volunteer", "read"),
        ("Teacher Li", "volunteer", "claim"),
    ]
    assert all(e["request_id"] == asked["id"] and e["at"].endswith("Z") for e in trail.json["items"])
    first_page = admin.get(f"/admin/audit?request_id={asked['id']}&limit=3").json
    rest = admin.get(f"/admin/audit?request_id={asked['id']}&cursor={first_page['next_cursor']}").json
    assert [e["id"] for e in first_page["items"] + rest["items"]] == [e["id"] for e in trail.json["items"]]
    assert volunteer.get("/admin/audit").status_code == 403
    assert staff("supervisor").get("/admin/audit").status_code == 403


def test_supervisors_see_the_queue_health(make_child, pair_device, helper, staff, clock) -> None:
    device = pair_device(make_child()["id"])
    other = pair_device(make_child(display_name="Xiaohong")["id"])
    # Real time passes between the steps too, more on a slower machine: waits are checked
    # within the seconds this test took, never against a guess of how fast it runs.
    began = time.monotonic()
    ask(device, "lonely")
    clock(timedelta(minutes=3))
    ask(device, "other", text="我想死")
    ask(other, "school", text="exam")
    volunteer = helper(capacity=1)
    helper("Dr Wang")
    volunteer.post("/help-requests/claim")  # takes the priority-1 request
    health = staff("supervisor").get("/supervisor/queue")
    took = math.ceil(time.monotonic() - began)
    assert health.status_code == 200
    school, lonely = health.json["waiting"]
    assert (school["priority"], school["count"], lonely["priority"], lonely["count"]) == (3, 1, 4, 1)
    assert 0 <= school["oldest_wait_seconds"] <= took
    assert 180 <= lonely["oldest_wait_seconds"] <= 180 + took
    assert health.json["oldest_wait_seconds"] == lonely["oldest_wait_seconds"]
    assert health.json["held"] == 1 and health.json["escalations_open"] == 0
    assert health.json["volunteers_available"] == 2 and health.json["volunteers_with_room"] == 1
    assert volunteer.get("/supervisor/queue").status_code == 403


def test_old_queue_events_are_purged_but_unsent_pushes_wait(
    app: Flask, make_child, pair_device, helper, clock
) -> None:
    device = pair_device(make_child()["id"])
    asked = ask(device, "safety", urgent=True, text="a stranger at the gate")
    clock(timedelta(minutes=3))
    sweep(app)  # the urgent alarm: a push no worker has sent here
    clock(timers.EVENT_RETENTION)
    with app.app_context():
        assert timers.purge_events() == 1
    assert events(app, asked["id"]) == [("urgent_waiting", None, True)]


def test_an_admin_suspends_a_volunteer_at_once_and_reinstates_them(
    make_child, pair_device, helper, register, staff, anonymous: Api
) -> None:
    device = pair_device(make_child()["id"])
    asked = ask(device, "lonely")
    volunteer, other = helper("Teacher Li"), helper("Dr Wang")
    assert volunteer.post("/help-requests/claim").json["id"] == asked["id"]
    admin = staff("admin")
    suspended = admin.post(f"/admin/volunteers/{volunteer.user['id']}/suspend")
    assert suspended.status_code == 200 and suspended.json["status"] == "suspended"
    # Their token stops at once, and the child's request is back in the queue for another helper.
    assert volunteer.get("/me").status_code == 401
    assert other.post("/help-requests/claim").json["id"] == asked["id"]
    again = anonymous.post("/auth/login", {"phone": volunteer.phone, "password": "correct horse"})
    assert again.status_code == 403 and "suspended" in again.json["detail"]
    assert [v["id"] for v in admin.get("/admin/volunteers?status=suspended").json["items"]] == [
        volunteer.user["id"]
    ]
    assert admin.post(f"/admin/volunteers/{volunteer.user['id']}/approve").status_code == 409
    assert admin.post(f"/admin/volunteers/{volunteer.user['id']}/reinstate").json["status"] == "approved"
    assert (
        anonymous.post("/auth/login", {"phone": volunteer.phone, "password": "correct horse"}).status_code
        == 200
    )

    applicant = register("volunteer", "Applicant")
    assert admin.post(f"/admin/volunteers/{applicant.user['id']}/suspend").status_code == 409
    assert admin.post(f"/admin/volunteers/{applicant.user['id']}/reject").json["status"] == "rejected"
    assert applicant.put("/volunteer", {"available": True}).status_code == 403
    assert other.post(f"/admin/volunteers/{applicant.user['id']}/reinstate").status_code == 403


def test_resolved_requests_and_the_audit_trail_go_after_their_retention(
    app: Flask, make_child, pair_device, helper, staff, clock
) -> None:
    device = pair_device(make_child()["id"])
    asked = ask(device, "school", text="Nobody sits with me")
    volunteer = helper()
    volunteer.post("/help-requests/claim")
    assert (
        volunteer.post(f"/help-requests/{asked['id']}/resolve", {"outcome": "supported"}).status_code == 200
    )
    admin = staff("admin")
    assert admin.get("/admin/audit").json["items"]
    settings = app.config["VOICEBOX_SETTINGS"]
    with app.app_context():
        assert (timers.purge_records(), timers.purge_audit()) == (0, 0)
    clock(timedelta(days=max(settings.help_record_retention_days, settings.audit_retention_days), seconds=1))
    with app.app_context():
        assert timers.purge_records() == 1 and timers.purge_audit() > 0
        assert events(app, asked["id"]) == []
    assert staff("supervisor").get(f"/help-requests/{asked['id']}").status_code == 404
    assert staff("admin").get("/admin/audit").json["items"] == []  # years on: a new session

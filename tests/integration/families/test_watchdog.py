"""The no-contact watchdog: who counts as quiet, at its edges, and who is told (never the child)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask

from tests import audio
from tests.conftest import Api, Receiver
from tests.integration.recordings import send, wait_for
from voicebox.clock import utcnow
from voicebox.notify import WebhookNotifier
from voicebox.services.families import watchdog
from voicebox.services.messaging import delivery

SECRET = b"watchdog-test-secret"


def quiet_ids(supervisor: Api) -> list[str]:
    response = supervisor.get("/admin/quiet-children")
    assert response.status_code == 200, response.json
    return [item["child"]["id"] for item in response.json["items"]]


def nudge(app: Flask, receiver: str) -> list[dict]:
    """Run the watchdog here (the test moves this process's clock); what the gateway received."""
    before = len(Receiver.received)
    with app.app_context():
        watchdog.nudge(WebhookNotifier(receiver, SECRET))
    return [json.loads(body) for body, _ in Receiver.received[before:]]


def test_a_child_never_written_to_goes_quiet_after_n_days(
    app: Flask, make_child, pair_device, parent: Api, register, staff, receiver: str, clock
) -> None:
    days = app.config["VOICEBOX_SETTINGS"].quiet_days
    child = make_child(birth_year=utcnow().year - 8)
    grandma = register("parent", "Grandma")
    code = parent.post(f"/children/{child['id']}/guardian-invites", {"relation": "grandparent"}).json["code"]
    assert (
        grandma.post("/guardian-invites/accept", {"code": code, "guardian_consent": True}).status_code == 200
    )
    device = pair_device(child["id"])
    supervisor = staff("supervisor")

    clock(timedelta(days=days) - timedelta(minutes=1))
    assert quiet_ids(supervisor) == []
    assert nudge(app, receiver) == []
    clock(timedelta(minutes=2))
    listed = supervisor.get("/admin/quiet-children").json["items"]
    assert [item["child"]["id"] for item in listed] == [child["id"]]
    assert listed[0]["days_since_contact"] == days and listed[0]["last_contact_at"] is None
    assert listed[0]["child"] == {
        "id": child["id"],
        "display_name": "Xiaoming",
        "age": 8,
        "timezone": "Asia/Shanghai",
    }

    assert parent.get(f"/children/{child['id']}/nudge").status_code == 204
    told = nudge(app, receiver)
    assert sorted(event["recipient"]["user_id"] for event in told) == sorted(
        [parent.user["id"], grandma.user["id"]]
    )
    assert {event["type"] for event in told} == {"child.quiet"}
    assert told[0]["days_since_contact"] == days and told[0]["prompt"]["zh"] and told[0]["prompt"]["en"]
    assert all("child_id" not in event["recipient"] for event in told)  # never the child
    # Each guardian's nudge has an id of its own, sent as the Idempotency-Key.
    assert len({event["id"] for event in told}) == 2 and Receiver.keys[-2:] == [event["id"] for event in told]
    assert nudge(app, receiver) == []  # once per quiet spell...
    # ...which each guardian's app shows too, with the same prompt; the child's phone cannot ask.
    shown = grandma.get(f"/children/{child['id']}/nudge").json
    assert shown["days_since_contact"] == days and shown["prompt"] == told[0]["prompt"]
    assert device.get(f"/children/{child['id']}/nudge").status_code == 404
    assert register().get(f"/children/{child['id']}/nudge").status_code == 404
    clock(timedelta(days=days))
    again = nudge(app, receiver)
    assert len(again) == 2 and again[0]["prompt"] != told[0]["prompt"]  # ...then again, with another prompt
    assert {event["id"] for event in again}.isdisjoint(event["id"] for event in told)  # a nudge of its own

    # Who may see the list: supervisors and admins, never a parent or a child.
    assert staff("admin").get("/admin/quiet-children").status_code == 200
    assert parent.get("/admin/quiet-children").status_code == 403
    assert device.get("/admin/quiet-children").status_code == 403


@pytest.mark.parametrize("app", ["production"], indirect=True)
def test_contact_on_the_last_day_restarts_the_count_and_a_reply_is_not_contact(
    app: Flask, worker, make_child, pair_device, parent: Api, staff, receiver: str, clock
) -> None:
    days = app.config["VOICEBOX_SETTINGS"].quiet_days
    child = make_child()
    device = pair_device(child["id"])
    supervisor = staff("supervisor")
    # A story scheduled for the last day before the child would count as quiet.
    last_day = (utcnow() + timedelta(days=days) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    story = send(parent, child["id"], audio.recording("m4a", seconds=1), kind="story", deliver_at=last_day)
    assert wait_for(parent, story.json["id"], worker=worker)["status"] == "scheduled"
    # The child talks to their family all week: that is not contact from home.
    reply = send(device, "guardians", audio.recording("amr", seconds=1))
    assert wait_for(device, reply.json["id"], worker=worker)["status"] == "delivered"

    clock(timedelta(days=days) - timedelta(minutes=59))
    with app.app_context():
        assert delivery.dispatch_due() == 1  # what the beat tick runs, at this process's time
    clock(timedelta(minutes=2))
    assert quiet_ids(supervisor) == []
    assert nudge(app, receiver) == []
    clock(timedelta(days=days))
    listed = supervisor.get("/admin/quiet-children").json["items"]
    assert [item["child"]["id"] for item in listed] == [child["id"]]
    assert listed[0]["last_contact_at"] is not None and listed[0]["days_since_contact"] == days
    assert len(nudge(app, receiver)) == 1

    # Contact resumes: the child leaves the list at once.
    now = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")  # the worker's clock is behind this process's
    message = send(parent, child["id"], audio.recording("ogg", seconds=1), deliver_at=now)
    assert wait_for(parent, message.json["id"], worker=worker)["status"] == "scheduled"
    with app.app_context():
        assert delivery.dispatch_due() == 1
    assert quiet_ids(supervisor) == []
    assert parent.get(f"/children/{child['id']}/nudge").status_code == 204

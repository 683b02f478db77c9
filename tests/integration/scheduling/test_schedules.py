"""Recurring schedules in the child's zone: episode by episode, across DST, quiet hours,
pausing and cancelling. Time is moved on this process's clock, and the beat's two tasks
(plan, dispatch) are run here at that time; the worker transcodes and notifies for real."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from tests import audio
from tests.conftest import Api
from tests.integration.recordings import post_form, send, wait_for
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Schedule
from voicebox.services.messaging import delivery
from voicebox.services.scheduling import schedules

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)


def beat_ticks(app: Flask) -> None:
    """What the beat's planner and dispatcher tasks run, at this process's time."""
    with app.app_context():
        while schedules.plan_due() == schedules.BATCH:
            pass
        while delivery.dispatch_due() == delivery.BATCH:
            pass


def move_to(clock, when: datetime) -> None:
    clock(when - utcnow())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def relogin(api: Api, anonymous: Api) -> Api:
    """A fresh token: months on the clock outlive a user's token."""
    login = anonymous.post("/auth/login", {"phone": api.phone, "password": "correct horse"})
    assert login.status_code == 200, login.json
    fresh = Api(api.client, login.json["token"])
    fresh.user, fresh.phone = api.user, api.phone
    return fresh


def titles(device: Api) -> list[str]:
    return [item["title"] for item in device.get("/inbox").json["items"]]


def test_a_bedtime_series_brings_the_next_episode_each_evening_across_dst(
    app: Flask, worker, make_child, pair_device, parent: Api, anonymous: Api, clock
) -> None:
    child = make_child(timezone="Europe/London")
    device = pair_device(child["id"])
    series = parent.post(f"/children/{child['id']}/series", {"title": "The Moon Rabbit"})
    assert series.status_code == 201, series.json
    sent = {}
    for episode in (2, 1, 3):  # recorded out of order: the schedule follows the numbers
        response = send(
            parent,
            child["id"],
            audio.recording("m4a", seconds=1),
            kind="story",
            title=f"Episode {episode}",
            queue="true",
            series_id=series.json["id"],
            episode=episode,
            category="bedtime",
            age_min=4,
            age_max=9,
            language="zh",
        )
        assert response.status_code == 202, response.json
        sent[episode] = response.json["id"]
    for message_id in sent.values():
        ready = wait_for(parent, message_id, worker=worker)
        assert ready["status"] == "scheduled" and ready["queued"] is True
    assert ready["story"] == {
        "cover_text": None,
        "category": "bedtime",
        "language": "zh",
        "age_min": 4,
        "age_max": 9,
        "series_id": series.json["id"],
        "episode": 3,
    }
    assert titles(device) == []  # queued stories wait for the schedule

    # British Summer Time begins on Sunday 28 March 2027: 20:00 is 20:00 UTC, then 19:00 UTC.
    move_to(clock, at("2027-03-27T12:00:00Z"))
    parent = relogin(parent, anonymous)
    created = parent.post(
        f"/children/{child['id']}/schedules",
        {"time": "20:00", "source": "series", "series_id": series.json["id"]},
    )
    assert created.status_code == 201, created.json
    schedule = created.json
    assert schedule["next_run_at"] == "2027-03-27T20:00:00Z" and schedule["weekdays"] == [1, 2, 3, 4, 5, 6, 7]

    move_to(clock, at("2027-03-27T19:55:00Z"))
    beat_ticks(app)
    assert titles(device) == []
    upcoming = parent.get(f"/children/{child['id']}/upcoming").json["items"]
    planned = [item for item in upcoming if item["schedule_id"] == schedule["id"]]
    assert [(p["message"]["title"], p["due_at"]) for p in planned] == [("Episode 1", "2027-03-27T20:00:00Z")]

    move_to(clock, at("2027-03-27T20:00:01Z"))
    beat_ticks(app)
    assert titles(device) == ["Episode 1"]
    assert device.post(f"/messages/{sent[1]}/plays", {"position_ms": 0, "completed": True}).status_code == 204
    listed = parent.get(f"/children/{child['id']}/schedules").json["items"]
    assert listed[0]["next_run_at"] == "2027-03-28T19:00:00Z"  # 20:00 BST

    move_to(clock, at("2027-03-28T19:00:01Z"))
    beat_ticks(app)
    assert titles(device) == ["Episode 2", "Episode 1"]

    # Paused for a night: nothing comes; resumed, it runs at its next time from now.
    paused = parent.patch(f"/schedules/{schedule['id']}", json={"paused": True})
    assert paused.status_code == 200 and paused.json["paused"] is True
    move_to(clock, at("2027-03-29T19:00:01Z"))
    beat_ticks(app)
    assert titles(device) == ["Episode 2", "Episode 1"]
    resumed = parent.patch(f"/schedules/{schedule['id']}", json={"paused": False})
    assert resumed.json["next_run_at"] == "2027-03-30T19:00:00Z"
    move_to(clock, at("2027-03-30T19:00:01Z"))
    beat_ticks(app)
    assert titles(device) == ["Episode 3", "Episode 2", "Episode 1"]
    move_to(clock, at("2027-03-31T19:00:01Z"))
    beat_ticks(app)  # the series is told: nothing more, and nothing twice
    assert len(device.get("/inbox").json["items"]) == 3


def test_quiet_hours_hold_what_is_not_urgent_until_morning(
    app: Flask, worker, make_child, pair_device, parent: Api, clock
) -> None:
    child = make_child()  # Beijing
    device = pair_device(child["id"])
    quiet = parent.patch(f"/children/{child['id']}", json={"quiet_hours": {"start": "21:30", "end": "07:00"}})
    assert quiet.status_code == 200, quiet.json
    story = send(
        parent, child["id"], audio.recording("ogg", seconds=1), kind="story", title="Late", queue="true"
    )
    assert wait_for(parent, story.json["id"], worker=worker)["status"] == "scheduled"
    schedule = parent.post(f"/children/{child['id']}/schedules", {"time": "22:00"}).json
    run = at(schedule["next_run_at"])
    morning = run + timedelta(hours=9)  # 07:00 Beijing the next day
    assert run.astimezone(UTC).hour == 14 and morning.hour == 23

    # One-off messages at 23:00 Beijing: the plain one waits for 07:00, the urgent one does not.
    late = (run + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    plain = send(parent, child["id"], audio.recording("mp3", seconds=1), title="Plain", deliver_at=late)
    urgent = send(
        parent, child["id"], audio.recording("mp3", seconds=1), title="Urgent", deliver_at=late, urgent="true"
    )
    for response in (plain, urgent):
        assert wait_for(parent, response.json["id"], worker=worker)["status"] == "scheduled"

    move_to(clock, run - timedelta(minutes=1))
    beat_ticks(app)
    due = {
        item["message"]["title"]: item["due_at"]
        for item in parent.get(f"/children/{child['id']}/upcoming").json["items"]
    }
    stamp = morning.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert due == {"Late": stamp, "Plain": stamp, "Urgent": late}

    move_to(clock, run + timedelta(hours=1, seconds=1))
    beat_ticks(app)
    assert titles(device) == ["Urgent"]
    move_to(clock, morning + timedelta(seconds=1))
    beat_ticks(app)
    assert sorted(titles(device)) == ["Late", "Plain", "Urgent"]


def test_a_cancelled_story_stays_cancelled_and_a_moved_one_arrives_when_moved(
    app: Flask, worker, make_child, pair_device, parent: Api, register, staff, clock
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    admin = staff("admin")
    org = admin.post("/admin/organisations", {"name": "Spring Bud Readers"}).json
    curator = register("parent", "Teacher Wang")
    assert (
        admin.post(f"/admin/organisations/{org['id']}/curators", {"user_id": curator.user["id"]}).status_code
        == 200
    )
    stories = []
    for n in range(3):
        stories.append(curator_story(curator, org["id"], f"Tale {n}")["id"])
    for story_id in stories:
        assert wait_for(curator, story_id, {"ready", "failed"}, worker=worker)["status"] == "ready"
    group = curator.post(f"/organisations/{org['id']}/groups", {"name": "Class 2", "kind": "class"}).json
    box = curator.post(f"/organisations/{org['id']}/boxes", {"title": "Winter tales", "items": stories}).json
    assert curator.post(f"/boxes/{box['id']}/assignments", {"group_id": group["id"]}).status_code == 201
    assert (
        parent.post(f"/children/{child['id']}/groups", {"join_code": group["join_code"]}).status_code == 201
    )

    schedule = parent.post(
        f"/children/{child['id']}/schedules", {"time": "19:00", "source": "box", "box_id": box["id"]}
    )
    assert schedule.status_code == 201, schedule.json
    run = at(schedule.json["next_run_at"])
    move_to(clock, run - timedelta(minutes=2))
    beat_ticks(app)
    [planned] = parent.get(f"/children/{child['id']}/upcoming").json["items"]
    assert (
        planned["message"]["title"] == "Tale 0"
        and planned["message"]["sender"]["display_name"] == org["name"]
    )
    assert parent.delete(f"/messages/{planned['message']['id']}").status_code == 204
    assert parent.get(f"/messages/{planned['message']['id']}").json["status"] == "cancelled"
    assert parent.get(f"/children/{child['id']}/upcoming").json["items"] == []

    move_to(clock, run + timedelta(seconds=1))
    beat_ticks(app)
    assert titles(device) == []
    move_to(clock, run + timedelta(days=1) - timedelta(minutes=2))
    beat_ticks(app)
    [planned] = parent.get(f"/children/{child['id']}/upcoming").json["items"]
    assert planned["message"]["title"] == "Tale 1"  # the cancelled tale is not brought again
    # Moved to the morning after: it does not come tonight, and comes then.
    moved_to = (run + timedelta(days=1, hours=13)).strftime("%Y-%m-%dT%H:%M:%SZ")
    moved = parent.patch(f"/messages/{planned['message']['id']}", json={"deliver_at": moved_to})
    assert moved.status_code == 200, moved.json
    move_to(clock, run + timedelta(days=1, seconds=1))
    beat_ticks(app)
    assert titles(device) == []
    move_to(clock, at(moved_to) + timedelta(seconds=1))
    beat_ticks(app)
    assert titles(device) == ["Tale 1"]
    # What arrived can no longer be moved.
    assert (
        parent.patch(f"/messages/{planned['message']['id']}", json={"deliver_at": moved_to}).status_code
        == 409
    )
    # The child may still take the cancelled tale from the library themselves.
    revived = device.post(f"/library/stories/{stories[0]}/take")
    assert revived.status_code == 201 and revived.json["status"] == "delivered"
    assert titles(device) == ["Tale 0", "Tale 1"]
    # Taken back from the group: the box is no longer the child's, and its schedule brings
    # nothing more (Tale 2 would have come next).
    [given] = curator.get(f"/boxes/{box['id']}/assignments").json["items"]
    assert curator.delete(f"/boxes/{box['id']}/assignments/{given['id']}").status_code == 204
    assert device.get("/library/boxes").json["items"] == []
    move_to(clock, run + timedelta(days=2, seconds=1))
    beat_ticks(app)
    assert titles(device) == ["Tale 0", "Tale 1"]


def curator_story(curator: Api, org_id: str, title: str, **fields) -> dict:
    response = post_form(
        curator, f"/organisations/{org_id}/stories", audio.recording("wav", seconds=1), title=title, **fields
    )
    assert response.status_code == 202, response.json
    return response.json


def test_the_real_beat_plans_and_delivers_a_schedule_when_its_evening_comes(
    app: Flask, worker, beat, make_child, pair_device, parent: Api
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    story = send(
        parent, child["id"], audio.recording("m4a", seconds=1), kind="story", title="Tonight", queue="true"
    )
    assert wait_for(parent, story.json["id"], worker=worker)["status"] == "scheduled"
    schedule = parent.post(f"/children/{child['id']}/schedules", {"time": "20:00"}).json
    # The evening comes: the row says the run is due now (the worker's clock is the real one).
    with app.app_context():
        db.session.execute(update(Schedule).where(Schedule.id == schedule["id"]).values(next_run_at=utcnow()))
        db.session.commit()
    deadline = time.monotonic() + 40
    while titles(device) != ["Tonight"]:
        assert worker.poll() is None and beat.poll() is None, "the worker or beat died"
        assert time.monotonic() < deadline, "the beat did not deliver the scheduled story"
        time.sleep(0.5)
    after = parent.get(f"/children/{child['id']}/schedules").json["items"][0]
    assert at(after["next_run_at"]) > utcnow() and after["last_run_at"] is not None

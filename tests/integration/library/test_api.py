"""Stories, series, the organisation library, story boxes and groups, over HTTP: who may do
what, what a child's library lists, and bad input answered with a 4xx that changes nothing.
Transcodes run here, through the same service the media worker runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from tests import audio
from tests.conftest import Api
from tests.integration.recordings import post_form, recording_of, send
from voicebox.errors import Conflict
from voicebox.extensions import db
from voicebox.models import Message, Story
from voicebox.services.messaging import story_details
from voicebox.services.recordings import processing


def transcode(app: Flask, message_id: str) -> None:
    recording_id = recording_of(app, message_id).id
    with app.app_context():
        processing.transcode(recording_id)


def library_story(app: Flask, curator: Api, org_id: str, title: str, **fields: Any) -> str:
    response = post_form(
        curator, f"/organisations/{org_id}/stories", audio.recording("m4a", seconds=1), title=title, **fields
    )
    assert response.status_code == 202, response.json
    transcode(app, response.json["id"])
    assert curator.get(f"/messages/{response.json['id']}").json["status"] == "ready"
    return response.json["id"]


def organisation(staff, register, name: str = "Spring Bud Readers") -> tuple[dict, Api]:
    admin = staff("admin")
    org = admin.post("/admin/organisations", {"name": name})
    assert org.status_code == 201, org.json
    curator = register("parent", "Teacher Wang")
    granted = admin.post(f"/admin/organisations/{org.json['id']}/curators", {"user_id": curator.user["id"]})
    assert granted.status_code == 200, granted.json
    return org.json, curator


def test_only_admins_make_organisations_and_curators(
    staff, register, parent: Api, make_child, pair_device
) -> None:
    assert parent.post("/admin/organisations", {"name": "Mine"}).status_code == 403
    # A child's device is no curator (this was a 500).
    assert pair_device(make_child()["id"]).get("/organisations").status_code == 403
    org, curator = organisation(staff, register)
    admin = staff("admin")
    assert admin.post("/admin/organisations", {"name": org["name"]}).status_code == 409
    other = admin.post("/admin/organisations", {"name": "Another"}).json
    assert [o["id"] for o in curator.get("/organisations").json["items"]] == [org["id"]]
    assert {o["id"] for o in admin.get("/organisations").json["items"]} == {org["id"], other["id"]}
    # Not their organisation: it does not exist for them.
    assert parent.post(f"/organisations/{org['id']}/groups", {"name": "Class 1"}).status_code == 404
    assert curator.post(f"/organisations/{other['id']}/groups", {"name": "Class 1"}).status_code == 404
    assert (
        curator.post(f"/admin/organisations/{org['id']}/curators", {"user_id": parent.user["id"]}).status_code
        == 403
    )
    assert admin.delete(f"/admin/organisations/{org['id']}/curators/{curator.user['id']}").status_code == 204
    assert curator.post(f"/organisations/{org['id']}/groups", {"name": "Class 1"}).status_code == 404


def test_a_story_describes_itself_and_bad_descriptions_are_refused(
    app: Flask, make_child, pair_device, parent: Api, register
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    series = parent.post(f"/children/{child['id']}/series", {"title": "Grandpa's village"}).json
    other_family = make_child(register("parent", "Other"))
    recording = audio.recording("ogg", seconds=1)
    bad = [
        {"kind": "message", "category": "bedtime"},
        {"kind": "story", "age_min": 9, "age_max": 4},
        {"kind": "story", "age_min": 30},
        {"kind": "story", "episode": 1},
        {"kind": "story", "series_id": series["id"]},
        {"kind": "story", "category": "horror"},
        {"kind": "story", "language": "Chinese!"},
        {"kind": "story", "queue": "true", "deliver_at": "2030-01-01T20:00:00Z"},
        {"kind": "message", "queue": "true"},
    ]
    for fields in bad:
        response = send(parent, child["id"], recording, **fields)
        assert response.status_code == 422, (fields, response.json)
    assert send(device, "guardians", recording, kind="story", queue="true").status_code == 422
    assert send(parent, other_family["id"], recording, kind="story").status_code == 404
    first = send(
        parent,
        child["id"],
        recording,
        kind="story",
        title="One",
        series_id=series["id"],
        episode=1,
        cover_text="A river\nand a boat",
    )
    assert first.status_code == 202, first.json
    assert first.json["story"]["cover_text"] == "A river\nand a boat" and first.json["story"]["episode"] == 1
    again = send(parent, child["id"], recording, kind="story", series_id=series["id"], episode=1)
    assert again.status_code == 409
    with app.app_context():
        assert db.session.query(Message).count() == 1  # nothing refused was kept
    shown = parent.get(f"/series/{series['id']}")
    assert shown.status_code == 200 and [e["id"] for e in shown.json["episodes"]] == []  # still processing
    transcode(app, first.json["id"])
    assert [e["id"] for e in parent.get(f"/series/{series['id']}").json["episodes"]] == [first.json["id"]]
    assert register("parent", "Nosy").get(f"/series/{series['id']}").status_code == 404


def test_boxes_reach_children_through_their_groups_and_the_library_filters(
    app: Flask, make_child, pair_device, parent: Api, register, staff
) -> None:
    org, curator = organisation(staff, register)
    other_org, other_curator = organisation(staff, register, "Far Away Club")
    cat = library_story(app, curator, org["id"], "The Cat", category="fairy_tale", age_min=3, age_max=6)
    stars = library_story(app, curator, org["id"], "The Stars", category="science", age_min=8, age_max=12)
    theirs = library_story(app, other_curator, other_org["id"], "Not ours")
    child = make_child()
    device = pair_device(child["id"])
    family = send(
        parent,
        child["id"],
        audio.recording("mp3", seconds=1),
        kind="story",
        title="From Mama",
        category="family",
    )
    transcode(app, family.json["id"])

    boxes = f"/organisations/{org['id']}/boxes"
    assert curator.post(boxes, {"title": "Mixed", "items": [cat, theirs]}).status_code == 422
    assert curator.post(boxes, {"title": "Twice", "items": [cat, cat]}).status_code == 422
    box = curator.post(boxes, {"title": "Winter", "items": [stars, cat]})
    assert box.status_code == 201, box.json
    assert [item["id"] for item in box.json["items"]] == [stars, cat]
    group = curator.post(f"/organisations/{org['id']}/groups", {"name": "Class 2", "kind": "class"}).json
    assert len(group["join_code"]) == 8
    assign = f"/boxes/{box.json['id']}/assignments"
    assert curator.post(assign, {"child_id": child["id"]}).status_code == 404  # not in any of its groups
    assert curator.post(assign, {}).status_code == 422
    assert other_curator.post(assign, {"group_id": group["id"]}).status_code == 404
    assert curator.post(assign, {"group_id": group["id"]}).status_code == 201
    assert curator.post(assign, {"group_id": group["id"]}).status_code == 409

    # Before the child joins: only the family's story.
    assert [s["title"] for s in device.get("/library").json["items"]] == ["From Mama"]
    assert device.post(f"/library/stories/{cat}/take").status_code == 404
    assert parent.post(f"/children/{child['id']}/groups", {"join_code": "NOPE2345"}).status_code == 422
    joined = parent.post(f"/children/{child['id']}/groups", {"join_code": group["join_code"].lower()})
    assert joined.status_code == 201 and "join_code" not in joined.json

    listed = device.get("/library").json["items"]
    assert {s["title"]: s["source"] for s in listed} == {
        "From Mama": "family",
        "The Cat": "library",
        "The Stars": "library",
    }
    assert [s["title"] for s in device.get("/library?category=science").json["items"]] == ["The Stars"]
    assert {s["title"] for s in device.get("/library?age=5").json["items"]} == {"The Cat", "From Mama"}
    assert device.get("/library?category=horror").status_code == 422
    # A story without an age range suits every age.
    assert {s["title"] for s in parent.get(f"/children/{child['id']}/library?age=10").json["items"]} == {
        "The Stars",
        "From Mama",
    }
    assert [b["title"] for b in device.get("/library/boxes").json["items"]] == ["Winter"]
    assert parent.get("/library").status_code == 404

    taken = device.post(f"/library/stories/{cat}/take")
    assert taken.status_code == 201, taken.json
    assert taken.json["status"] == "delivered" and taken.json["sender"]["display_name"] == org["name"]
    assert device.post(f"/library/stories/{cat}/take").json["id"] == taken.json["id"]  # one copy
    assert curator.get("/outbox").json["items"] == []  # a curator never sees who heard a story
    assert [m["title"] for m in device.get("/inbox").json["items"]] == ["The Cat", "From Mama"]
    item = next(s for s in device.get("/library").json["items"] if s["id"] == cat)
    assert item["message_id"] == taken.json["id"] and item["played"] is False
    assert (
        device.post(f"/messages/{taken.json['id']}/plays", {"position_ms": 0, "completed": True}).status_code
        == 204
    )
    assert next(s for s in device.get("/library").json["items"] if s["id"] == cat)["played"] is True
    # The copy shares the story's audio; deleting it (a guardian) leaves the library's intact.
    assert parent.delete(f"/messages/{taken.json['id']}").status_code == 204
    assert curator.get(f"/messages/{cat}/audio?format=opus_low").status_code in (200, 302)
    # The child's device and guardians never see the library's own row.
    assert (
        device.get(f"/messages/{cat}").status_code == 404
        and parent.get(f"/messages/{cat}").status_code == 404
    )
    assert parent.delete(f"/messages/{stars}").status_code == 404
    # A curator withdraws a story: the copies the children took go with it.
    again = device.post(f"/library/stories/{stars}/take").json
    assert curator.delete(f"/messages/{stars}").status_code == 204
    assert device.get(f"/messages/{again['id']}").status_code == 404
    assert {s["title"] for s in device.get("/library").json["items"]} == {"From Mama", "The Cat"}


def test_an_organisations_series_lists_its_ready_episodes_in_order(
    app: Flask, staff, register, parent: Api
) -> None:
    org, curator = organisation(staff, register)
    series = curator.post(f"/organisations/{org['id']}/series", {"title": "Rivers"})
    assert series.status_code == 201, series.json
    second = library_story(app, curator, org["id"], "Two", series_id=series.json["id"], episode=2)
    first = library_story(app, curator, org["id"], "One", series_id=series.json["id"], episode=1)
    waiting = post_form(
        curator, f"/organisations/{org['id']}/stories", audio.recording("m4a", seconds=1), title="Three",
        series_id=series.json["id"], episode=3,
    )  # fmt: skip
    assert waiting.status_code == 202, waiting.json
    shown = curator.get(f"/series/{series.json['id']}").json
    assert [e["id"] for e in shown["episodes"]] == [first, second]  # the third is still processing
    assert [
        (e["story"]["episode"], e["status"], e["recipient"]["display_name"]) for e in shown["episodes"]
    ] == [
        (1, "ready", org["name"]),
        (2, "ready", org["name"]),
    ]
    assert parent.get(f"/series/{series.json['id']}").status_code == 404  # no box of it reached them


def test_curators_see_the_quiet_children_of_their_groups_only(
    app: Flask, make_child, parent: Api, register, staff, clock
) -> None:
    org, curator = organisation(staff, register)
    group = curator.post(f"/organisations/{org['id']}/groups", {"name": "Village 3", "kind": "village"}).json
    ours, not_ours = make_child(), make_child(display_name="Lili")
    assert parent.post(f"/children/{ours['id']}/groups", {"join_code": group["join_code"]}).status_code == 201
    clock(timedelta(days=app.config["VOICEBOX_SETTINGS"].quiet_days, minutes=1))
    assert [c["child"]["id"] for c in curator.get("/admin/quiet-children").json["items"]] == [ours["id"]]
    assert {c["child"]["id"] for c in staff("supervisor").get("/admin/quiet-children").json["items"]} == {
        ours["id"],
        not_ours["id"],
    }
    assert parent.get("/admin/quiet-children").status_code == 403


def test_schedules_refuse_bad_input_and_strangers(make_child, parent: Api, register, staff) -> None:
    child = make_child()
    path = f"/children/{child['id']}/schedules"
    other = make_child(register("parent", "Other"))
    for bad in (
        {"time": "25:00"},
        {"time": "20:00", "weekdays": [0]},
        {"time": "20:00", "weekdays": []},
        {"time": "20:00", "source": "box"},
        {"time": "20:00", "source": "series", "series_id": "nope"},
        {"time": "20:00", "source": "radio"},
        {"time": "8pm"},
    ):
        assert parent.post(path, bad).status_code == 422, bad
    assert parent.post(path, {"time": "20:00", "source": "box", "box_id": "x" * 32}).status_code == 404
    assert register("parent", "Stranger").post(path, {"time": "20:00"}).status_code == 404
    assert parent.post(f"/children/{other['id']}/schedules", {"time": "20:00"}).status_code == 404
    made = parent.post(path, {"time": "07:30", "weekdays": [6, 7, 6]})
    assert made.status_code == 201 and made.json["weekdays"] == [6, 7] and made.json["time"] == "07:30"
    next_run = datetime.fromisoformat(made.json["next_run_at"].replace("Z", "+00:00"))
    local = next_run.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (
        next_run > datetime.now(UTC)
        and local.isoweekday() in (6, 7)
        and (local.hour, local.minute) == (7, 30)
    )
    assert (
        register("parent", "Nosy").patch(f"/schedules/{made.json['id']}", json={"paused": True}).status_code
        == 404
    )
    assert parent.patch(f"/schedules/{made.json['id']}", json={"paused": "yes"}).status_code == 422
    for _ in range(9):
        assert parent.post(path, {"time": "20:00"}).status_code == 201
    assert parent.post(path, {"time": "20:00"}).status_code == 409
    assert parent.delete(f"/schedules/{made.json['id']}").status_code == 204
    assert len(parent.get(path).json["items"]) == 9
    # The family moves the child's zone: every schedule runs at 20:00 on the new wall clock.
    assert parent.patch(f"/children/{child['id']}", json={"timezone": "Europe/London"}).status_code == 200
    for schedule in parent.get(path).json["items"]:
        runs = datetime.fromisoformat(schedule["next_run_at"].replace("Z", "+00:00"))
        assert runs.astimezone(ZoneInfo("Europe/London")).hour == 20


def test_guessing_group_join_codes_is_rate_limited(parent: Api, make_child) -> None:
    child = make_child()
    statuses = [
        parent.post(f"/children/{child['id']}/groups", {"join_code": f"GUESS{n:03d}"}).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429


def test_an_episode_two_senders_race_for_is_refused_by_the_series(
    app: Flask, parent: Api, make_child
) -> None:
    # Both senders passed the use case's check before either was stored; the series' constraint
    # refuses the second with a 409, and the first stays.
    child = make_child()
    series = parent.post(f"/children/{child['id']}/series", {"title": "The Moon Rabbit"}).json
    details = story_details.StoryDetails(series_id=series["id"], episode=1)
    with app.app_context():
        first = story_details.new_story(details)
        with pytest.raises(Conflict, match="Episode 1"):
            story_details.new_story(details)
        db.session.commit()
        assert db.session.scalars(select(Story.id).where(Story.series_id == series["id"])).all() == [first.id]
        db.session.remove()

"""A child's export: a real worker writes the zip; it is opened, checked against the database,
its audio decoded; it goes with the child when the child is erased, and a day after it is made."""

from __future__ import annotations

import io
import json
import subprocess
import time
import zipfile
from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from flask import Flask

from tests import audio
from tests.conftest import Api
from tests.integration.families.test_erasure import stored_keys
from tests.integration.recordings import post_form, send, wait_for
from voicebox.extensions import db
from voicebox.models import Export
from voicebox.services.families import export_job, exports


def wait_ready(api: Api, child_id: str, export_id: str, worker: subprocess.Popen) -> tuple[dict, list[int]]:
    """Poll the export as a guardian's page would; the finished export and the progress seen."""
    seen = []
    deadline = time.monotonic() + 90
    while True:
        export = api.get(f"/children/{child_id}/exports/{export_id}").json
        seen.append(export["progress"])
        if export["status"] in ("ready", "failed"):
            return export, seen
        assert worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, f"export stuck {export['status']} at {export['progress']}%"
        time.sleep(0.1)


def download(api: Api, url: str) -> bytes:
    """Follow the signed link with no token, as a browser's download would."""
    if url.startswith("http"):
        response = requests.get(url, timeout=10)
        assert response.status_code == 200
        return response.content
    response = api.client.get(url)
    assert response.status_code == 200
    return response.get_data()


def export_row(app: Flask, export_id: str) -> Export | None:
    with app.app_context():
        row = db.session.get(Export, export_id)
        db.session.remove()
        return row


def test_a_guardian_exports_everything_about_a_child(
    app: Flask,
    parent: Api,
    anonymous: Api,
    make_child: Callable[..., dict],
    pair_device: Callable[..., Api],
    register: Callable[..., Api],
    worker: subprocess.Popen,
) -> None:
    child = make_child(display_name="小明")
    device = pair_device(child["id"])
    papa = register("parent", "Baba")
    code = parent.post(f"/children/{child['id']}/guardian-invites", {}).json["code"]
    assert papa.post("/guardian-invites/accept", {"code": code, "guardian_consent": True}).status_code == 200
    parent.post(f"/children/{child['id']}/schedules", {"time": "20:00", "source": "queue"})
    to_child = send(parent, child["id"], audio.recording("m4a", seconds=2), title="Good night", urgent="true")
    from_child = send(device, "guardians", audio.recording("amr", seconds=1))
    for sent in (to_child, from_child):
        assert sent.status_code == 202, sent.json
        wait_for(parent, sent.json["id"], {"delivered"}, worker=worker)
    played = device.post(f"/messages/{to_child.json['id']}/plays", {"position_ms": 2000, "completed": True})
    assert played.status_code == 204
    asked = post_form(device, "/help-requests", None, category="family", text="Papa shouts at me")
    assert asked.status_code == 201

    # Nobody but a guardian may ask, or look.
    assert device.post(f"/children/{child['id']}/exports").status_code == 404
    assert register("parent", "Stranger").post(f"/children/{child['id']}/exports").status_code == 404
    asked_export = parent.post(f"/children/{child['id']}/exports")
    assert asked_export.status_code == 202, asked_export.json
    assert asked_export.json["status"] == "queued" and asked_export.json["download_url"] is None
    # Asking again while it is being made answers the same export.
    assert parent.post(f"/children/{child['id']}/exports").json["id"] == asked_export.json["id"]
    export, progress = wait_ready(parent, child["id"], asked_export.json["id"], worker)
    assert export["status"] == "ready", export
    assert progress == sorted(progress) and export["progress"] == 100
    assert [e["id"] for e in papa.get(f"/children/{child['id']}/exports").json["items"]] == [export["id"]]

    data = download(anonymous, export["download_url"])
    assert len(data) == export["bytes"]
    archive = zipfile.ZipFile(io.BytesIO(data))
    about = json.loads(archive.read("child.json"))
    assert about["child"]["id"] == child["id"] and about["child"]["display_name"] == "小明"
    assert sorted(g["display_name"] for g in about["guardians"]) == ["Baba", "Mama"]
    assert sorted(c["guardian"] for c in about["consents"]) == ["Baba", "Mama"]
    assert [d["id"] for d in about["devices"]] == [device.device_id]
    assert [(s["time"], s["source"]) for s in about["schedules"]] == [("20:00", "queue")]
    messages = {m["id"]: m for m in json.loads(archive.read("messages.json"))["messages"]}
    assert set(messages) == {to_child.json["id"], from_child.json["id"]}
    mine = messages[to_child.json["id"]]
    assert mine["from"]["guardian"] == "Mama" and mine["title"] == "Good night"
    child_copy = next(d for d in mine["deliveries"] if d["to"] == "child")
    assert child_copy["played_at"] is not None and child_copy["position_ms"] == 2000
    theirs = messages[from_child.json["id"]]
    assert theirs["from"] == {"child": True, "device": "Grandma's phone"}
    assert sorted(d["to"] for d in theirs["deliveries"]) == ["Baba", "Mama"]
    for message in messages.values():
        shown = parent.get(f"/messages/{message['id']}").json
        assert message["duration_ms"] == shown["duration_ms"]
        codec, seconds = audio.heard(archive.read(message["audio"]))
        assert codec == "opus" and abs(seconds - shown["duration_ms"] / 1000) < 0.1
    # The help request is the child's alone.
    assert "Papa shouts" not in data.decode("utf-8", "replace")
    assert asked.json["id"] not in data.decode("utf-8", "replace")

    # Erasing the child takes the zip with everything else.
    key = next(k for k in stored_keys(app) if k.startswith(f"exports/{export['id']}/"))
    erased = parent.post(f"/children/{child['id']}/erase", {"confirm": "小明"})
    assert erased.status_code == 202
    # The erasure deletes the rows, then, once that commits, the blobs.
    deadline = time.monotonic() + 60
    while export_row(app, export["id"]) is not None or key in stored_keys(app):
        assert worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, "the export outlived the child"
        time.sleep(0.2)


def test_an_export_is_deleted_a_day_after_it_is_made(
    app: Flask, parent: Api, make_child: Callable[..., dict], clock: Callable[[timedelta], None]
) -> None:
    child = make_child()
    export_id = parent.post(f"/children/{child['id']}/exports").json["id"]
    with app.app_context():
        assert export_job.make(export_id) == "ready"
        assert export_job.make(export_id) == "skipped"  # a second run of the task changes nothing
        key = db.session.get_one(Export, export_id).blob_key
        db.session.remove()
    assert key in stored_keys(app)
    ready = parent.get(f"/children/{child['id']}/exports/{export_id}").json
    archive = zipfile.ZipFile(io.BytesIO(download(parent, ready["download_url"])))
    assert json.loads(archive.read("messages.json")) == {"messages": []}

    clock(timedelta(hours=23))
    with app.app_context():
        assert export_job.sweep()["expired"] == 0
    clock(timedelta(hours=1, seconds=1))
    with app.app_context():
        assert export_job.sweep()["expired"] == 1
    assert key not in stored_keys(app)
    assert parent.get(f"/children/{child['id']}/exports/{export_id}").status_code == 404


def test_a_guardian_keeps_a_few_exports_at_a_time(
    app: Flask, parent: Api, make_child: Callable[..., dict]
) -> None:
    child = make_child()
    for _ in range(exports.MAX_KEPT):
        export_id = parent.post(f"/children/{child['id']}/exports").json["id"]
        with app.app_context():
            export_job.make(export_id)
    refused = parent.post(f"/children/{child['id']}/exports")
    assert refused.status_code == 409 and "a day" in refused.json["detail"]


@pytest.mark.parametrize("attempts", [0, export_job.MAX_ATTEMPTS])
def test_a_lost_export_is_enqueued_again_or_failed(
    app: Flask,
    parent: Api,
    make_child: Callable[..., dict],
    clock: Callable[[timedelta], None],
    attempts: int,
) -> None:
    child = make_child()
    export_id = parent.post(f"/children/{child['id']}/exports").json["id"]
    with app.app_context():
        export = db.session.get_one(Export, export_id)
        export.status, export.attempts = "working", attempts
        db.session.commit()
        db.session.remove()
    clock(export_job.LEASE + timedelta(seconds=1))
    with app.app_context():
        assert export_job.sweep()["requeued"] == 1
        assert export_job.make(export_id) == ("ready" if attempts == 0 else "skipped")
        db.session.remove()
    shown = parent.get(f"/children/{child['id']}/exports/{export_id}").json
    assert shown["status"] == ("ready" if attempts == 0 else "failed")

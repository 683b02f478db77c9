"""Erasing a child: every row and every blob about them, in both stores, by a real worker;
their help request stays, de-identified."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from tests import audio
from tests.conftest import Api
from tests.integration.recordings import post_form, send, wait_for
from voicebox.extensions import current_blob_store, db
from voicebox.models import Child
from voicebox.services.families import erasure


def stored_keys(app: Flask) -> set[str]:
    """Every object in the app's store: the S3 bucket over HTTP, or the local folder."""
    with app.app_context():
        store = current_blob_store()
    if hasattr(store, "client"):
        pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}
    root = Path(store.root)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def rows_naming(app: Flask, *ids: str) -> list[str]:
    """Every table's rows that name any of ``ids`` in any column."""
    found = []
    with app.app_context(), db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                if any(str(value) in ids for value in row):
                    found.append(f"{table.name}: {tuple(row)}")
    return found


def test_erasing_a_child_leaves_no_row_and_no_blob_of_theirs(
    app: Flask, parent: Api, make_child, pair_device, helper, staff, worker: subprocess.Popen
) -> None:
    before = stored_keys(app)
    child = make_child()
    device = pair_device(child["id"])
    recorded = audio.recording("m4a", seconds=1)
    story = send(parent, child["id"], recorded, kind="story", cover_text="A river").json
    wait_for(parent, story["id"], worker=worker)
    parent.post(f"/children/{child['id']}/schedules", {"time": "20:00", "source": "queue"})
    parent.post(f"/children/{child['id']}/guardian-invites", {})
    # An upload cut off half-way, and a help request with its recording.
    started = device.post(
        "/uploads",
        data=b"half a recording",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "1000",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert started.status_code == 201
    asked = post_form(device, "/help-requests", audio.recording("amr", seconds=1), category="family")
    assert asked.status_code == 201
    theirs = stored_keys(app) - before
    assert len(theirs) >= 5  # the story's original and renditions, the chunk, the help recording

    wrong = parent.post(f"/children/{child['id']}/erase", {"confirm": "Somebody else"})
    assert wrong.status_code == 422
    erased = parent.post(f"/children/{child['id']}/erase", {"confirm": child["display_name"]})
    assert erased.status_code == 202
    # At once: nobody reaches the child, and the phone stops.
    assert parent.get(f"/children/{child['id']}").status_code == 404
    assert parent.get("/children").json["items"] == []
    assert device.get("/me").status_code == 401

    # The rows go in one transaction; the blobs once it has committed.
    deadline = time.monotonic() + 60
    while True:
        with app.app_context():
            gone = db.session.get(Child, child["id"]) is None
            db.session.remove()
        if gone and not theirs & stored_keys(app):
            break
        assert worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, "the worker did not erase the child and their blobs"
        time.sleep(0.2)
    assert rows_naming(app, child["id"], device.device_id) == []
    # The help request stays for the safeguarding retention, tied to nobody, without audio.
    kept = staff("supervisor").get(f"/help-requests/{asked.json['id']}").json
    assert kept["child"] is None and kept["audio"] is None and kept["category"] == "family"


def test_a_parent_deletes_their_account_naming_the_children_erased_with_it(
    app: Flask, parent: Api, register, make_child, anonymous: Api
) -> None:
    only_mine = make_child(display_name="Xiaoming")
    shared = make_child(display_name="Xiaohong")
    papa = register("parent", "Baba")
    code = parent.post(f"/children/{shared['id']}/guardian-invites", {}).json["code"]
    papa.post("/guardian-invites/accept", {"code": code, "guardian_consent": True})

    wrong = parent.post("/me/delete", {"password": "not my password"})
    assert wrong.status_code == 422
    unnamed = parent.post("/me/delete", {"password": "correct horse"})
    assert unnamed.status_code == 409 and unnamed.json["errors"]["erase_children"] == ["Xiaoming"]
    done = parent.post("/me/delete", {"password": "correct horse", "erase_children": ["Xiaoming"]})
    assert done.status_code == 204
    assert parent.get("/me").status_code == 401
    assert (
        anonymous.post("/auth/login", {"phone": parent.phone, "password": "correct horse"}).status_code == 401
    )
    # The child another guardian looks after stays theirs; the one only Mama looked after goes.
    assert [c["id"] for c in papa.get("/children").json["items"]] == [shared["id"]]
    with app.app_context():
        erasure.erase_due()
        assert db.session.get(Child, only_mine["id"]) is None
        db.session.remove()
    assert rows_naming(app, parent.user["id"], only_mine["id"]) == []

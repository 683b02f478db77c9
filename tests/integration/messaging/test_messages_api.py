"""Sending, scheduling, reading, playing back and deleting messages, and who may do each."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import requests
from flask import Flask
from sqlalchemy import select, update

from tests import audio
from tests.conftest import Api
from tests.integration.recordings import fetch_audio, recording_of, send, wait_for
from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Delivery, Message


def stored(app: Flask, keys: list[str]) -> list[bool]:
    store = app.extensions["voicebox.blob_store"]
    return [store.exists(key) for key in keys]


def test_idempotency_key_never_makes_a_second_message(parent: Api, make_child) -> None:
    child = make_child()
    recording = audio.recording("amr", seconds=1)
    first = send(parent, child["id"], recording, headers={"Idempotency-Key": "send-42"})
    again = send(parent, child["id"], recording, headers={"Idempotency-Key": "send-42"})
    other = send(parent, child["id"], recording, headers={"Idempotency-Key": "send-43"})
    assert first.status_code == again.status_code == other.status_code == 202
    assert first.json["id"] == again.json["id"] != other.json["id"]
    assert len(parent.get("/outbox").json["items"]) == 2


def test_a_child_replies_to_every_guardian(
    parent: Api, register, make_child, pair_device, worker: subprocess.Popen
) -> None:
    child = make_child()
    grandma = register("parent", "Nainai")
    code = parent.post(f"/children/{child['id']}/guardian-invites", {"relation": "grandparent"}).json["code"]
    assert (
        grandma.post("/guardian-invites/accept", {"code": code, "guardian_consent": True}).status_code == 200
    )
    device = pair_device(child["id"])
    reply = send(device, "guardians", audio.recording("3gp-amr", seconds=2))
    assert reply.status_code == 202, reply.json
    message = wait_for(device, reply.json["id"], worker=worker)
    assert message["status"] == "delivered"
    assert message["sender"] == {"id": child["id"], "display_name": child["display_name"]}
    assert message["recipient"]["id"] == "guardians"
    for guardian in (parent, grandma):
        assert [m["id"] for m in guardian.get("/inbox").json["items"]] == [message["id"]]
    assert (
        grandma.post(f"/messages/{message['id']}/plays", {"position_ms": 0, "completed": True}).status_code
        == 204
    )
    assert device.get(f"/messages/{message['id']}").json["status"] == "played"
    assert [m["id"] for m in device.get("/outbox").json["items"]] == [message["id"]]


def test_a_device_sends_only_to_its_guardians(parent: Api, make_child, pair_device) -> None:
    child = make_child()
    device = pair_device(child["id"])
    response = send(device, child["id"], audio.recording("amr", seconds=1))
    assert response.status_code == 422 and "to" in response.json["errors"]


def test_strangers_cannot_send_to_read_or_hear(
    parent: Api, register, make_child, pair_device, worker: subprocess.Popen
) -> None:
    child = make_child()
    sent = send(parent, child["id"], audio.recording("m4a", seconds=2)).json
    wait_for(parent, sent["id"], worker=worker)
    stranger = register("parent", "Stranger")
    other_child = make_child(stranger, display_name="Other")
    other_device = pair_device(other_child["id"], guardian=stranger)
    for caller in (stranger, other_device):
        assert caller.get(f"/messages/{sent['id']}").status_code == 404
        assert caller.get(f"/messages/{sent['id']}/audio").status_code == 404
        assert caller.post(f"/messages/{sent['id']}/plays", {"position_ms": 0}).status_code == 404
        assert caller.delete(f"/messages/{sent['id']}").status_code == 404
    assert send(stranger, child["id"], audio.recording("amr", seconds=1)).status_code == 404
    volunteer = register("volunteer", "Helper")
    assert send(volunteer, child["id"], audio.recording("amr", seconds=1)).status_code == 403


def test_a_scheduled_message_waits_for_its_time(
    app: Flask, parent: Api, make_child, pair_device, worker: subprocess.Popen
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    later = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sent = send(parent, child["id"], audio.recording("ogg", seconds=2), deliver_at=later).json
    message = wait_for(parent, sent["id"], worker=worker)
    assert message["status"] == "scheduled" and message["deliver_at"] == later
    app.extensions["celery"].send_task(jobs.DISPATCH_DUE)
    assert device.get("/inbox").json["items"] == []
    with app.app_context():
        # Time passes: the delivery falls due.
        db.session.execute(update(Delivery).where(Delivery.message_id == sent["id"]).values(due_at=utcnow()))
        db.session.commit()
        db.session.remove()
    app.extensions["celery"].send_task(jobs.DISPATCH_DUE)
    delivered = wait_for(parent, sent["id"], {"delivered"}, worker=worker, seconds=30)
    assert delivered["delivered_at"] is not None
    assert [m["id"] for m in device.get("/inbox").json["items"]] == [sent["id"]]


def test_playback_position_follows_the_child_across_devices(
    parent: Api, make_child, pair_device, worker: subprocess.Popen
) -> None:
    child = make_child()
    phone, tablet = pair_device(child["id"]), pair_device(child["id"], name="Tablet")
    sent = send(parent, child["id"], audio.recording("mp3", seconds=3)).json
    message = wait_for(parent, sent["id"], worker=worker)
    assert phone.post(f"/messages/{sent['id']}/plays", {"position_ms": 1200}).status_code == 204
    assert tablet.get(f"/messages/{sent['id']}").json["position_ms"] == 1200
    assert parent.get(f"/messages/{sent['id']}").json["status"] == "delivered"
    past_end = {"position_ms": message["duration_ms"] + 1, "completed": True}
    assert tablet.post(f"/messages/{sent['id']}/plays", past_end).status_code == 422
    assert tablet.post(f"/messages/{sent['id']}/plays", {"position_ms": -1}).status_code == 422
    assert tablet.post(f"/messages/{sent['id']}/plays", {"position_ms": "10"}).status_code == 422
    # Only the recipient reports listening; the sender is not in the message's inbox.
    assert parent.post(f"/messages/{sent['id']}/plays", {"position_ms": 10}).status_code == 404
    finished = {"position_ms": message["duration_ms"], "completed": True}
    assert tablet.post(f"/messages/{sent['id']}/plays", finished).status_code == 204
    first_played = parent.get(f"/messages/{sent['id']}").json["played_at"]
    assert phone.post(f"/messages/{sent['id']}/plays", finished).status_code == 204
    assert parent.get(f"/messages/{sent['id']}").json["played_at"] == first_played


def test_audio_is_streamed_with_range_or_redirected(
    app: Flask, parent: Api, make_child, pair_device, worker: subprocess.Popen
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    sent = send(parent, child["id"], audio.recording("flac", seconds=2)).json
    wait_for(parent, sent["id"], worker=worker)
    direct = device.get(f"/messages/{sent['id']}/audio?format=opus_low")
    if app.extensions["voicebox.blob_store"].redirects:
        assert direct.status_code == 302 and "X-Amz-Expires=" in direct.headers["Location"]
    else:
        assert direct.status_code == 200 and direct.headers["Accept-Ranges"] == "bytes"
    direct.close()
    whole = fetch_audio(device, sent["id"], "opus_low")[1]
    status, part, headers = fetch_audio(device, sent["id"], "opus_low", {"Range": "bytes=10-99"})
    assert status == 206 and part == whole[10:100]
    assert whole[:4] == b"OggS"
    assert fetch_audio(device, sent["id"], "aac")[1][4:8] == b"ftyp"
    assert device.get(f"/messages/{sent['id']}/audio?format=wav").status_code == 422


def test_a_player_gets_a_link_that_needs_no_token(
    app: Flask, parent: Api, register, make_child, pair_device, worker: subprocess.Popen
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    sent = send(parent, child["id"], audio.recording("flac", seconds=2)).json
    wait_for(parent, sent["id"], worker=worker)
    link = device.get(f"/messages/{sent['id']}/audio-link?format=opus_low").json
    assert link["expires_at"].endswith("Z")
    whole = fetch_audio(device, sent["id"], "opus_low")[1]
    if link["url"].startswith("http"):
        answer = requests.get(link["url"], headers={"Range": "bytes=0-99"}, timeout=10)
        assert answer.status_code == 206 and answer.content == whole[:100]
    else:
        answer = app.test_client().get(link["url"], headers={"Range": "bytes=0-99"})
        assert answer.status_code == 206 and answer.data == whole[:100]
    stranger = register()
    assert stranger.get(f"/messages/{sent['id']}/audio-link").status_code == 404
    assert device.get(f"/messages/{sent['id']}/audio-link?format=wav").status_code == 422


def test_delete_before_delivery_and_by_a_guardian(
    app: Flask, parent: Api, register, make_child, pair_device, worker: subprocess.Popen
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    later = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    scheduled = send(device, "guardians", audio.recording("wav", seconds=2), deliver_at=later).json
    wait_for(device, scheduled["id"], worker=worker)
    keys = recording_of(app, scheduled["id"]).blob_keys
    assert len(keys) == 4 and all(stored(app, keys))
    assert device.delete(f"/messages/{scheduled['id']}").status_code == 204
    assert device.get(f"/messages/{scheduled['id']}").status_code == 404
    assert not any(stored(app, keys))

    now = send(device, "guardians", audio.recording("wav", seconds=2)).json
    wait_for(device, now["id"], worker=worker)
    assert device.delete(f"/messages/{now['id']}").status_code == 409
    keys = recording_of(app, now["id"]).blob_keys
    assert parent.delete(f"/messages/{now['id']}").status_code == 204
    assert parent.get("/inbox").json["items"] == []
    assert not any(stored(app, keys))
    with app.app_context():
        assert db.session.scalars(select(Message)).all() == []
        db.session.remove()


def test_sending_needs_audio_or_a_finished_upload(parent: Api, make_child) -> None:
    child = make_child()
    assert parent.post("/messages", {"to": child["id"]}).status_code == 422
    assert parent.post("/messages", {"to": child["id"], "upload_id": "nope"}).status_code == 404
    assert parent.post("/messages", [1, 2]).status_code == 422
    assert parent.post("/messages", {"to": child["id"], "kind": "song", "upload_id": "x"}).status_code == 422
    bad_time = send(parent, child["id"], audio.recording("amr", seconds=1), deliver_at="tomorrow")
    assert bad_time.status_code == 422 and "deliver_at" in bad_time.json["errors"]
    too_far = (utcnow() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert send(parent, child["id"], audio.recording("amr", seconds=1), deliver_at=too_far).status_code == 422


def test_a_recording_over_the_size_limit_is_refused_and_nothing_is_kept(
    app: Flask, parent: Api, make_child
) -> None:
    child = make_child()
    limit = app.config["VOICEBOX_SETTINGS"].max_upload_bytes
    body = (
        b'--b\r\nContent-Disposition: form-data; name="to"\r\n\r\n' + child["id"].encode() + b"\r\n"
        b'--b\r\nContent-Disposition: form-data; name="audio"; filename="long.wav"\r\n\r\n'
        + bytes(limit + 70 * 1024)
        + b"\r\n--b--\r\n"
    )
    # The declared length alone is refused: a phone learns at once, before sending 50 MB.
    response = parent.post("/messages", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413 and response.content_type == "application/problem+json"
    assert parent.get("/outbox").json["items"] == []
    with app.app_context():
        assert db.session.scalars(select(Message)).all() == []
        db.session.remove()

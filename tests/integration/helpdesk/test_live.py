"""The help desk with its real parts: queue events over SSE to a real HTTP client, recordings
through the real media worker, timers run by the worker, and claims racing on PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select, update

from tests import audio
from tests.conftest import Api
from tests.integration.recordings import fetch, post_form
from tests.integration.sse import Listener
from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Conflict
from voicebox.extensions import current_blob_store, db
from voicebox.models import HelpEvent, HelpRequest, HelpStatus, Message, Recording, WaitingFor
from voicebox.services.accounts import tokens
from voicebox.services.helpdesk import claims, queue_events, timers
from voicebox.services.work import end_read

from .test_api import ask


def test_helpers_hear_the_queue_live_and_resume_where_they_left(
    live_server: str, make_child, pair_device, parent: Api, register, helper
) -> None:
    device = pair_device(make_child()["id"])
    volunteer = helper("Teacher Li")
    url = f"{live_server}/api/v1/volunteer/events"
    listener = Listener(url, volunteer.token)
    assert listener.status == 200

    asked = ask(device, "bullying", urgent=True, text="they hit me after school")
    new = listener.next()
    assert new["event"] == "new" and new["data"]["type"] == "new"
    assert new["data"]["request"] == {
        "id": asked["id"],
        "status": "queued",
        "priority": 2,
        "category": "bullying",
        "urgent": True,
        "queued_at": asked["queued_at"],
    }
    assert "hit me" not in str(new)  # events say what happened, never what the child said
    volunteer.post("/help-requests/claim")
    claimed = listener.next()
    assert claimed["event"] == "claimed" and claimed["data"]["request"]["status"] == "held"
    volunteer.post(f"/help-requests/{asked['id']}/release")
    assert listener.next()["event"] == "released"

    # A reconnect with the last id it saw replays exactly what came after.
    resumed = Listener(url, volunteer.token, last_event_id=new["id"])
    assert [resumed.next()["event"], resumed.next()["event"]] == ["claimed", "released"]

    for outsider in (parent, device, register("volunteer", "Not yet approved")):
        assert Listener(url, outsider.token).status == 403
    assert Listener(url, volunteer.token, last_event_id="garbage").status == 422


@pytest.mark.parametrize("app", ["production"], indirect=True)
def test_recordings_go_through_the_media_worker_and_stay_in_the_thread(
    app: Flask, worker, make_child, pair_device, parent: Api, helper, clock
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    asked = post_form(
        device, "/help-requests", audio.recording("m4a", seconds=3), category="lonely", urgent="true"
    )
    assert asked.status_code == 201, asked.json
    assert asked.json["urgent"] is True and asked.json["audio"]["status"] == "processing"
    request_id = asked.json["id"]
    volunteer = helper()
    assert volunteer.post("/help-requests/claim").json["id"] == request_id
    held = wait_for_audio(volunteer, request_id, worker)
    assert held["audio"]["duration_ms"] > 2000
    assert {r["format"] for r in held["audio"]["renditions"]} == {"opus", "opus_low", "aac"}
    status, body, _ = fetch(volunteer, held["audio"]["url"].removeprefix("/api/v1") + "?format=opus_low")
    assert status == 200 and body[:4] == b"OggS"

    spoken = post_form(volunteer, f"/help-requests/{request_id}/replies", audio.recording("ogg", seconds=2))
    assert spoken.status_code == 201 and spoken.json["audio"]["status"] == "processing"
    thread = wait_for_audio(device, request_id, worker, reply=0)
    status, body, _ = fetch(
        device, thread["replies"][0]["audio"]["url"].removeprefix("/api/v1") + "?format=aac"
    )
    assert status == 200 and len(body) > 1000

    # Claimed again, the request comes back whole (on PostgreSQL, from the claim's own statement).
    assert device.post(f"/help-requests/{request_id}/replies", {"text": "thank you"}).status_code == 201
    assert volunteer.post(f"/help-requests/{request_id}/release").status_code == 200
    again = volunteer.post("/help-requests/claim")
    assert again.status_code == 200
    assert again.json == volunteer.get(f"/help-requests/{request_id}").json
    assert (
        again.json["audio"]["status"] == "ready"
        and again.json["child"]["display_name"] == child["display_name"]
    )
    assert [(r["author"], r["audio"] is not None) for r in again.json["replies"]] == [
        ("helper", True),
        ("child", False),
    ]

    # Nothing of the thread shows in the family's inboxes and outboxes, nor as a message.
    for member in (parent, device):
        assert member.get("/inbox").json["items"] == [] and member.get("/outbox").json["items"] == []
    assert volunteer.get("/outbox").json["items"] == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
        recordings = list(db.session.scalars(select(Recording)))
        keys = [key for recording in recordings for key in recording.blob_keys]
    assert len(recordings) == 2 and all(recording.status == "ready" for recording in recordings)
    for recording in recordings:
        assert parent.get(f"/messages/{recording.id}").status_code == 404
        assert parent.get(f"/messages/{recording.id}/audio").status_code == 404
        assert device.get(f"/messages/{recording.id}").status_code == 404

    # Once resolved and past retention, the recordings go; the text of the thread stays.
    assert volunteer.post(f"/help-requests/{request_id}/resolve", {"outcome": "supported"}).status_code == 200
    with app.app_context():
        assert timers.purge_audio() == 0
    clock(timedelta(days=app.config["VOICEBOX_SETTINGS"].help_audio_retention_days, seconds=1))
    with app.app_context():
        assert timers.purge_audio() == 1
        assert timers.purge_audio() == 0
        store = current_blob_store()
        assert not any(store.exists(key) for key in keys)
    purged = device.get(f"/help-requests/{request_id}").json
    assert purged["audio"] is None and purged["replies"][0]["audio"] is None
    assert purged["status"] == "resolved"


def wait_for_audio(api: Api, request_id: str, worker, reply: int | None = None, seconds: float = 60) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        thread = api.get(f"/help-requests/{request_id}").json
        recording = thread["audio"] if reply is None else thread["replies"][reply]["audio"]
        if recording["status"] != "processing":
            assert recording["status"] == "ready", recording
            return thread
        assert worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, "the recording was never transcoded"
        time.sleep(0.2)


def test_the_worker_runs_the_timers_and_tells_the_helper(
    app: Flask, worker, make_child, pair_device, helper
) -> None:
    device = pair_device(make_child()["id"])
    asked = ask(device)
    volunteer = helper()
    volunteer.post("/help-requests/claim")
    with app.app_context():
        # The lease ran out (the worker's clock is its own: move the deadline instead).
        db.session.execute(update(HelpRequest).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        app.extensions["celery"].send_task(jobs.SWEEP_HELPDESK)
    deadline = time.monotonic() + 30
    while device.get(f"/help-requests/{asked['id']}").json["status"] != "queued":
        assert worker.poll() is None and time.monotonic() < deadline, "the sweep never ran"
        time.sleep(0.2)
    with app.app_context():
        expired = select(HelpEvent).where(
            HelpEvent.request_id == asked["id"], HelpEvent.kind == "lease_expired"
        )
        while db.session.scalars(expired).one().pushed_at is None:
            assert time.monotonic() < deadline, "the helper was never told"
            db.session.rollback()
            time.sleep(0.2)


@pytest.mark.parametrize("app", ["production"], indirect=True)
def test_racing_claims_never_take_one_request_twice(app: Flask, make_child, helper) -> None:
    child = make_child()
    now = utcnow()
    with app.app_context():
        for n in range(60):
            at = now + timedelta(milliseconds=n)
            db.session.add(
                HelpRequest(
                    child_id=child["id"],
                    category="lonely",
                    urgent=False,
                    text=f"request {n}",
                    risk_terms=[],
                    priority=4,
                    status=HelpStatus.QUEUED,
                    waiting_for=WaitingFor.VOLUNTEERS,
                    rank_at=at,
                    created_at=at,
                    queued_at=at,
                )
            )
        db.session.commit()
    helpers = [helper(f"Helper {n}", capacity=10) for n in range(8)]
    claimed: list[str] = []
    start = threading.Barrier(len(helpers))

    def claim_all(token: str) -> None:
        with app.app_context():
            principal = tokens.resolve(token)
            start.wait()
            while True:
                try:
                    request = claims.claim(principal)
                except Conflict:
                    # A helper who raced ahead holds their capacity (10); the others, with room
                    # for 70, take the rest. How far one gets ahead is the scheduler's choice.
                    return
                if request is None:
                    return
                claimed.append(request.id)
                db.session.remove()
                principal = tokens.resolve(token)

    threads = [threading.Thread(target=claim_all, args=(h.token,)) for h in helpers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(claimed) == 60 and len(set(claimed)) == 60


@pytest.mark.parametrize("app", ["production"], indirect=True)
def test_an_event_whose_transaction_commits_late_is_still_streamed(
    app: Flask, make_child, pair_device, helper
) -> None:
    asked = ask(pair_device(make_child()["id"]))
    volunteer = helper()

    def event(kind: str) -> Any:
        return insert(HelpEvent).values(request_id=asked["id"], kind=kind, at=utcnow(), push=False)

    with app.app_context():
        reader = queue_events.QueueReader(tokens.resolve(volunteer.token), None)
        with db.engine.connect() as slow:
            slow.execute(event("released"))  # takes the next id, and commits only later
            with db.engine.begin() as fast:
                fast.execute(event("claimed"))
            [(first_id, first)] = reader.look()
            assert first.type == "claimed"
            # The cursor stays before the open gap, so a reconnect would not skip it, and the
            # stream looks again soon rather than at the next wake-up.
            assert int(first_id) < first.event_id - 1
            assert reader.hurried
            slow.commit()
        end_read()
        [(second_id, second)] = reader.look()
        assert second.type == "released" and int(second_id) == second.event_id
        assert not reader.hurried


def test_a_helpers_stream_ends_soon_after_they_log_out(live_server: str, helper) -> None:
    volunteer = helper("Teacher Li")
    listener = Listener(f"{live_server}/api/v1/volunteer/events", volunteer.token)
    assert listener.status == 200
    assert volunteer.post("/auth/logout").status_code == 204
    listener.thread.join(timeout=30)
    assert not listener.thread.is_alive(), "a logged-out helper still hears the queue"

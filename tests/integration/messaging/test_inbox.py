"""The inbox: pages that neither skip nor repeat while messages arrive, and the live stream."""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import timedelta

import requests
from flask import Flask

from tests import audio
from tests.conftest import Api
from tests.integration.recordings import deliver_directly, send, wait_for
from tests.integration.sse import Listener
from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.services.messaging.message_views import Mailbox


def test_pages_neither_skip_nor_repeat_while_messages_arrive(
    app: Flask, parent: Api, make_child, pair_device
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    # Some arrive in the same instant, to test the tie-break on id.
    old = deliver_directly(app, child["id"], parent.user["id"], 5, at=utcnow() - timedelta(hours=1))
    old += deliver_directly(app, child["id"], parent.user["id"], 6)
    seen: list[str] = []
    cursor = None
    while True:
        page = device.get("/inbox", query_string={"limit": 4, **({"cursor": cursor} if cursor else {})}).json
        seen += [m["id"] for m in page["items"]]
        deliver_directly(app, child["id"], parent.user["id"], 2)  # new ones land between pages
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(old) and len(seen) == len(set(seen))
    newest_first = device.get("/inbox", query_string={"limit": 100}).json["items"]
    assert len(newest_first) == len(old) + 2 * 3
    assert device.get("/inbox", query_string={"cursor": "not-a-cursor"}).status_code == 422
    assert device.get("/inbox", query_string={"limit": 0}).status_code == 422
    assert device.get("/inbox", query_string={"limit": 101}).status_code == 422
    assert parent.get("/inbox").json["items"] == []


def test_the_live_inbox_streams_each_delivery_once(
    live_server: str, parent: Api, make_child, pair_device, worker: subprocess.Popen
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    events: list[dict] = []
    ids: list[str] = []
    opened = threading.Event()

    def listen(last_event_id: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {device.token}", "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        with requests.get(
            f"{live_server}/api/v1/inbox/events", headers=headers, stream=True, timeout=30
        ) as r:
            assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
            opened.set()
            event: dict = {}
            for line in r.iter_lines(decode_unicode=True):
                if line.startswith("id: "):
                    event["id"] = line[4:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif line == "" and "data" in event:
                    events.append(event)
                    ids.append(event["id"])
                    event = {}
                    if len(events) >= 2:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(10)
    first = send(parent, child["id"], audio.recording("amr", seconds=1), title="One").json
    wait_for(parent, first["id"], worker=worker)
    second = send(parent, child["id"], audio.recording("amr", seconds=1), title="Two").json
    wait_for(parent, second["id"], worker=worker)
    listener.join(timeout=20)
    assert [e["data"]["id"] for e in events] == [first["id"], second["id"]]
    assert events[0]["data"]["status"] == "delivered" and events[0]["data"]["title"] == "One"
    # Reconnecting after the first event replays only what came after it.
    events.clear()
    opened.clear()
    resumed = threading.Thread(target=listen, args=(ids[0],), daemon=True)
    resumed.start()
    assert opened.wait(10)
    third = send(parent, child["id"], audio.recording("amr", seconds=1), title="Three").json
    wait_for(parent, third["id"], worker=worker)
    resumed.join(timeout=20)
    assert [e["data"]["id"] for e in events] == [second["id"], third["id"]]


def test_a_bad_last_event_id_is_refused(live_server: str, make_child, pair_device) -> None:
    device = pair_device(make_child()["id"])
    response = requests.get(
        f"{live_server}/api/v1/inbox/events",
        headers={"Authorization": f"Bearer {device.token}", "Last-Event-ID": "garbage"},
        timeout=10,
    )
    assert response.status_code == 422


def test_the_api_sends_a_stream_that_reached_it_to_the_push_server(make_child, pair_device, helper) -> None:
    """Only the push server holds streams: the API's own routes say where they are served."""
    device = pair_device(make_child()["id"])
    volunteer = helper()
    for caller, path in ((device, "/inbox/events"), (volunteer, "/volunteer/events")):
        response = caller.get(path)
        assert response.status_code == 503 and "push server" in response.json["detail"]
        assert response.headers["Retry-After"]


def test_a_stream_ends_soon_after_its_device_is_unpaired(
    app: Flask, live_server: str, parent: Api, make_child, pair_device
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    listener = Listener(f"{live_server}/api/v1/inbox/events", device.token)
    assert listener.status == 200
    assert parent.delete(f"/children/{child['id']}/devices/{device.device_id}").status_code == 204
    # Its token is looked at every few seconds: the stream ends long before its 55 s are up,
    # and nothing sent meanwhile reaches the phone.
    deliver_directly(app, child["id"], parent.user["id"], 1)
    with app.app_context():
        jobs.wake(Mailbox(child_id=child["id"]).topic)
        db.session.commit()
    listener.thread.join(timeout=30)
    assert not listener.thread.is_alive(), "the unpaired device is still connected"
    assert listener.events.empty()

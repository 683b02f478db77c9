"""The push server (``voicebox push``): the live streams from an asyncio process, on both
profiles, woken through Redis or the embedded socket, read by a real HTTP client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from flask import Flask

from tests.conftest import Api, app_env, build_app, dispose, push_server
from tests.integration.helpdesk.test_api import ask
from tests.integration.recordings import deliver_directly
from tests.integration.sse import Listener
from voicebox.extensions import current_event_bus
from voicebox.services.messaging.message_views import Mailbox


@pytest.fixture
def push(app: Flask) -> Iterator[str]:
    """The push server alone (``voicebox push``), with no API behind it."""
    with push_server(app) as url:
        yield f"{url}/api/v1"


@contextmanager
def push_with(request: pytest.FixtureRequest, **settings: str) -> Iterator[tuple[Flask, str]]:
    """A push server whose app has these settings."""
    app = build_app(app_env(request), **settings)
    try:
        with push_server(app) as url:
            yield app, f"{url}/api/v1"
    finally:
        dispose(app)


def delivered(app: Flask, child_id: str, sender_id: str) -> str:
    """A message delivered to the child as rows, and the wake-up a delivery publishes."""
    (message_id,) = deliver_directly(app, child_id, sender_id, 1)
    with app.app_context():
        current_event_bus().publish(Mailbox(child_id=child_id).topic)
    return message_id


def test_a_device_hears_each_delivery_once_and_resumes_where_it_left_off(
    app: Flask, push: str, parent: Api, make_child, pair_device
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    listener = Listener(f"{push}/inbox/events", device.token)
    assert listener.status == 200
    first = delivered(app, child["id"], parent.user["id"])
    heard = listener.next()
    assert heard["event"] == "message" and heard["data"]["id"] == first
    second = delivered(app, child["id"], parent.user["id"])
    assert listener.next()["data"]["id"] == second
    # A reconnect with the last id it saw gets exactly what came after it.
    resumed = Listener(f"{push}/inbox/events", device.token, last_event_id=heard["id"])
    assert resumed.next()["data"]["id"] == second
    assert resumed.events.empty() and listener.events.empty()
    # The same answers as the API's own stream for a bad cursor or token.
    refused = requests.get(f"{push}/inbox/events", headers={**resumed.headers, "Last-Event-ID": "garbage"})
    assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
    assert (
        requests.get(f"{push}/inbox/events", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    )


def test_a_stream_ends_soon_after_its_device_is_unpaired_and_hears_nothing_more(
    app: Flask, push: str, parent: Api, make_child, pair_device
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    listener = Listener(f"{push}/inbox/events", device.token)
    assert listener.status == 200
    assert parent.delete(f"/children/{child['id']}/devices/{device.device_id}").status_code == 204
    delivered(app, child["id"], parent.user["id"])
    listener.thread.join(timeout=5)
    assert not listener.thread.is_alive(), "the unpaired device is still connected after 5 s"
    assert listener.events.empty()


def test_a_revoked_tokens_stream_ends_on_the_word_its_revocation_publishes(
    request: pytest.FixtureRequest, parent: Api, make_child, pair_device
) -> None:
    # The token sweep is set an hour off, and nothing else wakes the stream: only the word the
    # logout publishes after its commit can end it.
    with push_with(request, VOICEBOX_PUSH_TOKEN_SWEEP_SECONDS="3600") as (_, push):
        child = make_child()
        device = pair_device(child["id"])
        listener = Listener(f"{push}/inbox/events", device.token)
        assert listener.status == 200
        assert device.post("/auth/logout").status_code == 204
        listener.thread.join(timeout=30)
        assert not listener.thread.is_alive(), "the logged-out device is still connected"
        assert listener.events.empty()


def test_helpers_hear_the_queue_through_the_push_server(
    push: str, make_child, pair_device, helper, parent: Api
) -> None:
    device = pair_device(make_child()["id"])
    volunteer = helper("Teacher Li")
    listener = Listener(f"{push}/volunteer/events", volunteer.token)
    assert listener.status == 200
    asked = ask(device, "family", text="I miss my mother")
    new = listener.next()
    assert new["event"] == "new" and new["data"]["request"]["id"] == asked["id"]
    assert Listener(f"{push}/volunteer/events", parent.token).status == 403


def test_a_full_server_answers_503_and_a_greedy_token_429(
    request: pytest.FixtureRequest, app: Flask, make_child, pair_device
) -> None:
    one = pair_device(make_child()["id"])
    other = pair_device(make_child(display_name="Xiaohong")["id"])
    with push_with(request, VOICEBOX_PUSH_MAX_STREAMS="3", VOICEBOX_PUSH_STREAMS_PER_TOKEN="2") as (_, url):
        held = [Listener(f"{url}/inbox/events", one.token) for _ in range(2)]
        assert [listener.status for listener in held] == [200, 200]
        greedy = requests.get(f"{url}/inbox/events", headers={"Authorization": f"Bearer {one.token}"})
        assert greedy.status_code == 429 and int(greedy.headers["Retry-After"]) > 0
        assert Listener(f"{url}/inbox/events", other.token).status == 200
        full = requests.get(f"{url}/inbox/events", headers={"Authorization": f"Bearer {other.token}"})
        assert full.status_code == 503 and int(full.headers["Retry-After"]) > 0
        assert full.headers["Content-Type"] == "application/problem+json"


def test_an_idle_stream_carries_heartbeats(
    request: pytest.FixtureRequest, app: Flask, make_child, pair_device
) -> None:
    device = pair_device(make_child()["id"])
    with (
        push_with(request, VOICEBOX_PUSH_HEARTBEAT_SECONDS="1") as (_, url),
        requests.get(
            f"{url}/inbox/events",
            headers={"Authorization": f"Bearer {device.token}"},
            stream=True,
            timeout=30,
        ) as response,
    ):
        assert response.headers["Content-Type"] == "text/event-stream"
        lines = response.iter_lines(decode_unicode=True)
        assert next(lines) == "retry: 3000"
        beats = [line for line, _ in zip(lines, range(6), strict=False) if line == ": keep-alive"]
        assert len(beats) >= 2

"""The child's phone: a heard message plays again with the network gone, and help is asked
for by voice, answered by a helper, and left at once with Exit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, expect

from tests import audio
from tests.browser.conftest import accessible
from tests.browser.flows import RECORD_MS, family, record, token_of
from tests.conftest import Api
from tests.integration.recordings import send, wait_for

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)


def test_a_heard_message_plays_again_offline(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    parent, child = family(phone, app_url)
    child.wait_for_function("navigator.serviceWorker.controller !== null")
    record(parent, "Record", RECORD_MS)
    parent.get_by_role("button", name="Send").click()
    card = child.get_by_role("list", name="Messages").get_by_role("listitem").first
    play = card.get_by_role("button", name="Play")
    expect(play).to_be_enabled()
    play.click()
    expect(parent.get_by_role("list", name="Messages").get_by_text("Heard")).to_be_visible()
    expect(play).to_be_visible()

    child.context.set_offline(True)
    child.reload()
    card = child.get_by_role("list", name="Messages").get_by_role("listitem").first
    card.get_by_role("button", name="Play").click()
    expect(card.get_by_role("button", name="Pause")).to_be_visible()
    position = card.get_by_role("slider", name="Position")
    expect(position).not_to_have_value("0")
    accessible(child, "child-offline")


def test_a_child_asks_for_help_and_sees_the_answer(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext], helper: Callable[..., Api]
) -> None:
    _, child = family(phone, app_url)
    child.get_by_role("button", name="I need help").click()
    for category in ("Lonely", "Family", "School", "Bullying", "Safety", "Other"):
        expect(child.get_by_role("button", name=category)).to_be_visible()
    accessible(child, "child-help-categories")
    child.get_by_role("button", name="Lonely").click()
    record(child, "Record", 3000)
    child.get_by_label("Write it here").fill("nobody is home tonight")
    child.get_by_label("Right now").check()
    accessible(child, "child-help-compose")
    child.get_by_role("button", name="Send for help").click()
    thread = child.get_by_role("region", name="Help")
    expect(thread.get_by_text("nobody is home tonight")).to_be_visible()

    volunteer = helper("Teacher Li")
    claimed = volunteer.post("/help-requests/claim")
    assert claimed.status_code == 200
    assert claimed.json["urgent"] is True and claimed.json["category"] == "lonely"
    assert claimed.json["audio"] is not None
    answer = volunteer.post(
        f"/help-requests/{claimed.json['id']}/replies", {"text": "I am here. Tell me more?"}
    )
    assert answer.status_code == 201
    expect(thread.get_by_text("I am here. Tell me more?")).to_be_visible()
    expect(thread.get_by_text("Teacher Li")).to_be_visible()
    accessible(child, "child-help-thread")

    child.get_by_label("Write it here").fill("grandma is at the hospital")
    child.get_by_role("button", name="Send", exact=True).click()
    expect(thread.get_by_text("grandma is at the hospital")).to_be_visible()
    replies = volunteer.get(f"/help-requests/{claimed.json['id']}").json["replies"]
    assert [reply["author"] for reply in replies] == ["helper", "child"]

    child.get_by_role("button", name="Exit").click()
    expect(child.get_by_role("button", name="I need help")).to_be_visible()
    expect(child.get_by_text("I am here")).to_have_count(0)
    assert Api(app.test_client(), token_of(child)).get("/me").json["role"] == "child"


def test_the_familys_stories_by_category(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    parent, child = family(phone, app_url)
    parent_api = Api(app.test_client(), token_of(parent))
    child_id = parent_api.get("/children").json["items"][0]["id"]
    story = send(
        parent_api,
        child_id,
        audio.recording("m4a", seconds=2),
        kind="story",
        title="The Moon Rabbit",
        category="bedtime",
    )
    wait_for(parent_api, story.json["id"])
    child.get_by_role("button", name="Stories").click()
    stories = child.get_by_role("list", name="Stories")
    expect(stories.get_by_role("listitem").filter(has_text="The Moon Rabbit")).to_contain_text("🌙")
    accessible(child, "child-stories")
    stories.get_by_role("button", name="Listen now").first.click()
    expect(child.get_by_role("button", name="I need help")).to_be_visible()
    expect(child.get_by_role("list", name="Messages").get_by_text("The Moon Rabbit")).to_be_visible()

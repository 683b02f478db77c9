"""A parent and a child, each on a phone of their own, as UI.md names the controls; on both
profiles (the embedded one is what `make run` serves)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import accessible
from tests.browser.flows import RECORD_MS, family, record, token_of
from tests.conftest import Api


def test_a_message_goes_to_the_child_and_the_answer_comes_back(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    parent, child = family(phone, app_url)
    accessible(child, "child-home-empty")

    record(parent, "Record", RECORD_MS)
    accessible(parent, "parent-recorded")
    parent.get_by_role("button", name="Send").click()
    expect(parent.get_by_role("progressbar", name="Upload progress")).to_be_visible()
    messages = parent.get_by_role("list", name="Messages")
    expect(messages.get_by_text("Delivered")).to_be_visible()

    # Live on the child's phone, without a reload.
    card = child.get_by_role("list", name="Messages").get_by_role("listitem").first
    expect(card.get_by_role("button", name="Play")).to_be_enabled()
    accessible(child, "child-home-message")
    card.get_by_role("button", name="Play").click()
    expect(card.get_by_role("button", name="Pause")).to_be_visible()
    # Played to the end: heard, and the position the server keeps is the end.
    expect(messages.get_by_text(re.compile("^Heard"))).to_be_visible()
    child_api = Api(app.test_client(), token_of(child))
    inbox = child_api.get("/inbox").json["items"]
    assert inbox[0]["played_at"] is not None
    assert inbox[0]["position_ms"] == inbox[0]["duration_ms"] > RECORD_MS - 1500

    record(child, "Record a reply", 3000)
    child.get_by_role("button", name="Send").click()
    expect(child.get_by_role("progressbar", name="Upload progress")).to_be_visible()
    reply = messages.get_by_role("listitem").filter(has_text="From Xiaoming")
    expect(reply.get_by_role("button", name="Play")).to_be_enabled()
    accessible(parent, "parent-reply")
    reply.get_by_role("button", name="Play").click()
    expect(reply.get_by_role("button", name="Pause")).to_be_visible()
    parent_api = Api(app.test_client(), token_of(parent))
    sent = parent_api.get("/outbox").json["items"]
    assert [m["status"] for m in sent] == ["played"]


def test_a_recording_cut_off_by_a_closed_tab_is_kept_and_sent(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    parent, child = family(phone, app_url)
    parent.get_by_role("button", name="Record").click()
    expect(parent.get_by_role("button", name="Stop")).to_be_visible()
    parent.wait_for_timeout(4000)
    context = parent.context
    parent.close()

    again = context.new_page()
    again.goto(f"{app_url}/?lang=en")
    expect(again.get_by_text("This recording was kept on your phone")).to_be_visible()
    accessible(again, "parent-draft-kept")
    again.get_by_role("button", name="Send").click()
    expect(again.get_by_role("list", name="Messages").get_by_text("Delivered")).to_be_visible()
    (message,) = Api(app.test_client(), token_of(again)).get("/outbox").json["items"]
    assert message["duration_ms"] >= 2000
    expect(child.get_by_role("list", name="Messages").get_by_role("button", name="Play")).to_be_enabled()

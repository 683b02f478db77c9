"""A parent and a child, each on a phone of their own, as UI.md names the controls."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import accessible
from tests.conftest import Api

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)
RECORD_MS = 5000


def token_of(page: Page) -> str:
    return page.evaluate("localStorage.getItem('voicebox.token')")


def sign_up(page: Page, url: str, phone: str = "+8613800001111") -> None:
    page.goto(f"{url}/?lang=en")
    accessible(page, "parent-sign-in")
    page.get_by_role("button", name=re.compile("Create an account")).click()
    page.get_by_label("Phone").fill(phone)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_label("Your name").fill("Mama")
    accessible(page, "parent-sign-up")
    page.get_by_role("button", name="Sign up").click()


def add_child(page: Page) -> None:
    page.get_by_role("button", name="Add a child").first.click()
    page.get_by_label("Child's name").fill("Xiaoming")
    page.get_by_label("Birth year").fill("2018")
    page.get_by_label(re.compile("agree")).check()
    accessible(page, "parent-add-child")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("heading", name="Xiaoming")).to_be_visible()


def pair(parent: Page, child: Page, url: str) -> None:
    parent.get_by_role("button", name="Pair a phone").click()
    code = parent.get_by_label("Pairing code")
    expect(code).to_have_text(re.compile(r"^\d{6}$"))
    accessible(parent, "parent-pairing")
    child.goto(f"{url}/child?lang=en")
    accessible(child, "child-pair")
    child.get_by_label("Pairing code").fill(code.inner_text())
    child.get_by_role("button", name="Pair", exact=True).click()
    expect(child.get_by_role("button", name="I need help")).to_be_visible()


def record(page: Page, start: str, ms: int) -> None:
    page.get_by_role("button", name=start).click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    page.wait_for_timeout(ms)
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_role("button", name="Send")).to_be_visible()


def family(phone: Callable[..., BrowserContext], url: str) -> tuple[Page, Page]:
    parent = phone().new_page()
    child = phone().new_page()
    sign_up(parent, url)
    add_child(parent)
    pair(parent, child, url)
    return parent, child


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

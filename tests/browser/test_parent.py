"""The parent's care for a child beyond messages: a second guardian, bedtime times, what is
coming up (moved, cancelled), and the watchdog's nudge."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import update

from tests.browser.conftest import accessible
from tests.browser.flows import add_child, sign_up, token_of
from tests.conftest import Api
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Child

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)


def test_a_second_guardian_joins_and_bedtimes_are_set(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    mother = phone().new_page()
    sign_up(mother, app_url)
    add_child(mother)
    mother.get_by_role("button", name="Invite a guardian").click()
    code = mother.get_by_label("Invitation code").inner_text()

    grandma = phone().new_page()
    sign_up(grandma, app_url, phone="+8613800003333")
    grandma.get_by_role("button", name="Join with a code").click()
    grandma.get_by_label("Invitation code").fill(code)
    grandma.get_by_label(re.compile("agree")).check()
    accessible(grandma, "parent-join")
    grandma.get_by_role("button", name="Join", exact=True).click()
    expect(grandma.get_by_role("heading", name="Xiaoming")).to_be_visible()
    expect(grandma.get_by_role("list", name="Guardians").get_by_role("listitem")).to_have_count(2)

    grandma.get_by_label("Bedtime", exact=True).fill("19:45")
    grandma.get_by_role("button", name="Add a bedtime").click()
    bedtimes = grandma.get_by_role("list", name="Bedtime stories")
    expect(bedtimes.get_by_text(re.compile("^19:45 · every day"))).to_be_visible()
    bedtimes.get_by_role("button", name="Pause").click()
    expect(bedtimes.get_by_role("button", name="Resume")).to_be_visible()
    accessible(grandma, "parent-care")
    api = Api(app.test_client(), token_of(grandma))
    child_id = api.get("/children").json["items"][0]["id"]
    (schedule,) = api.get(f"/children/{child_id}/schedules").json["items"]
    assert schedule["time"] == "19:45" and schedule["paused"] is True

    # Removed meanwhile from another phone: the page says the change failed, and lists what is
    # true now.
    assert api.delete(f"/schedules/{schedule['id']}").status_code == 204
    bedtimes.get_by_role("button", name="Resume").click()
    expect(grandma.get_by_role("alert").filter(has_text="Something went wrong")).to_be_visible()
    expect(bedtimes.get_by_role("listitem")).to_have_text(["None yet."])


def test_the_watchdogs_nudge_is_shown_with_its_prompt(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    parent = phone().new_page()
    sign_up(parent, app_url)
    add_child(parent)
    days = app.config["VOICEBOX_SETTINGS"].quiet_days
    # The state the watchdog leaves behind: quiet for a while, and the guardians told.
    with app.app_context():
        db.session.execute(
            update(Child).values(quiet_since=utcnow() - timedelta(days=days, hours=1), nudged_at=utcnow())
        )
        db.session.commit()
    parent.reload()
    nudge = parent.get_by_role("region", name="Time to say something")
    expect(nudge).to_contain_text(f"Xiaoming has heard nothing from home for {days} days.")
    expect(nudge.locator("q")).not_to_be_empty()
    accessible(parent, "parent-nudge")


def test_a_changed_policy_is_agreed_to_again(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    parent = phone().new_page()
    sign_up(parent, app_url)
    add_child(parent)
    settings = app.config["VOICEBOX_SETTINGS"]
    app.config["VOICEBOX_SETTINGS"] = dataclasses.replace(settings, consent_policy_version="2099-01")
    try:
        parent.reload()
        expect(parent.get_by_role("heading", name=re.compile("privacy policy has changed"))).to_be_visible()
        accessible(parent, "parent-consent-again")
        parent.get_by_label(re.compile("agree")).check()
        parent.get_by_role("button", name="I agree").click()
        expect(parent.get_by_role("heading", name="Xiaoming")).to_be_visible()
        expect(parent.get_by_role("list", name="Guardians").get_by_role("listitem")).to_have_count(1)
        child_id = Api(app.test_client(), token_of(parent)).get("/children").json["items"][0]["id"]
        assert Api(app.test_client(), token_of(parent)).get(f"/children/{child_id}").status_code == 200
    finally:
        app.config["VOICEBOX_SETTINGS"] = settings

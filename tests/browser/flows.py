"""What a parent and a child do in the app, step by step, by the names UI.md gives controls."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import accessible

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

"""Simplified Chinese by default (from Accept-Language), English as well, and a switch that
is remembered."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import accessible

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)


def test_the_chinese_pages_work_and_the_switch_is_remembered(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    parent = phone(locale="zh-CN").new_page()
    parent.goto(app_url)
    expect(parent.locator("html")).to_have_attribute("lang", "zh-CN")
    accessible(parent, "zh-parent-sign-in")
    parent.get_by_role("button", name="第一次来？注册账号").click()
    parent.get_by_label("手机号").fill("+8613800002222")
    parent.get_by_label("密码").fill("correct horse battery")
    parent.get_by_label("您的称呼").fill("妈妈")
    parent.get_by_role("button", name="注册").click()
    parent.get_by_role("button", name="添加孩子").first.click()
    parent.get_by_label("孩子的名字").fill("小明")
    parent.get_by_label("出生年份").fill("2018")
    parent.get_by_label("我是孩子的监护人，我同意（agree）本政策").check()
    parent.get_by_role("button", name="添加", exact=True).click()
    expect(parent.get_by_role("heading", name="小明")).to_be_visible()
    parent.get_by_role("button", name="配对手机").click()
    code = parent.get_by_label("配对码").inner_text()
    accessible(parent, "zh-parent-home")

    parent.get_by_role("button", name="English").click()
    expect(parent.get_by_role("button", name="Pair a phone")).to_be_visible()
    parent.reload()
    expect(parent.get_by_role("list", name="Messages")).to_be_visible()

    child = phone(locale="zh-CN").new_page()
    child.goto(f"{app_url}/child")
    accessible(child, "zh-child-pair")
    for digit in code:
        child.get_by_role("button", name=digit, exact=True).click()
    child.get_by_role("button", name="配对", exact=True).click()
    expect(child.get_by_role("button", name="我需要帮助")).to_be_visible()
    accessible(child, "zh-child-home")

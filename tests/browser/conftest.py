"""The family app in a real browser: Debian's Chromium driven by Playwright, a fake microphone
playing speech made by the tests, the app served by a real HTTP server with a real worker.

Screenshots of each page at 360x640 are kept in ``test-results/screenshots``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.audio import Format, encode, speech
from tests.conftest import ROOT, SCREENSHOTS, serving
from voicebox.pages import STATIC

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "voicebox" / "web" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 640}
# Long enough for Chromium to start, load a page on a loaded machine, and a worker to transcode.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the fake microphone hears: speech-like sound, looped."""
    path = tmp_path_factory.mktemp("microphone") / "speech.wav"
    path.write_bytes(encode(speech(6.0, level_db=-20.0), Format("wav", "wav", "pcm_s16le", 48_000)))
    return path


# Package-scoped: Playwright's sync API holds an event loop in this thread while it is open,
# and later tests run asyncio loops of their own.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    needs = ((CHROMIUM, "make chromium"), (STATIC / "index.html", "make web"), (AXE, "make web"))
    for needed, how in needs:
        if not Path(needed).exists():
            pytest.fail(f"{needed} is missing: run `{how}`.", pytrace=False)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright, speech_wav: Path) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={speech_wav}",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def app_url(app: Flask, worker: subprocess.Popen) -> Iterator[str]:
    """The app under test behind a real HTTP server, with a real worker transcoding."""
    with serving(app) as url:
        yield url


@pytest.fixture
def phone(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """New browser contexts, each a phone of its own (its own storage and service worker)."""
    opened: list[BrowserContext] = []

    def open_phone(locale: str = "en-US") -> BrowserContext:
        context = browser.new_context(viewport=PHONE, locale=locale, permissions=["microphone"])
        opened.append(context)
        return context

    yield open_phone
    for context in opened:
        context.close()


def accessible(page: Page, name: str) -> None:
    """axe-core finds no serious or critical violation on the page as it is now; a screenshot
    of it is kept."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("axe.run(document).then(r => r.violations)")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: " + "; ".join(bad)

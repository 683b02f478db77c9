"""An upload cut off (the network gone, or the page reloaded) goes on from the server's offset:
every byte arrives once, beyond the chunk that was in flight, and the message is the recording."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.browser.flows import family, record, token_of
from tests.conftest import Api
from tests.integration.recordings import recording_of

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)
# Long enough for two chunks of 32 KB at the recorder's 32 kb/s.
LONG_RECORDING_MS = 12_000


class Chunks:
    """The PATCH bodies the page sends, by the offset each was sent at; the first that does not
    start at 0 is held in flight, for the test to cut off."""

    def __init__(self, page: Page) -> None:
        self.sent: list[tuple[int, bytes]] = []
        self.held: Route | None = None
        page.route("**/api/v1/uploads/*", self.route)

    def route(self, route: Route) -> None:
        request = route.request
        if request.method == "PATCH":
            offset = int(request.headers["upload-offset"])
            self.sent.append((offset, request.post_data_buffer or b""))
            if offset > 0 and self.held is None:
                self.held = route
                return
        route.continue_()

    def wait_for_the_held_chunk(self, page: Page) -> Route:
        for _ in range(600):
            if self.held is not None:
                return self.held
            page.wait_for_timeout(100)
        raise AssertionError("no second chunk was sent")

    def whole(self) -> bytes:
        data = bytearray()
        for offset, body in self.sent:
            data[offset : offset + len(body)] = body
        return bytes(data)


def delivered_original(app: Flask, parent: Page) -> bytes:
    """The recording the server holds for the parent's one message, once delivered."""
    api = Api(app.test_client(), token_of(parent))
    (message,) = api.get("/outbox").json["items"]
    store = app.extensions["voicebox.blob_store"]
    return b"".join(store.open_range(recording_of(app, message["id"]).original_key))


def cut_off_and_resume(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext], cut: Callable[[Page, Route], None]
) -> None:
    parent, child = family(phone, app_url)
    record(parent, "Record", LONG_RECORDING_MS)
    chunks = Chunks(parent)
    parent.get_by_role("button", name="Send").click()
    cut(parent, chunks.wait_for_the_held_chunk(parent))
    messages = parent.get_by_role("list", name="Messages")
    expect(messages.get_by_text("Delivered")).to_be_visible()
    recording = chunks.whole()
    assert len(recording) > 32 * 1024
    # Nothing sent twice but the chunk in flight when it was cut off.
    assert sum(len(body) for _, body in chunks.sent) <= len(recording) + 32 * 1024
    assert delivered_original(app, parent) == recording
    expect(child.get_by_role("list", name="Messages").get_by_role("button", name="Play")).to_be_enabled()


def test_an_upload_goes_on_after_the_network_comes_back(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    def offline_for_a_while(page: Page, in_flight: Route) -> None:
        page.context.set_offline(True)
        in_flight.abort("internetdisconnected")
        page.wait_for_timeout(3000)
        expect(page.get_by_role("progressbar", name="Upload progress")).to_be_visible()
        page.context.set_offline(False)

    cut_off_and_resume(app, app_url, phone, offline_for_a_while)


def test_an_upload_goes_on_after_a_reload(
    app: Flask, app_url: str, phone: Callable[..., BrowserContext]
) -> None:
    def reload(page: Page, in_flight: Route) -> None:
        page.reload()
        in_flight.abort()

    cut_off_and_resume(app, app_url, phone, reload)

"""The family app on a cheap phone's network: what it weighs and how soon it is usable.

The production shape runs here (gunicorn on PostgreSQL and Redis, moto's S3 server, one
worker); a paired child's phone has one delivered 60 s message. Debian's Chromium, driven by
Playwright, loads the app throttled through the DevTools protocol: 400 kb/s both ways with
400 ms round trips and a 4x CPU slowdown (and 50 kb/s for the slow tap on Play). The app's
service worker is throttled alike (its own DevTools target) once it runs: the repeat visit and
the taps go through it, as on a phone.

Weights are bytes on the wire (gzip where the browser takes it), from the browser's own count:
critical resources are the page and everything it loads before it is usable but the API's
answers. Usable: the child's first message's Play button enabled; the parent's Record button
shown. Tap to sound: from the tap on Play until the audio element says it is playing.

Goals (issue: the family app): the child's face at most 50 KB critical and 15 KB of JavaScript,
no font; the parent's face at most 100 KB; first load usable within 5 s, a repeat visit within
2 s; tap to sound within 3 s, and within 6 s at 50 kb/s. The API alone (``GET /me`` and
``GET /inbox``, as the child's face asks them, over the same link) is printed beside them.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright

from benchmarks._harness import (
    background,
    entry,
    gunicorn,
    migrate,
    postgres_schema,
    production_env,
    report,
    s3_server,
    worker_argv,
)
from benchmarks.upload_to_delivered import call, family, send_and_wait
from tests import audio
from voicebox.pages import STATIC

CHROMIUM = "/usr/bin/chromium"
KB = 1024
LINK = {"latency": 400, "kbps": 400}
SLOW_LINK = {"latency": 400, "kbps": 50}
CPU_SLOWDOWN = 4
# Every protocol write the page could need to answer the API: fetches and the event stream.
API_TYPES = {"fetch", "xhr", "eventsource", "media"}
# When the audio element starts playing: it lives in the app's module, not the document.
SOUND_PROBE = """
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  this.addEventListener("playing", () => { window.__soundAt ??= performance.now(); }, { once: true });
  return play.call(this);
};
"""


# The page's clock when ``condition`` first holds, looked at every frame. (Playwright's own
# wait_for_function evaluates a string, which the page's policy refuses.)
WHEN = """(condition) => new Promise((resolve) => {
  const look = () => (condition() ? resolve(performance.now()) : requestAnimationFrame(look));
  look();
})"""


def when(page: Page, condition: str) -> float:
    """Seconds on the page's clock (from its navigation) when the expression ``condition`` holds."""
    return page.evaluate(f"() => ({WHEN})(() => {condition})") / 1000


class Weights:
    """Bytes on the wire by kind, as the browser counts them, of the requests finished so far.
    (Sizes are asked for when read: asking in the event handler races the reading.)"""

    def __init__(self, page: Page) -> None:
        self.finished: list[Request] = []
        page.on("requestfinished", self.finish)

    def finish(self, request: Request) -> None:
        self.finished.append(request)

    def by_type(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for request in self.finished:
            kind = request.resource_type
            sizes[kind] = sizes.get(kind, 0) + request.sizes()["responseBodySize"]
        return sizes

    def critical(self) -> int:
        return sum(size for kind, size in self.by_type().items() if kind not in API_TYPES)


def conditions(link: dict) -> dict:
    rate = link["kbps"] * 1000 / 8
    return {
        "offline": False,
        "latency": link["latency"],
        "downloadThroughput": rate,
        "uploadThroughput": rate,
    }


def throttle(page: Page, link: dict | None) -> None:
    if link is None:
        return
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", conditions(link))
    session.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


def throttle_worker(browser: Browser, page: Page, link: dict | None) -> None:
    """Once the page's service worker controls it, the same link for the worker's own fetches
    (a target of its own, which Playwright has no session for: spoken to through the browser)."""
    for _ in range(600):
        if page.evaluate("() => !!navigator.serviceWorker.controller"):
            break
        page.wait_for_timeout(100)
    else:
        raise RuntimeError("the service worker never took control of the page")
    if link is None:
        return
    context_id = page.context.new_cdp_session(page).send("Target.getTargetInfo")["targetInfo"][
        "browserContextId"
    ]
    session = browser.new_browser_cdp_session()
    for target in session.send("Target.getTargets")["targetInfos"]:
        if target["type"] == "service_worker" and target.get("browserContextId") == context_id:
            attached = session.send(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": False}
            )
            for number, (method, params) in enumerate(
                [("Network.enable", {}), ("Network.emulateNetworkConditions", conditions(link))], 1
            ):
                message = json.dumps({"id": number, "method": method, "params": params})
                session.send(
                    "Target.sendMessageToTarget", {"sessionId": attached["sessionId"], "message": message}
                )


def phone(browser: Browser, token: str) -> BrowserContext:
    context = browser.new_context(viewport={"width": 360, "height": 640})
    context.add_init_script(f"localStorage.setItem('voicebox.token', {json.dumps(token)});")
    context.add_init_script(SOUND_PROBE)
    return context


def usable_after(page: Page, url: str, ready: str) -> float:
    """Seconds from the navigation's start until ``ready`` (a CSS selector) is on the page."""
    page.goto(url, wait_until="commit")
    return when(page, f"document.querySelector({json.dumps(ready)})")


def tap_to_sound(page: Page) -> float:
    page.evaluate("() => { window.__soundAt = undefined; }")
    tapped = page.evaluate(
        "() => { const t = performance.now(); document.querySelector('button.play').click(); return t; }"
    )
    when(page, "window.__soundAt")
    heard = page.evaluate("() => window.__soundAt")
    # Paused, and where it stopped reported, before the next run makes the message unheard: a
    # report arriving after that would make the next tap a resume from there.
    with page.expect_response(lambda response: response.url.endswith("/plays"), timeout=60_000):
        page.evaluate("() => document.querySelector('button.play').click()")
    return (heard - tapped) / 1000


def api_alone(page: Page, token: str) -> tuple[float, int]:
    """What the child's face asks the API for at load, asked alone over the same link."""
    timed = page.evaluate(
        """async (token) => {
          const headers = { Authorization: `Bearer ${token}` };
          const start = performance.now();
          let bytes = 0;
          for (const path of ["/api/v1/me", "/api/v1/inbox?limit=50"]) {
            bytes += (await (await fetch(path, { headers, cache: "no-store" })).arrayBuffer()).byteLength;
          }
          return [(performance.now() - start) / 1000, bytes];
        }""",
        token,
    )
    return timed[0], timed[1]


@contextmanager
def served(quick: bool) -> Iterator[tuple[str, str, str, Callable[[], None]]]:
    """The app with a parent and a paired child who has one delivered message, and a way to
    make it unheard again (so that every run's tap is a first play, from the start)."""
    with postgres_schema() as database_url, tempfile.TemporaryDirectory() as data, s3_server() as s3:
        env = {**production_env(database_url, Path(data)), **s3}
        migrate(env)
        with background(worker_argv(), env), gunicorn("voicebox:create_app()", env) as port:
            parent, child_id = family(port)
            status, pairing = call(port, "POST", f"/api/v1/children/{child_id}/pairing-code", parent)
            assert status == 201, pairing
            body = json.dumps({"code": pairing["code"], "device_name": "phone"}).encode()
            status, device = call(port, "POST", "/api/v1/devices/pair", body=body)
            assert status == 201, device
            send_and_wait(port, parent, child_id, audio.recording("m4a", seconds=5 if quick else 60))
            status, inbox = call(port, "GET", "/api/v1/inbox", device["token"])
            assert status == 200, inbox
            play = f"/api/v1/messages/{inbox['items'][0]['id']}/plays"

            def unheard() -> None:
                status, _ = call(port, "POST", play, device["token"], b'{"position_ms": 0}')
                assert status == 204

            yield f"http://127.0.0.1:{port}", parent, device["token"], unheard


def main(quick: bool) -> None:
    if not (STATIC / "child.html").is_file():
        raise SystemExit("The web app is not built: run `make web`.")
    runs = 1 if quick else 5
    link, slow = (None, None) if quick else (LINK, SLOW_LINK)
    with served(quick) as (url, parent_token, child_token, unheard), sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required"]
        )
        firsts, repeats, taps, slow_taps, api_times = [], [], [], [], []
        for _ in range(runs):
            unheard()
            with phone(browser, child_token) as context:
                page = context.new_page()
                throttle(page, link)
                weights = Weights(page)
                firsts.append(usable_after(page, f"{url}/child", "button.play:not([disabled])"))
                page.wait_for_load_state("load")  # every resource of the page counted
                child_weights = weights.by_type(), weights.critical()
                throttle_worker(browser, page, link)
                repeats.append(usable_after(page, f"{url}/child", "button.play:not([disabled])"))
                taps.append(tap_to_sound(page))
                api_times.append(api_alone(page, child_token))
            unheard()
            with phone(browser, child_token) as context:
                page = context.new_page()
                throttle(page, slow)
                usable_after(page, f"{url}/child", "button.play:not([disabled])")
                throttle_worker(browser, page, slow)
                slow_taps.append(tap_to_sound(page))
        with phone(browser, parent_token) as context:
            page = context.new_page()
            weights = Weights(page)
            parent_first = usable_after(page, f"{url}/", "button.record")
            page.wait_for_load_state("load")
            parent_weights = weights.by_type(), weights.critical()
        browser.close()

    by_type, critical = child_weights
    print(f"child's face, bytes on the wire by kind: {by_type}")
    print(f"parent's face, bytes on the wire by kind: {parent_weights[0]}")
    print(f"parent's face usable after {parent_first:.2f} s (not throttled)")
    api_seconds = statistics.median(t for t, _ in api_times)
    print(
        f"API alone over the same link: {api_times[0][1]} bytes in {api_seconds:.2f} s (GET /me, GET /inbox)"
    )
    first, repeat = statistics.median(firsts), statistics.median(repeats)
    tap, slow_tap = statistics.median(taps), statistics.median(slow_taps)
    print(f"child's face over {runs} runs: first load {first:.2f} s, repeat {repeat:.2f} s")
    print(f"tap to sound: {tap:.2f} s at 400 kb/s, {slow_tap:.2f} s at 50 kb/s")
    report("web_child_critical_kb", critical / KB, "<= 50 KB", critical <= 50 * KB, " KB")
    script = by_type.get("script", 0)
    report("web_child_js_kb", script / KB, "<= 15 KB", script <= 15 * KB, " KB")
    fonts = by_type.get("font", 0)
    report("web_child_font_bytes", fonts, "0", fonts == 0)
    report(
        "web_parent_critical_kb", parent_weights[1] / KB, "<= 100 KB", parent_weights[1] <= 100 * KB, " KB"
    )
    report("web_child_first_load_s", first, "< 5 s at 400 kb/s", first < 5, " s")
    report("web_child_repeat_visit_s", repeat, "< 2 s at 400 kb/s", repeat < 2, " s")
    report("web_tap_to_sound_s", tap, "< 3 s at 400 kb/s", tap < 3, " s")
    report("web_tap_to_sound_slow_s", slow_tap, "< 6 s at 50 kb/s", slow_tap < 6, " s")


if __name__ == "__main__":
    entry(main, __doc__)

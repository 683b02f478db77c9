"""The push server's HTTP side: the two live streams, each an idle connection and a waiting
task; and, where it stands in front of the API (``voicebox up``), every other request passed on.

Only the push server serves the streams (the API's routes for them say so, and stay for the
OpenAPI document): the same events, ids and keep-alives, problem details for a bad token or
cursor, and waiting costs a few kilobytes rather than a thread. Limits:
``VOICEBOX_PUSH_MAX_STREAMS`` a process (then 503 with Retry-After) and
``VOICEBOX_PUSH_STREAMS_PER_TOKEN`` a token (then 429).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import resource
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from flask import Flask
from marshmallow import Schema
from prometheus_client import Gauge

from config.settings import Settings
from voicebox.api.help_schemas import LiveEventSchema
from voicebox.api.schemas import MessageSchema
from voicebox.api.streaming import SSE_HEADERS, SSE_KEEP_ALIVE, SSE_PREAMBLE, sse_event
from voicebox.errors import PROBLEM_JSON, DomainError, Unauthorized, problem_body
from voicebox.events import push_socket_path
from voicebox.push import proxy, wakeups
from voicebox.push.hub import Full, Hub, Listener, TooMany
from voicebox.services.accounts import tokens
from voicebox.services.helpdesk.queue_events import QueueReader
from voicebox.services.messaging import live
from voicebox.services.messaging.live import InboxReader

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_AFTER_SECONDS = 10
# The most streams looked at in one call on a thread.
LOOK_BATCH = 500
# A reader that is ``hurried`` (a gap in the help queue's events is open) looks again this
# soon rather than waiting for a wake-up.
HURRIED_POLL_SECONDS = 0.25
Reader = InboxReader | QueueReader


@dataclass(frozen=True)
class Kind:
    """A stream: how it reads its rows, and how each event is written."""

    reader: type[InboxReader] | type[QueueReader]
    schema: Schema
    name_of: Callable[[Any], str]


STREAMS = {
    "/api/v1/inbox/events": Kind(InboxReader, MessageSchema(), lambda _: "message"),
    "/api/v1/volunteer/events": Kind(QueueReader, LiveEventSchema(), lambda event: event.type),
}
HUB = web.AppKey("hub", Hub)
SETTINGS = web.AppKey("settings", Settings)


class Looker:
    """Runs the readers' database work on a few threads, each call in an application context
    of its own, so a look holds a connection only while it reads."""

    def __init__(self, flask_app: Flask, threads: int) -> None:
        self._app = flask_app
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="push-look")

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, function, args)

    def _call(self, function: Callable[..., T], args: tuple) -> T:
        with self._app.app_context():
            return function(*args)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


LOOKER = web.AppKey("looker", Looker)


def _open(kind: Kind, raw_token: str, last_event_id: str | None) -> tuple[str, Reader]:
    principal = tokens.resolve(raw_token)
    if principal is None:
        raise Unauthorized("Send a valid token as 'Authorization: Bearer <token>'.")
    return principal.token_id, kind.reader(principal, last_event_id)


def _look_many(asked: list[tuple[Kind, Reader, str]]) -> list[str | None]:
    """What is new for each (kind, reader, token) asked, written out; None for a stream whose
    token no longer holds (looked at before every look, so nothing reaches a revoked device).
    One query for all their tokens and, on PostgreSQL, one for all their inboxes."""
    holding = tokens.holding({token_id for _, _, token_id in asked})
    inboxes = {
        n: reader
        for n, (_, reader, token_id) in enumerate(asked)
        if token_id in holding and isinstance(reader, InboxReader)
    }
    found = dict(zip(inboxes, live.look_many(list(inboxes.values())), strict=True))
    written: list[str | None] = []
    for n, (kind, reader, token_id) in enumerate(asked):
        if token_id not in holding:
            written.append(None)
            continue
        events = found[n] if n in found else reader.look()
        written.append(
            "".join(sse_event(event_id, item, kind.schema, kind.name_of) for event_id, item in events)
        )
    return written


class Looks:
    """Looks asked for at about the same moment, made together in one call on a thread: when a
    bedtime wakes thousands of streams, they cost a few statements, not two each."""

    def __init__(self, looker: Looker, threads: int) -> None:
        self._looker = looker
        self._slots = asyncio.Semaphore(threads)
        self._waiting: list[tuple[Kind, Reader, str, asyncio.Future]] = []
        self._running: set[asyncio.Task] = set()
        self._draining = False

    async def look(self, kind: Kind, reader: Reader, token_id: str) -> str | None:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((kind, reader, token_id, future))
        if not self._draining:
            self._draining = True
            self._keep(asyncio.create_task(self._drain()))
        return await future

    def _keep(self, task: asyncio.Task) -> None:
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                await self._slots.acquire()
                batch, self._waiting = self._waiting[:LOOK_BATCH], self._waiting[LOOK_BATCH:]
                self._keep(asyncio.create_task(self._run(batch)))
        finally:
            self._draining = False

    async def _run(self, batch: list[tuple[Kind, Reader, str, asyncio.Future]]) -> None:
        try:
            written = await self._looker.run(
                _look_many, [(kind, reader, token) for kind, reader, token, _ in batch]
            )
        except Exception as error:  # noqa: BLE001 - each waiting stream raises it
            for *_, future in batch:
                if not future.done():
                    future.set_exception(error)
        else:
            for (*_, future), result in zip(batch, written, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            self._slots.release()


LOOKS = web.AppKey("looks", Looks)


def _problem(
    status: int, title: str, detail: str, slug: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = problem_body(status, title, detail, f"urn:voicebox:problem:{slug}")
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": PROBLEM_JSON, **(headers or {})},
    )


def _busy(status: int, detail: str) -> web.Response:
    title = "Service Unavailable" if status == 503 else "Too Many Requests"
    return _problem(status, title, detail, "busy", {"Retry-After": str(RETRY_AFTER_SECONDS)})


async def stream(request: web.Request) -> web.StreamResponse:
    kind = STREAMS[request.path]
    hub, looker, settings = request.app[HUB], request.app[LOOKER], request.app[SETTINGS]
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        error = Unauthorized("Send a valid token as 'Authorization: Bearer <token>'.")
        return _problem(401, error.title, error.detail, error.slug, error.headers)
    try:
        hub.check_room()
        token_id, reader = await looker.run(_open, kind, raw.strip(), request.headers.get("Last-Event-ID"))
        listener = hub.join(reader.topic, token_id)
    except Full:
        return _busy(503, "This server holds as many live streams as it may; reconnect shortly.")
    except TooMany:
        return _busy(429, f"A token may hold {hub.per_token} live streams at once; close one first.")
    except DomainError as error:
        return _problem(error.status, error.title, error.detail, error.slug, error.headers)
    try:
        return await _serve(request, kind, reader, listener, request.app[LOOKS], settings)
    finally:
        hub.leave(listener)


async def _serve(
    request: web.Request,
    kind: Kind,
    reader: Reader,
    listener: Listener,
    looks: Looks,
    settings: Settings,
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", **SSE_HEADERS})
    await response.prepare(request)
    await response.write(SSE_PREAMBLE.encode())
    clock = asyncio.get_running_loop().time
    deadline = clock() + settings.push_stream_seconds
    beat_at = clock() + settings.push_heartbeat_seconds
    look = True
    while True:
        if look:
            listener.woken.clear()
            written = await looks.look(kind, reader, listener.token_id)
            if written is None:
                break
            if written:
                await response.write(written.encode())
                beat_at = clock() + settings.push_heartbeat_seconds
            look_at = clock() + (HURRIED_POLL_SECONDS if reader.hurried else settings.push_poll_seconds)
        now = clock()
        until = min(deadline, beat_at, look_at)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(listener.woken.wait(), timeout=max(until - now, 0))
        if listener.ended or clock() >= deadline:
            break
        look = listener.woken.is_set() or clock() >= look_at
        if clock() >= beat_at:
            await response.write(SSE_KEEP_ALIVE.encode())
            beat_at = clock() + settings.push_heartbeat_seconds
    return response


async def _watch_tokens(app: web.Application) -> None:
    """End the streams of tokens that no longer hold, at once when a revocation is published,
    and every ``VOICEBOX_PUSH_TOKEN_SWEEP_SECONDS`` in case a word was lost: one query for
    every stream of the process."""
    hub, looker = app[HUB], app[LOOKER]
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(hub.revoked.wait(), timeout=app[SETTINGS].push_token_sweep_seconds)
        hub.revoked.clear()
        held_now = hub.token_ids()
        if not held_now:
            continue
        try:
            holding = await looker.run(tokens.holding, held_now)
        except Exception:
            log.exception("could not look at the streams' tokens; trying again")
            continue
        hub.end_tokens(held_now - holding)


def count_streams(app: web.Application) -> None:
    """This process's streams, read by its metrics listener when scraped (one push app a
    process: the ``voicebox push`` command's)."""
    hub = app[HUB]
    Gauge("voicebox_push_streams", "Live streams this push server holds").set_function(lambda: len(hub))
    Gauge("voicebox_push_max_streams", "Live streams this push server may hold").set(hub.max_streams)


async def health(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    return web.json_response({"status": "ok", "streams": len(hub), "max_streams": hub.max_streams})


def create_push_app(flask_app: Flask, upstream: str | None = None) -> web.Application:
    """The push server for ``flask_app``'s settings; with ``upstream`` (``unix:/path`` or
    ``http://host:port``), every other request goes on to the API there."""
    settings: Settings = flask_app.config["VOICEBOX_SETTINGS"]
    app = web.Application()
    app[SETTINGS] = settings
    app[HUB] = Hub(settings.push_max_streams, settings.push_streams_per_token)
    app[LOOKER] = Looker(flask_app, settings.database_pool_size)
    app[LOOKS] = Looks(app[LOOKER], settings.database_pool_size)
    for path in STREAMS:
        app.router.add_get(path, stream)
    app.router.add_get("/push/health", health)
    if upstream:
        proxy.forward_everything_else(app, upstream)
    app.cleanup_ctx.append(_background)
    app.on_shutdown.append(_end_streams)
    return app


async def _end_streams(app: web.Application) -> None:
    app[HUB].end_all()


async def _background(app: web.Application) -> Any:
    settings = app[SETTINGS]
    tasks = [asyncio.create_task(_watch_tokens(app))]
    transport = None
    if settings.redis_url:
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(wakeups.from_redis(settings.redis_url, app[HUB], ready)))
        await asyncio.wait_for(ready.wait(), timeout=10)
    else:
        transport = await wakeups.from_socket(push_socket_path(settings), app[HUB])
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if transport is not None:
        transport.close()
        push_socket_path(settings).unlink(missing_ok=True)
    app[LOOKER].close()


def raise_open_file_limit() -> int:
    """Let this process hold as many connections as the host allows; the limit it now has."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]

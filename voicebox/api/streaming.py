"""Long answers: a blob honouring ``Range`` (200 whole, 206 a part, 416 out of bounds) or a
redirect to a short-lived URL of it; and how a stream of Server-Sent Events reads, which the push
server serves (``voicebox.push``), never the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from flask import Response, redirect, request
from marshmallow import Schema
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wrappers import Response as WerkzeugResponse

from voicebox.errors import Unavailable
from voicebox.services.blobs import BlobStream
from voicebox.storage import BlobInfo

ReadRange = Callable[[int, int], Iterator[bytes]]
RECONNECT_MS = 3000


def blob_response(info: BlobInfo, read: ReadRange, max_age: int) -> Response:
    byte_range = request.range
    span = byte_range.range_for_length(info.size) if byte_range is not None else None
    if byte_range is not None and span is None:
        raise RequestedRangeNotSatisfiable(length=info.size)
    start, stop = span or (0, info.size)
    response = Response(
        read(start, stop),
        status=206 if span else 200,
        mimetype=info.content_type,
        direct_passthrough=True,
    )
    response.content_length = stop - start
    response.accept_ranges = "bytes"
    if span:
        response.content_range = f"bytes {start}-{stop - 1}/{info.size}"
    response.cache_control.private = True
    response.cache_control.max_age = max_age
    return response


def audio_response(audio: str | BlobStream) -> WerkzeugResponse:
    """A service's answer for audio: a URL to redirect to (302), or the bytes themselves."""
    if isinstance(audio, str):
        return redirect(audio, 302)
    return blob_response(audio.info, audio.read, audio.max_age)


# What every stream says first (how soon to reconnect), and between events to keep the line.
SSE_PREAMBLE = f"retry: {RECONNECT_MS}\n\n"
SSE_KEEP_ALIVE = ": keep-alive\n\n"
# What a stream sends: its headers (proxies must not hold events back), and how each event reads.
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse_event(event_id: str, item: Any, schema: Schema, name_of: Callable[[Any], str]) -> str:
    return f"id: {event_id}\nevent: {name_of(item)}\ndata: {schema.dumps(item)}\n\n"


def served_by_push() -> NoReturn:
    """A live stream reached the API. The push server answers them in front of it (``voicebox
    up``, or ``voicebox push`` behind the proxy): a stream held by the API would hold one of
    its threads for as long as it stays open. The route stays, for the OpenAPI document."""
    raise Unavailable(
        "Live streams are served by the push server, and this one reached the API: "
        "route /api/v1/inbox/events and /api/v1/volunteer/events to the push server."
    )

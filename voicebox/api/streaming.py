"""Send a blob over HTTP honouring ``Range`` (200 whole, 206 a part, 416 out of bounds)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import Response, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from voicebox.storage import BlobInfo

ReadRange = Callable[[int, int], Iterator[bytes]]


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

"""Every request counted and timed under its route's template, for the API's metrics listener.

A template (``/api/v1/messages/<id:message_id>``) and never a path: an id in a label would make
a series per message. A request no route matched is counted as ``unrouted``."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from voicebox import metrics

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _start() -> None:
    g.started_at = time.perf_counter()


def _count(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else "unrouted"
    method = request.method if request.method in METHODS else "other"
    metrics.REQUESTS.labels(method, route, str(response.status_code)).inc()
    if "started_at" in g:
        metrics.REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - g.started_at)
    return response


def init_app(app: Flask) -> None:
    # First in, so that the time counts every other hook; last out, after every other.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_count)

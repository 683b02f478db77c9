"""Domain errors, and the one renderer that turns every error into application/problem+json.

Services raise the errors below; the HTTP edge maps them once, here. Werkzeug's HTTP errors
(404 for an unknown route, 405, 413, 429 from the rate limiter, 422 from request parsing) are
rendered in the same shape, and anything unexpected becomes a bare 500 with a request id.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A use case refused: the message is safe to show to the caller."""

    status = 400
    title = "Bad request"
    slug = "bad-request"
    headers: dict[str, str] = {}

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        # Members of the problem besides the standard ones, for a client to act on.
        self.members: dict[str, Any] = {}


class Invalid(DomainError):
    status, title, slug = 422, "Invalid input", "invalid"


class Unauthorized(DomainError):
    status, title, slug = 401, "Not authenticated", "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="voicebox"'}


class Forbidden(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    """Also what a caller gets for something they may not see: no hint that it exists."""

    status, title, slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class TooLarge(DomainError):
    status, title, slug = 413, "Content Too Large", "too-large"


class Gone(DomainError):
    status, title, slug = 410, "Gone", "gone"


class ConsentRequired(DomainError):
    """The guardian has not consented to the privacy policy as it is now, for the child the
    problem names in ``child_id``."""

    status, title, slug = 428, "Precondition Required", "consent-required"

    def __init__(self, detail: str, child_id: str) -> None:
        super().__init__(detail)
        self.members = {"child_id": child_id}


class Unavailable(DomainError):
    """Something the use case needs outside voicebox did not answer; trying again may work."""

    status, title, slug = 503, "Service Unavailable", "unavailable"
    headers = {"Retry-After": "30"}


def problem_body(
    status: int, title: str, detail: str, type_: str = "about:blank", errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem, as every voicebox error answers (the push server's too)."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def problem(
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    errors: dict[str, Any] | None = None,
    members: dict[str, Any] | None = None,
) -> Response:
    body = {**problem_body(status, title, detail, type_, errors), **(members or {})}
    if "request_id" in g:
        body["request_id"] = g.request_id
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def _field_errors(messages: Any) -> dict[str, Any]:
    """webargs reports {location: {field: [...]}}; clients want {field: [...]}."""
    if not isinstance(messages, dict):
        return {"_body": messages}
    flat: dict[str, Any] = {}
    for fields in messages.values():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat.setdefault("_body", []).extend(fields if isinstance(fields, list) else [fields])
    return flat


def _render_domain_error(error: DomainError) -> Response:
    response = problem(
        error.status,
        error.title,
        error.detail,
        f"urn:voicebox:problem:{error.slug}",
        error.errors,
        error.members,
    )
    response.headers.update(error.headers)
    return response


def _render_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data["messages"]) if "messages" in data else None
    if errors and set(errors) == {"_body"}:
        detail, errors = " ".join(str(message) for message in errors["_body"]), None
    elif errors:
        detail = "Some fields are missing or invalid."
    elif status == 429:
        detail = f"Too many attempts ({error.description}); try again after Retry-After seconds."
    else:
        detail = error.description or error.name
    response = problem(status, error.name, detail, errors=errors)
    # Keep what Werkzeug meant to send with the error: Allow on 405, Retry-After on 429.
    for header, value in error.get_headers():
        if header.lower() != "content-type":
            response.headers[header] = value
    return response


def _render_database_error(error: DBAPIError) -> Response:
    if error.connection_invalidated:
        # The database dropped the connection (a restart, a failover): the pool has already let
        # go of every connection made before, so the same request will work once it is back.
        log.warning("database connection lost", extra={"request_id": g.get("request_id")})
        detail, retry_after = "The database connection was lost; try again shortly.", "1"
    elif isinstance(error, OperationalError):
        # It refused the connection, did not answer in time, or cut the statement at the
        # timeout: nothing the request did wrong, and it may work in a moment.
        log.warning("database unavailable: %s", error.orig, extra={"request_id": g.get("request_id")})
        detail, retry_after = "The database cannot be reached just now; try again shortly.", "5"
    else:
        return _render_unexpected(error)
    response = problem(503, "Service Unavailable", detail)
    response.headers["Retry-After"] = retry_after
    return response


def _render_unexpected(error: Exception) -> Response:
    log.exception("unhandled error", extra={"request_id": g.get("request_id")})
    return problem(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, _render_domain_error)
    app.register_error_handler(HTTPException, _render_http_exception)
    app.register_error_handler(DBAPIError, _render_database_error)
    app.register_error_handler(Exception, _render_unexpected)

"""Bearer-token authentication at the HTTP edge; what a caller may do is decided in services."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from voicebox.errors import Unauthorized
from voicebox.services import policy
from voicebox.services.accounts import tokens
from voicebox.services.accounts.tokens import Principal

F = TypeVar("F", bound=Callable[..., Any])


def _bearer_token() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticated(*roles: str, slow_body: bool = False) -> Callable[[F], F]:
    """Require a valid token; with ``roles``, require one of them too (403 otherwise).

    ``slow_body``: the view reads a recording that may take minutes to arrive, so the token's
    transaction ends before it does.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raw = _bearer_token()
            principal = tokens.resolve(raw) if raw else None
            if principal is None:
                raise Unauthorized("Send a valid token as 'Authorization: Bearer <token>'.")
            if roles:
                policy.require_role(principal, *roles)
            if slow_body:
                tokens.detach(principal)
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def current_principal() -> Principal:
    return g.principal

"""The audit trail of help requests: every time a helper or an admin reads or acts on one."""

from __future__ import annotations

from sqlalchemy import insert, select

from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import AuditEntry, Role, User
from voicebox.models.base import new_id
from voicebox.services import paging, policy
from voicebox.services.accounts.tokens import Principal


def record(principal: Principal, action: str, request_id: str) -> None:
    """Note, in the caller's transaction, that a helper or admin touched the request.

    The child's own device is not audited: it is the child reading their own thread.
    """
    if principal.user is None:
        return
    db.session.execute(
        insert(AuditEntry).values(
            id=new_id(),
            at=utcnow(),
            actor_user_id=principal.user.id,
            actor_role=principal.user.role,
            action=action,
            request_id=request_id,
        )
    )


def entries(
    principal: Principal, request_id: str | None, cursor: str | None, limit: int = paging.DEFAULT_LIMIT
) -> paging.Page:
    """The trail, newest first (admins only), optionally of one request."""
    policy.require_role(principal, Role.ADMIN)
    query = select(AuditEntry, User.display_name).outerjoin(User, User.id == AuditEntry.actor_user_id)
    if request_id is not None:
        query = query.where(AuditEntry.request_id == request_id)
    rows, last = paging.newest_first(query, AuditEntry.at, AuditEntry.id, cursor, limit)
    items = [
        {
            "id": entry.id,
            "at": entry.at,
            "actor": {"id": entry.actor_user_id, "display_name": name, "role": entry.actor_role},
            "action": entry.action,
            "request_id": entry.request_id,
        }
        for entry, name in rows
    ]
    next_cursor = paging.encode_cursor(last.AuditEntry.at, last.AuditEntry.id) if last else None
    return paging.Page(items, next_cursor)

"""Who may see and change what. Every access decision about a child is made here.

A resource the caller may not see is reported exactly as one that does not exist (NotFound),
so ids cannot be probed.
"""

from __future__ import annotations

from sqlalchemy import select

from voicebox.errors import Forbidden, NotFound
from voicebox.extensions import db
from voicebox.models import Child, Guardianship
from voicebox.services.tokens import Principal


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise Forbidden("Your account cannot do this.")


def guarded_child(principal: Principal, child_id: str) -> Child:
    """The child, if the caller is one of their guardians; NotFound for anyone else."""
    if principal.user is None:
        raise NotFound("No such child.")
    child = db.session.scalar(
        select(Child)
        .join(Guardianship, Guardianship.child_id == Child.id)
        .where(Child.id == child_id, Guardianship.user_id == principal.user.id)
    )
    if child is None:
        raise NotFound("No such child.")
    return child

"""Issue, resolve and revoke bearer tokens, for users and for children's devices."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import class_mapper, make_transient_to_detached

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Forbidden
from voicebox.extensions import Model, current_settings, db
from voicebox.models import AuthToken, Child, Device, User, UserStatus
from voicebox.services import reads
from voicebox.services.work import end_read, use_case


@dataclass(frozen=True)
class UserPrincipal:
    """A user calling: a parent, a helper, a curator, staff."""

    token_id: str
    user: User
    # Absent for a user, so that code may ask ``principal.device is None`` of either kind.
    device: None = None
    child: None = None

    @property
    def role(self) -> str:
        return self.user.role


@dataclass(frozen=True)
class DevicePrincipal:
    """A child speaking through one paired device."""

    token_id: str
    device: Device
    child: Child
    user: None = None

    @property
    def role(self) -> str:
        return "child"


# Who is calling. A use case that only a user reaches (the policy refused devices before it)
# takes the user through ``user_of``.
Principal = UserPrincipal | DevicePrincipal


def user_of(principal: Principal) -> User:
    """The user ``principal`` speaks for, where the policy lets only users through; a device
    here would be a bug in that policy, refused rather than acted on."""
    if principal.user is None:
        raise Forbidden("Only an account can do this, not a paired device.")
    return principal.user


def hash_secret(raw: str) -> str:
    """Tokens and codes are stored as SHA-256: a leaked table gives no usable credential."""
    return hashlib.sha256(raw.encode()).hexdigest()


# Codes people read aloud (over a phone call to a grandparent, off a blackboard): no 0/O or
# 1/I/L to confuse.
READABLE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def readable_code(length: int) -> str:
    """A random code of ``length`` characters a person can read out and type back."""
    return "".join(secrets.choice(READABLE_ALPHABET) for _ in range(length))


def issue(*, user: User | None = None, device: Device | None = None) -> str:
    """Add a token for the user or the device to the session; return its only plain copy."""
    settings = current_settings()
    days = settings.device_token_ttl_days if device is not None else settings.user_token_ttl_days
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AuthToken(
            token_hash=hash_secret(raw),
            user_id=user.id if user is not None else None,
            device_id=device.id if device is not None else None,
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    return raw


M = TypeVar("M", bound=Model)
# Published when tokens stop holding, so that the push server ends their streams at once
# rather than at its next sweep.
REVOKED_TOPIC = "tokens:revoked"
# Token ids asked about in one statement.
HOLDING_BATCH = 1000
# A token speaks for someone while it is neither revoked nor expired, nor its device unpaired,
# nor its user suspended.
_HOLDS = (
    AuthToken.revoked_at.is_(None),
    AuthToken.expires_at > bindparam("now"),
    or_(AuthToken.device_id.is_(None), Device.revoked_at.is_(None)),
    or_(AuthToken.user_id.is_(None), User.status != UserStatus.SUSPENDED),
)
# Whom a token may speak for. They are read as plain columns, labelled ``<table>_<attribute>``,
# and made ORM objects by ``_attached``: loading them through an ORM session and merging them
# into the request's cost more than the rest of a request like GET /me.
_PRINCIPALS: tuple[type[Model], ...] = (User, Device, Child)
# Each one's attributes and the labels they are read under, named once rather than per request.
_LABELS = {
    model: {prop.key: f"{model.__tablename__}_{prop.key}" for prop in class_mapper(model).column_attrs}
    for model in _PRINCIPALS
}
# Every authenticated request runs this; built once, so a request only binds parameters.
_RESOLVE = (
    select(
        AuthToken.id,
        *(
            prop.columns[0].label(_LABELS[model][prop.key])
            for model in _PRINCIPALS
            for prop in class_mapper(model).column_attrs
        ),
    )
    .outerjoin(User, AuthToken.user_id == User.id)
    .outerjoin(Device, AuthToken.device_id == Device.id)
    .outerjoin(Child, Device.child_id == Child.id)
    .where(AuthToken.token_hash == bindparam("token_hash"), *_HOLDS)
)
# Token ids that still hold, of those the caller picks.
_HELD = (
    select(AuthToken.id)
    .outerjoin(User, AuthToken.user_id == User.id)
    .outerjoin(Device, AuthToken.device_id == Device.id)
    .where(*_HOLDS)
)
_STILL_HOLDS = _HELD.where(AuthToken.id == bindparam("token_id"))


def resolve(raw: str) -> Principal | None:
    """The principal a token speaks for, or None if it is unknown, expired or revoked.

    Every authenticated request starts here, so it costs one round trip: the lookup is one
    committed read (``reads``), and the pool does not ping connections before use. What it
    loads joins the request's session without being read again.
    """
    params = {"token_hash": hash_secret(raw), "now": utcnow()}
    try:
        row = _lookup(params)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        # The database restarted under the pool; SQLAlchemy has discarded every connection
        # made before, so the second try connects afresh.
        row = _lookup(params)
    if row is None:
        return None
    device, child = _attached(Device, row._mapping), _attached(Child, row._mapping)
    if device is not None and child is not None:
        return DevicePrincipal(token_id=row.id, device=device, child=child)
    user = _attached(User, row._mapping)
    return UserPrincipal(token_id=row.id, user=user) if user is not None else None


def still_holds(token_id: str) -> bool:
    """Whether the token still speaks for someone: a long-lived stream asks every few seconds."""
    with reads.committed() as connection:
        return connection.execute(_STILL_HOLDS, {"token_id": token_id, "now": utcnow()}).first() is not None


def holding(token_ids: Collection[str]) -> set[str]:
    """Which of these tokens still speak for someone: the push server asks for all of its
    streams at once, every few seconds."""
    held: set[str] = set()
    ids = list(token_ids)
    with reads.committed() as connection:
        for start in range(0, len(ids), HOLDING_BATCH):
            query = _HELD.where(AuthToken.id.in_(ids[start : start + HOLDING_BATCH]))
            held.update(connection.scalars(query, {"now": utcnow()}))
    return held


def _lookup(params: dict) -> Row | None:
    with reads.committed() as connection:
        return connection.execute(_RESOLVE, params).first()


def _attached(model: type[M], row: Any) -> M | None:
    """The ``model`` instance whose columns ``row`` holds, in the request's session as though the
    session had loaded it (no query, nothing to flush); None if the row holds none."""
    mapper = class_mapper(model)
    values = {key: row[label] for key, label in _LABELS[model].items()}
    identity = tuple(values[mapper.get_property_by_column(column).key] for column in mapper.primary_key)
    if identity[0] is None:
        return None
    key = mapper.identity_key_from_primary_key(identity)
    known = db.session.identity_map.get(key)
    if known is not None:
        return known
    instance = model(**values)
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


def sessions(user_id: str) -> list[AuthToken]:
    """The user's tokens that still work, newest first."""
    working = (
        select(AuthToken)
        .outerjoin(User, AuthToken.user_id == User.id)
        .outerjoin(Device, AuthToken.device_id == Device.id)
        .where(AuthToken.user_id == user_id, *_HOLDS)
        .order_by(AuthToken.created_at.desc(), AuthToken.id)
    )
    return list(db.session.scalars(working, {"now": utcnow()}))


def revoke_all(user_id: str, keep: str | None = None) -> None:
    """Revoke every token of the user but ``keep`` (in the caller's transaction)."""
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None), AuthToken.id != (keep or ""))
        .values(revoked_at=utcnow())
    )
    jobs.wake(REVOKED_TOPIC)


@use_case
def revoke(token_id: str) -> None:
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.id == token_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    jobs.wake(REVOKED_TOPIC)


def detach(principal: Principal) -> None:
    """End the request's transaction now, keeping what ``principal`` has loaded.

    For requests whose body may take minutes to arrive over a weak network: the database
    connection goes back to the pool instead of idling in a transaction meanwhile.
    """
    db.session.expunge_all()
    end_read()

"""A child's devices: pairing codes, pairing, listing and revoking."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Gone, NotFound
from voicebox.extensions import current_settings, db
from voicebox.models import AuthToken, Child, Device, PairingCode
from voicebox.services import policy
from voicebox.services.accounts import tokens
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.work import changed, use_case

CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Pairing:
    token: str
    child: Child
    device: Device


@use_case
def issue_pairing_code(principal: Principal, child_id: str) -> PairingCode:
    """A fresh code for the child; any earlier unused code of theirs stops working."""
    child = policy.guarded_child(principal, child_id)
    now = utcnow()
    db.session.execute(
        delete(PairingCode).where(PairingCode.child_id == child.id, PairingCode.used_at.is_(None))
    )
    for _ in range(CODE_ATTEMPTS):
        code = f"{secrets.randbelow(10**6):06d}"
        # A spent or expired row keeps its code reserved until it is swept; free it now.
        db.session.execute(
            delete(PairingCode).where(
                PairingCode.code == code,
                or_(PairingCode.used_at.is_not(None), PairingCode.expires_at <= now),
            )
        )
        pairing = PairingCode(
            code=code,
            child_id=child.id,
            created_by=user_of(principal).id,
            expires_at=now + timedelta(seconds=current_settings().pairing_code_ttl_seconds),
        )
        try:
            with db.session.begin_nested():
                db.session.add(pairing)
        except IntegrityError:
            continue  # the code is live for another child: draw again
        return pairing
    raise RuntimeError("no free pairing code after several draws")


@use_case
def pair(code: str, device_name: str) -> Pairing:
    pairing = db.session.scalar(select(PairingCode).where(PairingCode.code == code))
    if pairing is None:
        raise NotFound("No such pairing code.")
    now = utcnow()
    # The conditional update is the single-use guarantee, even for two phones racing.
    used = changed(
        update(PairingCode)
        .where(PairingCode.id == pairing.id, PairingCode.used_at.is_(None), PairingCode.expires_at > now)
        .values(used_at=now)
    )
    if used != 1:
        raise Gone("This pairing code has expired or was already used; ask for a new one.")
    device = Device(child_id=pairing.child_id, name=device_name)
    db.session.add(device)
    db.session.flush()
    token = tokens.issue(device=device)
    return Pairing(token, db.session.get_one(Child, pairing.child_id), device)


def list_devices(principal: Principal, child_id: str) -> list[Device]:
    child = policy.guarded_child(principal, child_id)
    return list(
        db.session.scalars(
            select(Device)
            .where(Device.child_id == child.id, Device.revoked_at.is_(None))
            .order_by(Device.paired_at, Device.id)
        )
    )


@use_case
def revoke_device(principal: Principal, child_id: str, device_id: str) -> None:
    """Unpair the device; its token stops working with the very next request."""
    child = policy.guarded_child(principal, child_id)
    device = db.session.scalar(
        select(Device).where(Device.id == device_id, Device.child_id == child.id, Device.revoked_at.is_(None))
    )
    if device is None:
        raise NotFound("No such device.")
    unpair(child.id, device.id)


def unpair(child_id: str, device_id: str | None = None) -> None:
    """Unpair one of the child's devices (or all of them) and revoke their tokens, in the
    caller's transaction."""
    now = utcnow()
    which = [Device.child_id == child_id, Device.revoked_at.is_(None)]
    if device_id is not None:
        which.append(Device.id == device_id)
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.device_id.in_(select(Device.id).where(*which)), AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(update(Device).where(*which).values(revoked_at=now))
    jobs.wake(tokens.REVOKED_TOPIC)

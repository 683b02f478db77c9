"""Children and their guardians: create a child with consent, invite a second guardian."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from sqlalchemy import delete, select, update

from voicebox.clock import utcnow
from voicebox.errors import Conflict, Gone, Invalid, NotFound
from voicebox.extensions import current_settings, db
from voicebox.models import (
    Child,
    Consent,
    Delivery,
    GuardianInvite,
    Guardianship,
    Message,
    Relation,
    Role,
    User,
)
from voicebox.models.base import new_id
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal, hash_secret, readable_code, user_of
from voicebox.services.local_times import parse_hhmm
from voicebox.services.scheduling import schedules
from voicebox.services.work import changed, use_case

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Unset:
    """An optional field the caller left out, as opposed to one set to null."""


UNSET = Unset()
OLDEST_CHILD_AGE = 18
INVITE_LENGTH = 10


@dataclass(frozen=True)
class Invite:
    id: str
    code: str  # its only plain copy: the row keeps a hash
    expires_at: datetime


@dataclass(frozen=True)
class GuardianView:
    id: str
    display_name: str
    relation: str


def _check_consent(consent: bool) -> None:
    if consent is not True:
        raise Invalid(
            "A guardian must consent to the privacy policy before a child's data is stored.",
            {"guardian_consent": ["Must be true."]},
        )


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _check_timezone(name: str) -> str:
    if name not in _known_zones():
        raise Invalid("Unknown time zone.", {"timezone": ["Use an IANA zone like Asia/Shanghai."]})
    return name


def _record_consent(child_id: str, guardian_id: str) -> None:
    db.session.add(
        Consent(
            child_id=child_id,
            guardian_id=guardian_id,
            policy_version=current_settings().consent_policy_version,
        )
    )


@use_case
def create_child(
    principal: Principal,
    display_name: str,
    birth_year: int,
    guardian_consent: bool,
    timezone: str | None = None,
) -> Child:
    policy.require_role(principal, Role.PARENT)
    _check_consent(guardian_consent)
    this_year = utcnow().year
    if not this_year - OLDEST_CHILD_AGE <= birth_year <= this_year:
        raise Invalid(
            "That birth year is not a child's.",
            {"birth_year": [f"Must be between {this_year - OLDEST_CHILD_AGE} and {this_year}."]},
        )
    child = Child(
        display_name=display_name,
        birth_year=birth_year,
        timezone=_check_timezone(timezone or DEFAULT_TIMEZONE),
    )
    child.quiet_start, child.quiet_end = default_quiet_hours()
    db.session.add(child)
    db.session.flush()
    db.session.add(Guardianship(child_id=child.id, user_id=user_of(principal).id, relation=Relation.PARENT))
    _record_consent(child.id, user_of(principal).id)
    return child


def default_quiet_hours() -> tuple[int | None, int | None]:
    window = current_settings().quiet_hours
    if window == "off":
        return None, None
    start, end = window.split("-")
    return parse_hhmm(start), parse_hhmm(end)


@use_case
def update_child(
    principal: Principal,
    child_id: str,
    timezone: str | None = None,
    quiet_hours: dict[str, str] | None | Unset = UNSET,
) -> Child:
    """Change a child's zone or quiet hours (None: no quiet hours). Schedules follow the zone;
    deliveries already planned keep their times, and the guardian can move them one by one."""
    child = policy.guarded_child(principal, child_id)
    if timezone is not None and timezone != child.timezone:
        child.timezone = _check_timezone(timezone)
        schedules.follow_zone(child)
    if quiet_hours is None:
        child.quiet_start = child.quiet_end = None
    elif not isinstance(quiet_hours, Unset):
        try:
            child.quiet_start, child.quiet_end = (
                parse_hhmm(quiet_hours["start"]),
                parse_hhmm(quiet_hours["end"]),
            )
        except ValueError:
            raise Invalid(
                "Quiet hours are two HH:MM times.", {"quiet_hours": ["Use HH:MM, e.g. 21:30."]}
            ) from None
    return child


def list_children(principal: Principal) -> list[Child]:
    if principal.user is None:
        return []
    return list(
        db.session.scalars(
            select(Child)
            .join(Guardianship, Guardianship.child_id == Child.id)
            .where(Guardianship.user_id == principal.user.id)
            .order_by(Child.created_at, Child.id)
        )
    )


def get_child(principal: Principal, child_id: str) -> Child:
    return policy.guarded_child(principal, child_id)


def list_guardians(principal: Principal, child_id: str) -> list[GuardianView]:
    child = policy.guarded_child(principal, child_id)
    rows = db.session.execute(
        select(User, Guardianship.relation)
        .join(Guardianship, Guardianship.user_id == User.id)
        .where(Guardianship.child_id == child.id)
        .order_by(Guardianship.created_at)
    )
    return [GuardianView(user.id, user.display_name, relation) for user, relation in rows]


@use_case
def consent_again(principal: Principal, child_id: str, guardian_consent: bool) -> Child:
    """A guardian consents to the privacy policy as it is now (after it changed)."""
    child = policy.guarded_child(principal, child_id, consented=False)
    _check_consent(guardian_consent)
    _record_consent(child.id, user_of(principal).id)
    return child


@use_case
def invite_guardian(principal: Principal, child_id: str, relation: str) -> Invite:
    child = policy.guarded_child(principal, child_id)
    code = readable_code(INVITE_LENGTH)
    expires_at = utcnow() + timedelta(hours=current_settings().invite_ttl_hours)
    invite = GuardianInvite(
        id=new_id(),
        code_hash=hash_secret(code),
        child_id=child.id,
        created_by=user_of(principal).id,
        relation=relation,
        expires_at=expires_at,
    )
    db.session.add(invite)
    return Invite(invite.id, code, expires_at)


def list_invites(principal: Principal, child_id: str) -> list[GuardianInvite]:
    """The child's invitations still waiting to be used, oldest first (never their codes)."""
    child = policy.guarded_child(principal, child_id)
    return list(
        db.session.scalars(
            select(GuardianInvite)
            .where(
                GuardianInvite.child_id == child.id,
                GuardianInvite.used_at.is_(None),
                GuardianInvite.expires_at > utcnow(),
            )
            .order_by(GuardianInvite.created_at, GuardianInvite.id)
        )
    )


@use_case
def cancel_invite(principal: Principal, child_id: str, invite_id: str) -> None:
    """A guardian takes back an invitation nobody has used; its code stops working."""
    child = policy.guarded_child(principal, child_id)
    invite = db.session.scalar(
        select(GuardianInvite)
        .where(GuardianInvite.id == invite_id, GuardianInvite.child_id == child.id)
        .with_for_update()
    )
    if invite is None:
        raise NotFound("No such invitation.")
    if invite.used_at is not None:
        raise Conflict("This invitation was used already; remove the guardian instead.")
    db.session.delete(invite)


@use_case
def remove_guardian(principal: Principal, child_id: str, user_id: str) -> None:
    """A guardian removes another (or leaves, which needs no consent to a changed policy); a
    child always keeps one. The one removed loses the child's messages from their inbox."""
    leaving = principal.user is not None and user_id == principal.user.id
    child = policy.guarded_child(principal, child_id, consented=not leaving)
    # The child's row locked: two guardians removing each other at once cannot both succeed.
    db.session.execute(select(Child.id).where(Child.id == child.id).with_for_update())
    guardians = list(
        db.session.scalars(select(Guardianship.user_id).where(Guardianship.child_id == child.id))
    )
    if user_id not in guardians:
        raise NotFound("No such guardian of this child.")
    if len(guardians) == 1:
        raise Conflict("A child keeps at least one guardian; invite another before leaving.")
    db.session.execute(
        delete(Guardianship).where(Guardianship.child_id == child.id, Guardianship.user_id == user_id)
    )
    from_child = select(Message.id).where(Message.child_id == child.id)
    db.session.execute(
        delete(Delivery).where(Delivery.user_id == user_id, Delivery.message_id.in_(from_child))
    )


@use_case
def accept_invite(principal: Principal, code: str, guardian_consent: bool) -> Child:
    policy.require_role(principal, Role.PARENT)
    _check_consent(guardian_consent)
    user_id = user_of(principal).id
    invite = db.session.scalar(
        select(GuardianInvite).where(GuardianInvite.code_hash == hash_secret(code.strip().upper()))
    )
    if invite is None:
        raise NotFound("No such invitation code.")
    already = db.session.get(Guardianship, (invite.child_id, user_id))
    if already is not None:
        raise Conflict("You already look after this child.")
    now = utcnow()
    # One statement decides who uses the code, so two people racing for it cannot both win.
    claimed = changed(
        update(GuardianInvite)
        .where(
            GuardianInvite.id == invite.id,
            GuardianInvite.used_at.is_(None),
            GuardianInvite.expires_at > now,
        )
        .values(used_at=now, used_by=user_id)
    )
    if claimed != 1:
        raise Gone("This invitation has expired or was already used; ask for a new one.")
    db.session.add(Guardianship(child_id=invite.child_id, user_id=user_id, relation=invite.relation))
    _record_consent(invite.child_id, user_id)
    return db.session.get_one(Child, invite.child_id)

"""Accounts: register, log in and out, make admins, approve volunteers."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voicebox.clock import utcnow
from voicebox.errors import Conflict, Invalid, NotFound, Unauthorized
from voicebox.extensions import db
from voicebox.models import Role, User, UserStatus
from voicebox.services.accounts import tokens
from voicebox.services.accounts.tokens import Principal
from voicebox.services.work import use_case

_hasher = PasswordHasher()
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
SELF_SERVICE_ROLES = (Role.PARENT, Role.VOLUNTEER)
STAFF_ROLES = (Role.ADMIN, Role.SUPERVISOR)
MIN_PASSWORD, MAX_PASSWORD = 8, 128
MAX_DISPLAY_NAME = 40


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the phone is unknown, so a wrong phone costs as long as a wrong password."""
    return _hasher.hash("voicebox-timing-equaliser")


@dataclass(frozen=True)
class Session:
    token: str
    user: User


def normalise_phone(raw: str) -> str:
    """E.164. A number written without a country code is taken as a Chinese mobile (+86)."""
    phone = re.sub(r"[\s().-]", "", raw)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not phone.startswith("+"):
        phone = "+86" + phone
    if not _PHONE.match(phone):
        raise Invalid("That is not a phone number.", {"phone": ["Not a valid phone number."]})
    return phone


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            "The password is too short or too long.",
            {"password": [f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters."]},
        )


def _create_user(phone: str, password: str, display_name: str, role: Role) -> User:
    _check_password(password)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME:
        raise Invalid(
            "The display name is empty or too long.",
            {"display_name": [f"Use 1 to {MAX_DISPLAY_NAME} characters."]},
        )
    status = UserStatus.PENDING if role is Role.VOLUNTEER else UserStatus.ACTIVE
    user = User(
        phone=normalise_phone(phone),
        password_hash=_hasher.hash(password),
        display_name=display_name,
        role=role,
        status=status,
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            "An account with this phone number already exists.", {"phone": ["Already registered."]}
        ) from None
    return user


@use_case
def register(phone: str, password: str, display_name: str, role: str) -> Session:
    if role not in SELF_SERVICE_ROLES:
        raise Invalid("Choose parent or volunteer.", {"role": ["Must be parent or volunteer."]})
    user = _create_user(phone, password, display_name, Role(role))
    token = tokens.issue(user=user)
    return Session(token, user)


@use_case
def login(phone: str, password: str) -> Session:
    try:
        normalised = normalise_phone(phone)
    except Invalid:
        normalised = None
    user = db.session.scalar(select(User).where(User.phone == normalised)) if normalised else None
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Unauthorized("The phone number or the password is wrong.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    token = tokens.issue(user=user)
    return Session(token, user)


@use_case
def create_staff(phone: str, password: str, display_name: str, role: Role) -> User:
    """Admins and supervisors are made by an operator, never through self-service sign-up."""
    if role not in STAFF_ROLES:
        raise Invalid("Staff are admins or supervisors.", {"role": ["Must be admin or supervisor."]})
    return _create_user(phone, password, display_name, role)


@use_case
def approve_volunteer(user_id: str) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.VOLUNTEER:
        raise NotFound("No such volunteer.")
    user.status = UserStatus.APPROVED
    return user


def list_volunteers(status: str | None) -> list[User]:
    query = select(User).where(User.role == Role.VOLUNTEER).order_by(User.created_at)
    if status is not None:
        query = query.where(User.status == status)
    return list(db.session.scalars(query))


def logout(principal: Principal) -> None:
    """Revoke the calling token; a device that logs out is unpaired, as if a guardian revoked it."""
    if principal.device is not None:
        principal.device.revoked_at = utcnow()
    tokens.revoke(principal.token_id)

"""Accounts: register, log in and out, passwords and sessions, make admins, volunteers' standing."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from voicebox.extensions import current_settings, db
from voicebox.models import CodePurpose, Role, User, UserStatus
from voicebox.services.accounts import phone_codes, tokens
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
def send_phone_code(phone: str, purpose: str) -> None:
    """Text a one-time code for sign-up or a forgotten password, once this commits. It answers
    the same whether or not the number has an account; only the text says which, to whoever
    holds the phone."""
    normalised = normalise_phone(phone)
    registered = db.session.scalar(select(User.id).where(User.phone == normalised)) is not None
    if purpose == CodePurpose.REGISTER and registered:
        text = (
            "【voicebox】这个号码已有账号：请登录，忘记密码可以重设。"
            " This number already has a voicebox account: sign in, or reset your password."
        )
    elif purpose == CodePurpose.RESET and not registered:
        text = (
            "【voicebox】没有账号使用这个号码，可以用它注册。"
            " No voicebox account uses this number; you can sign up with it."
        )
    else:
        code = phone_codes.issue(normalised, purpose)
        minutes = current_settings().phone_code_ttl_seconds // 60
        text = (
            f"【voicebox】验证码 {code}，{minutes} 分钟内有效，请勿告诉任何人。"
            f" Your voicebox code is {code}; it works for {minutes} minutes. Never tell it to anyone."
        )
    # After the commit, like every side effect: a code is texted only once it is stored, and
    # a gateway that is slow or down holds no request and no transaction (the task retries).
    jobs.enqueue(jobs.SEND_TEXT, normalised, text)


@use_case
def register(phone: str, password: str, display_name: str, role: str, code: str | None = None) -> Session:
    """A new account; with phone verification on, ``code`` is the one texted to ``phone``."""
    if role not in SELF_SERVICE_ROLES:
        raise Invalid("Choose parent or volunteer.", {"role": ["Must be parent or volunteer."]})
    if current_settings().phone_verification:
        if not code:
            raise Invalid("Enter the code we texted to this number.", {"code": ["Required."]})
        phone_codes.use(normalise_phone(phone), CodePurpose.REGISTER, code)
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
    if user.status == UserStatus.SUSPENDED:
        raise Forbidden("This account is suspended; the help desk's admins can reinstate it.")
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


def set_volunteer_status(
    user_id: str, allowed_from: tuple[UserStatus, ...], to: UserStatus, refusal: str
) -> User:
    """Move a volunteer to ``to`` from one of ``allowed_from`` (in the caller's transaction);
    already there, nothing changes; from anywhere else, Conflict with ``refusal``."""
    user = db.session.get(User, user_id, with_for_update=True)
    if user is None or user.role != Role.VOLUNTEER:
        raise NotFound("No such volunteer.")
    if user.status != to:
        if user.status not in allowed_from:
            raise Conflict(refusal)
        user.status = to
    return user


@use_case
def approve_volunteer(user_id: str) -> User:
    return set_volunteer_status(
        user_id,
        (UserStatus.PENDING, UserStatus.REJECTED),
        UserStatus.APPROVED,
        "A suspended volunteer is reinstated, not approved.",
    )


@use_case
def reject_volunteer(user_id: str) -> User:
    """Turn down an applicant: their account stays, and takes no help requests."""
    return set_volunteer_status(
        user_id,
        (UserStatus.PENDING,),
        UserStatus.REJECTED,
        "Only an applicant waiting for approval is rejected.",
    )


@use_case
def reinstate_volunteer(user_id: str) -> User:
    return set_volunteer_status(
        user_id, (UserStatus.SUSPENDED,), UserStatus.APPROVED, "Only a suspended volunteer is reinstated."
    )


def list_volunteers(status: str | None) -> list[User]:
    query = select(User).where(User.role == Role.VOLUNTEER).order_by(User.created_at)
    if status is not None:
        query = query.where(User.status == status)
    return list(db.session.scalars(query))


@use_case
def logout(principal: Principal) -> None:
    """Revoke the calling token; a device that logs out is unpaired, as if a guardian revoked it."""
    if principal.device is not None:
        principal.device.revoked_at = utcnow()
    tokens.revoke(principal.token_id)


def own_account(principal: Principal) -> User:
    """The caller's own account; a child's device has none."""
    if principal.user is None:
        raise Forbidden("A child's device has no account of its own.")
    return principal.user


def check_password_of(user: User, password: str, field: str = "password") -> None:
    """Invalid unless ``password`` is the user's (asked again before what cannot be undone)."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Invalid("The password is wrong.", {field: ["Not your password."]}) from None


@use_case
def change_password(principal: Principal, current_password: str, new_password: str) -> None:
    """A new password; every other session of the account ends, this one stays."""
    user = own_account(principal)
    check_password_of(user, current_password, "current_password")
    _check_password(new_password)
    user.password_hash = _hasher.hash(new_password)
    tokens.revoke_all(user.id, keep=principal.token_id)


@use_case
def sign_out_everywhere(principal: Principal) -> None:
    """End every session of the account, this one too (a lost or shared phone)."""
    tokens.revoke_all(own_account(principal).id)


@dataclass(frozen=True)
class SessionView:
    id: str
    created_at: datetime
    expires_at: datetime
    current: bool


def list_sessions(principal: Principal) -> list[SessionView]:
    """The account's sessions that still work, newest first; ``current`` is the caller's."""
    user = own_account(principal)
    return [
        SessionView(token.id, token.created_at, token.expires_at, token.id == principal.token_id)
        for token in tokens.sessions(user.id)
    ]


@use_case
def end_session(principal: Principal, session_id: str) -> None:
    user = own_account(principal)
    if session_id not in {token.id for token in tokens.sessions(user.id)}:
        raise NotFound("No such session.")
    tokens.revoke(session_id)


@use_case
def reset_password(phone: str, code: str, new_password: str) -> None:
    """A forgotten password replaced, with the code texted to the account's number; every
    session of the account ends."""
    _check_password(new_password)
    normalised = normalise_phone(phone)
    phone_codes.use(normalised, CodePurpose.RESET, code)
    user = db.session.scalar(select(User).where(User.phone == normalised).with_for_update())
    if user is None:  # the number's account went away after its code was sent
        raise NotFound("No account uses this number.")
    user.password_hash = _hasher.hash(new_password)
    tokens.revoke_all(user.id)

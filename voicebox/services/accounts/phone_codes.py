"""One-time codes by SMS: issued for a phone and a purpose, hashed, short-lived, single use.

A code is checked by one conditional update, so two requests racing with the right code use it
once; MAX_ATTEMPTS wrong guesses void it, so six digits cannot be walked through.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from voicebox.clock import utcnow
from voicebox.errors import Invalid
from voicebox.extensions import current_settings, db
from voicebox.models import PhoneCode
from voicebox.services import reads
from voicebox.services.accounts.tokens import hash_secret
from voicebox.services.work import changed

CODE_DIGITS = 6
MAX_ATTEMPTS = 5


def issue(phone: str, purpose: str) -> str:
    """A new code for ``phone`` (E.164) and ``purpose``, in the caller's transaction; earlier
    unused ones stop working. Returns its only plain copy."""
    now = utcnow()
    db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.phone == phone, PhoneCode.purpose == purpose, PhoneCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    ttl = timedelta(seconds=current_settings().phone_code_ttl_seconds)
    db.session.add(
        PhoneCode(
            phone=phone, purpose=purpose, code_hash=_hash(phone, code), created_at=now, expires_at=now + ttl
        )
    )
    return code


def use(phone: str, purpose: str, code: str) -> None:
    """Use the code sent to ``phone`` for ``purpose``; Invalid if it is wrong, used, expired or
    out of guesses. Call it before the use case writes anything: the guess is counted in a
    transaction of its own, so that the refusal, which rolls the caller's back, keeps it."""
    now = utcnow()
    code_row = aliased(PhoneCode)  # not correlated with the row the update looks at
    newest = (
        select(code_row.id)
        .where(
            code_row.phone == phone,
            code_row.purpose == purpose,
            code_row.used_at.is_(None),
            code_row.expires_at > now,
        )
        .order_by(code_row.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    with reads.committed() as connection:
        guessed = connection.execute(
            update(PhoneCode)
            .where(PhoneCode.id == newest, PhoneCode.attempts < MAX_ATTEMPTS)
            .values(attempts=PhoneCode.attempts + 1)
            .returning(PhoneCode.id, PhoneCode.code_hash)
        ).first()
    right = guessed is not None and secrets.compare_digest(guessed.code_hash, _hash(phone, code.strip()))
    # Conditional: of two requests racing with the right code, one uses it.
    if (
        guessed is None
        or not right
        or not changed(
            update(PhoneCode)
            .where(PhoneCode.id == guessed.id, PhoneCode.used_at.is_(None))
            .values(used_at=now)
        )
    ):
        raise Invalid(
            "That code is wrong or has expired; ask for a new one.", {"code": ["Wrong or expired."]}
        )


def _hash(phone: str, code: str) -> str:
    # The phone in the hash: a six-digit code alone is as good as plain text to a table leak.
    return hash_secret(f"{phone}\n{code}")

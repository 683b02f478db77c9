"""Sweeps of credentials nobody can use any more: expired tokens, pairing codes, invitations,
codes texted to a phone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from voicebox.clock import utcnow
from voicebox.models import AuthToken, GuardianInvite, PairingCode, PhoneCode
from voicebox.services.work import changed, use_case

# Revoked and expired tokens are kept a while so a support request about "why was I logged
# out" can still be answered, then removed.
TOKEN_GRACE = timedelta(days=7)


@use_case
def purge_expired_credentials() -> dict[str, int]:
    """Delete what can no longer authenticate anyone; running it twice deletes nothing more."""
    now = utcnow()
    removed = {
        "tokens": changed(
            delete(AuthToken).where(
                or_(AuthToken.expires_at < now - TOKEN_GRACE, AuthToken.revoked_at < now - TOKEN_GRACE)
            )
        ),
        "pairing_codes": changed(
            delete(PairingCode).where(or_(PairingCode.expires_at < now, PairingCode.used_at.is_not(None)))
        ),
        "guardian_invites": changed(
            delete(GuardianInvite).where(GuardianInvite.expires_at < now, GuardianInvite.used_at.is_(None))
        ),
        "phone_codes": changed(
            delete(PhoneCode).where(or_(PhoneCode.expires_at < now, PhoneCode.used_at.is_not(None)))
        ),
    }
    return removed

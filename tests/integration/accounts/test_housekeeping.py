"""Sweeping dead credentials removes exactly what can no longer be used."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from tests.conftest import Api
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import AuthToken, CodePurpose, GuardianInvite, PairingCode
from voicebox.services.accounts import housekeeping
from voicebox.services.accounts import phone_codes as codes


def test_purge_removes_only_the_dead(app: Flask, parent: Api, make_child, pair_device) -> None:
    child = make_child()
    pair_device(child["id"])  # a used pairing code
    parent.post(f"/children/{child['id']}/pairing-code")  # a live one
    parent.post(f"/children/{child['id']}/guardian-invites", {})
    old = utcnow() - timedelta(days=30)
    with app.app_context():
        db.session.execute(update(GuardianInvite).values(expires_at=old))
        db.session.execute(update(AuthToken).where(AuthToken.device_id.is_not(None)).values(expires_at=old))
        db.session.commit()
        codes.issue("+8613800000001", CodePurpose.REGISTER)
        codes.issue("+8613800000001", CodePurpose.REGISTER)  # voids the first
        db.session.commit()
        assert housekeeping.purge_expired_credentials() == {
            "tokens": 1,
            "pairing_codes": 1,
            "guardian_invites": 1,
            "phone_codes": 1,
        }
        assert housekeeping.purge_expired_credentials() == {
            "tokens": 0,
            "pairing_codes": 0,
            "guardian_invites": 0,
            "phone_codes": 0,
        }
        assert len(db.session.scalars(select(PairingCode)).all()) == 1
    assert parent.get("/me").status_code == 200

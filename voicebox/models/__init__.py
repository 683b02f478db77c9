"""The models, one module per aggregate; importing this package registers them all."""

from voicebox.models.child import Child, Consent, GuardianInvite, Guardianship, Relation
from voicebox.models.device import Device, PairingCode
from voicebox.models.token import AuthToken
from voicebox.models.user import Role, User, UserStatus

__all__ = [
    "AuthToken",
    "Child",
    "Consent",
    "Device",
    "GuardianInvite",
    "Guardianship",
    "PairingCode",
    "Relation",
    "Role",
    "User",
    "UserStatus",
]

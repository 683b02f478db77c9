"""The models, one module per aggregate; importing this package registers them all."""

from voicebox.models.child import Child, Consent, GuardianInvite, Guardianship, Relation
from voicebox.models.device import Device, PairingCode
from voicebox.models.helpdesk import (
    AuditEntry,
    Category,
    HelpEvent,
    HelpEventKind,
    HelpReply,
    HelpRequest,
    HelpStatus,
    Outcome,
    Volunteer,
    WaitingFor,
)
from voicebox.models.message import Delivery, Direction, Kind, Message, MessageStatus
from voicebox.models.token import AuthToken
from voicebox.models.upload import Upload, UploadChunk
from voicebox.models.user import Role, User, UserStatus

__all__ = [
    "AuditEntry",
    "Category",
    "HelpEvent",
    "HelpEventKind",
    "HelpReply",
    "HelpRequest",
    "HelpStatus",
    "Outcome",
    "Volunteer",
    "WaitingFor",
    "AuthToken",
    "Child",
    "Consent",
    "Delivery",
    "Device",
    "Direction",
    "GuardianInvite",
    "Guardianship",
    "Kind",
    "Message",
    "MessageStatus",
    "PairingCode",
    "Relation",
    "Role",
    "Upload",
    "UploadChunk",
    "User",
    "UserStatus",
]

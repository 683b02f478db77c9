"""The models, one module per aggregate; importing this package registers them all."""

from voicebox.models.child import Child, Consent, GuardianInvite, Guardianship, Relation
from voicebox.models.device import Device, PairingCode
from voicebox.models.export import Export, ExportStatus
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
from voicebox.models.library import (
    BoxAssignment,
    BoxItem,
    ChildGroup,
    Curatorship,
    GroupKind,
    GroupMember,
    LibraryStory,
    Organisation,
    Series,
    Story,
    StoryBox,
)
from voicebox.models.message import Delivery, Direction, Kind, Message, MessageStatus, StoryCategory
from voicebox.models.phone_code import CodePurpose, PhoneCode
from voicebox.models.recording import Recording, RecordingStatus
from voicebox.models.schedule import Schedule, Source
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
    "BoxAssignment",
    "BoxItem",
    "ChildGroup",
    "Curatorship",
    "GroupKind",
    "GroupMember",
    "LibraryStory",
    "Organisation",
    "Schedule",
    "CodePurpose",
    "PhoneCode",
    "Recording",
    "RecordingStatus",
    "Series",
    "Story",
    "Source",
    "StoryBox",
    "StoryCategory",
    "Child",
    "Consent",
    "Delivery",
    "Device",
    "Export",
    "ExportStatus",
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

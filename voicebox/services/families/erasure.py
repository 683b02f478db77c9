"""Erasing a child: every row about them and every blob, in both stores; and a parent's
account, with the children only they look after.

A guardian asks (naming the child, to confirm); from then on nobody reaches the child: their
guardianships go, their devices are unpaired and their tokens revoked, at once. The rest is a
row state swept like other work (``erase_requested_at``): every row in one transaction, then,
once it commits, every blob, as everywhere (``jobs.delete_blobs``). A crash between the two, or
a blob the store fails to delete, leaves an object no row names: the blob sweep finds it.

The child's help requests stay, de-identified: no link to the child or the device, their audio
deleted, their text and trail kept for the safeguarding retention (see docs/limits.md).
"""

from __future__ import annotations

from sqlalchemy import Select, delete, func, select, update

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Conflict, Invalid
from voicebox.extensions import db
from voicebox.models import (
    Child,
    Device,
    Guardianship,
    HelpReply,
    HelpRequest,
    Message,
    Recording,
    Story,
    Upload,
)
from voicebox.services import policy
from voicebox.services.accounts import users
from voicebox.services.accounts.tokens import Principal
from voicebox.services.families import devices, exports
from voicebox.services.recordings import recordings, uploads
from voicebox.services.work import end_read, unit, use_case

BATCH = 20


@use_case
def request_erasure(principal: Principal, child_id: str, confirm: str) -> None:
    """A guardian erases the child, typing the child's name to confirm; it is also how consent
    is withdrawn, so it needs no consent to the policy's current version."""
    child = policy.guarded_child(principal, child_id, consented=False)
    if confirm.strip() != child.display_name:
        raise Invalid(
            "Type the child's name exactly to confirm that everything about them is erased.",
            {"confirm": [f"Type {child.display_name!r}."]},
        )
    mark(child)


def mark(child: Child) -> None:
    """Cut the child off from everyone now and leave the rest to the sweeper (in the caller's
    transaction)."""
    child.erase_requested_at = child.erase_requested_at or utcnow()
    db.session.execute(delete(Guardianship).where(Guardianship.child_id == child.id))
    devices.unpair(child.id)
    jobs.enqueue(jobs.ERASE_CHILDREN)


def erase_due() -> int:
    """Erase one batch of children marked for it; returns how many were erased."""
    marked = list(
        db.session.scalars(select(Child.id).where(Child.erase_requested_at.is_not(None)).limit(BATCH))
    )
    for child_id in marked:
        erase(child_id)
    return len(marked)


def erase(child_id: str) -> None:
    """Erase one marked child: rows, then blobs once they are gone. Safe to run twice."""
    end_read()
    with unit(alone=True):
        if db.session.get(Child, child_id, with_for_update=True) is None:
            return  # erased by another run meanwhile
        recording_ids = _recording_ids(child_id)
        stored = db.session.scalars(select(Recording).where(Recording.id.in_(recording_ids)))
        keys = [key for recording in stored for key in recording.blob_keys]
        unsent = db.session.scalars(select(Upload).where(Upload.owner_device_id.in_(_devices(child_id))))
        keys += uploads.blob_keys(list(unsent))
        keys += exports.blob_keys(child_id)
        jobs.delete_blobs(keys)
        _erase_rows(child_id, recording_ids)


def _devices(child_id: str) -> Select:
    return select(Device.id).where(Device.child_id == child_id)


def _recording_ids(child_id: str) -> list[str]:
    """The recordings of the child: their family's messages and stories (a library story's
    copy shares its library's recording, which stays), and their help threads."""
    requests = select(HelpRequest.id).where(HelpRequest.child_id == child_id)
    return list(
        db.session.scalars(
            select(Message.recording_id)
            .where(Message.child_id == child_id, Message.library_story_id.is_(None))
            .union(
                select(HelpRequest.audio_recording_id).where(
                    HelpRequest.child_id == child_id, HelpRequest.audio_recording_id.is_not(None)
                ),
                select(HelpReply.audio_recording_id).where(
                    HelpReply.request_id.in_(requests), HelpReply.audio_recording_id.is_not(None)
                ),
            )
        )
    )


def _erase_rows(child_id: str, recording_ids: list[str]) -> None:
    requests = select(HelpRequest.id).where(HelpRequest.child_id == child_id)
    db.session.execute(
        update(HelpReply).where(HelpReply.request_id.in_(requests)).values(audio_recording_id=None),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.child_id == child_id)
        .values(child_id=None, device_id=None, audio_recording_id=None),
        execution_options={"synchronize_session": False},
    )
    stories = list(
        db.session.scalars(
            select(Message.story_id).where(
                Message.child_id == child_id,
                Message.library_story_id.is_(None),
                Message.story_id.is_not(None),
            )
        )
    )
    db.session.execute(delete(Message).where(Message.child_id == child_id))
    db.session.execute(delete(Recording).where(Recording.id.in_(recording_ids)))
    db.session.execute(delete(Story).where(Story.id.in_(stories)))
    db.session.execute(delete(Upload).where(Upload.owner_device_id.in_(_devices(child_id))))
    # The rest goes with the child's row: devices and their tokens, schedules, consents,
    # invitations, groups, series, exports.
    db.session.execute(delete(Child).where(Child.id == child_id))
    db.session.expunge_all()


@use_case
def delete_account(principal: Principal, password: str, erase_children: list[str]) -> None:
    """A parent deletes their own account, naming the children only they look after, who are
    erased with it. The messages and stories they recorded go too; a story they recorded for an
    organisation's library stays, the organisation's."""
    user = users.own_account(principal)
    users.check_password_of(user, password)
    one_guardian = select(Guardianship.child_id).group_by(Guardianship.child_id).having(func.count() == 1)
    sole = list(
        db.session.scalars(
            select(Child)
            .join(Guardianship, Guardianship.child_id == Child.id)
            .where(Guardianship.user_id == user.id, Child.id.in_(one_guardian))
        )
    )
    names = sorted(child.display_name for child in sole)
    if sorted(name.strip() for name in erase_children) != names:
        raise Conflict(
            "Deleting your account erases the children only you look after; name each of them to confirm.",
            {"erase_children": names},
        )
    for child in sole:
        mark(child)
    theirs = select(Message.recording_id, Message.story_id).where(Message.sender_user_id == user.id)
    recorded = db.session.execute(theirs).all()
    db.session.execute(delete(Message).where(Message.sender_user_id == user.id))
    recordings.remove([row.recording_id for row in recorded])
    db.session.execute(delete(Story).where(Story.id.in_([row.story_id for row in recorded if row.story_id])))
    unsent = db.session.scalars(select(Upload).where(Upload.owner_user_id == user.id))
    jobs.delete_blobs(uploads.blob_keys(list(unsent)))
    db.session.delete(user)

"""What a child's export holds, written into one zip: ``child.json`` (the child, guardians'
names, devices, consents, schedules), ``messages.json`` (every message to and from the child,
its times and plays), each message's audio (the ``opus`` rendition) under ``audio/``, and a
README in Chinese and English."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from voicebox.clock import utcnow
from voicebox.extensions import current_blob_store, db
from voicebox.models import (
    Child,
    Consent,
    Delivery,
    Device,
    Direction,
    Guardianship,
    LibraryStory,
    Message,
    Organisation,
    Recording,
    Schedule,
    Story,
    User,
)
from voicebox.services.local_times import format_hhmm
from voicebox.services.work import end_read

# The progress shown moves in steps of this many percent (each step is a small commit).
PROGRESS_STEP = 5


AUDIO_FORMAT = "opus"


README = """voicebox: everything held about {name}, exported {exported_at} (UTC)
voicebox：为{name}保存的全部资料，导出于 {exported_at}（UTC）

child.json      the child, guardians, devices, consents and schedules
                孩子、监护人、设备、同意记录和定时计划
messages.json   every message to and from the child, with its times and plays
                孩子收发的每条消息，及其时间和收听记录
audio/          each message's recording (Ogg Opus), named by the message's id
                每条消息的录音（Ogg Opus），以消息编号命名

Help requests are not included: they are kept for the child alone.
求助记录不在其中：它们只属于孩子本人。
"""


def write(child_id: str, path: Path, report: Callable[[int], None]) -> None:
    """Write the zip: the rows first (read in one snapshot), then each recording's audio."""
    exported_at = utcnow()
    names = _names()
    about_child = _child_record(child_id, names)
    messages, audio = _message_records(child_id, names)
    end_read()
    store = current_blob_store()
    shown = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            README.format(name=about_child["child"]["display_name"], exported_at=_iso(exported_at)),
        )
        archive.writestr("child.json", _json({**about_child, "exported_at": exported_at}))
        archive.writestr("messages.json", _json({"messages": messages}))
        for done, (name, key) in enumerate(audio, start=1):
            # Opus is compressed already: stored as it is.
            with archive.open(zipfile.ZipInfo(name, date_time=exported_at.timetuple()[:6]), "w") as out:
                for chunk in store.open_range(key):
                    out.write(chunk)
            percent = 100 * done // (len(audio) + 1)
            if percent >= shown + PROGRESS_STEP:
                report(percent)
                shown = percent


def _child_record(child_id: str, names: Callable[[str | None], str | None]) -> dict[str, Any]:
    child = db.session.get_one(Child, child_id)
    guardians = db.session.execute(
        select(User.display_name, Guardianship.relation, Guardianship.created_at)
        .join(Guardianship, Guardianship.user_id == User.id)
        .where(Guardianship.child_id == child_id)
        .order_by(Guardianship.created_at)
    )
    consents = db.session.scalars(
        select(Consent).where(Consent.child_id == child_id).order_by(Consent.given_at)
    )
    devices = db.session.scalars(select(Device).where(Device.child_id == child_id).order_by(Device.paired_at))
    schedules = db.session.scalars(
        select(Schedule).where(Schedule.child_id == child_id).order_by(Schedule.created_at)
    )
    quiet = None
    if child.quiet_start is not None and child.quiet_end is not None:
        quiet = {"start": format_hhmm(child.quiet_start), "end": format_hhmm(child.quiet_end)}
    return {
        "child": {
            "id": child.id,
            "display_name": child.display_name,
            "birth_year": child.birth_year,
            "timezone": child.timezone,
            "quiet_hours": quiet,
            "created_at": child.created_at,
            "last_contact_at": child.last_contact_at,
        },
        "guardians": [
            {"display_name": row.display_name, "relation": row.relation, "since": row.created_at}
            for row in guardians
        ],
        "consents": [
            {
                "guardian": names(consent.guardian_id),
                "policy_version": consent.policy_version,
                "given_at": consent.given_at,
            }
            for consent in consents
        ],
        "devices": [
            {
                "id": device.id,
                "name": device.name,
                "paired_at": device.paired_at,
                "revoked_at": device.revoked_at,
            }
            for device in devices
        ],
        "schedules": [
            {
                "time": format_hhmm(schedule.minute_of_day),
                "weekdays": schedule.weekdays,
                "source": schedule.source,
                "paused": schedule.paused,
                "next_run_at": schedule.next_run_at,
                "created_at": schedule.created_at,
            }
            for schedule in schedules
        ],
    }


def _message_records(
    child_id: str, names: Callable[[str | None], str | None]
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Every message to and from the child, oldest first, and the (name in the zip, blob key)
    of each one's audio."""
    rows = db.session.execute(
        select(Message, Recording, Story, Organisation.name, Device.name)
        .join(Recording, Recording.id == Message.recording_id)
        .outerjoin(Story, Story.id == Message.story_id)
        .outerjoin(LibraryStory, LibraryStory.id == Message.library_story_id)
        .outerjoin(Organisation, Organisation.id == LibraryStory.org_id)
        .outerjoin(Device, Device.id == Message.sender_device_id)
        .where(Message.child_id == child_id)
        .order_by(Message.created_at, Message.id)
    ).all()
    plays: dict[str, list[dict[str, Any]]] = {}
    deliveries = db.session.scalars(
        select(Delivery).join(Message, Message.id == Delivery.message_id).where(Message.child_id == child_id)
    )
    for delivery in deliveries:
        plays.setdefault(delivery.message_id, []).append(
            {
                "to": "child" if delivery.child_id else names(delivery.user_id),
                "due_at": delivery.due_at,
                "delivered_at": delivery.delivered_at,
                "played_at": delivery.played_at,
                "position_ms": delivery.position_ms,
            }
        )
    messages: list[dict[str, Any]] = []
    audio: list[tuple[str, str]] = []
    for message, recording, story, org_name, device_name in rows:
        rendition = next((r for r in recording.renditions or [] if r["format"] == AUDIO_FORMAT), None)
        name = f"audio/{message.id}.ogg" if rendition else None
        if name is not None and rendition is not None:
            audio.append((name, rendition["key"]))
        if message.direction == Direction.TO_GUARDIANS:
            sender = {"child": True, "device": device_name}
        else:
            sender = {"guardian": names(message.sender_user_id), "organisation": org_name}
        messages.append(
            {
                "id": message.id,
                "kind": message.kind,
                "direction": message.direction,
                "title": message.title,
                "from": sender,
                "status": message.status,
                "created_at": message.created_at,
                "deliver_at": message.deliver_at,
                "delivered_at": message.delivered_at,
                "played_at": message.played_at,
                "duration_ms": recording.duration_ms,
                "story": _story(story),
                "deliveries": plays.get(message.id, []),
                "audio": name,
            }
        )
    return messages, audio


def _story(story: Story | None) -> dict[str, Any] | None:
    if story is None:
        return None
    return {
        "cover_text": story.cover_text,
        "category": story.category,
        "language": story.language,
        "age_min": story.age_min,
        "age_max": story.age_max,
        "episode": story.episode,
    }


def _names() -> Callable[[str | None], str | None]:
    """A user's display name by id, looked up once each."""
    cache: dict[str, str | None] = {}

    def name(user_id: str | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in cache:
            cache[user_id] = db.session.scalar(select(User.display_name).where(User.id == user_id))
        return cache[user_id]

    return name


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_iso)

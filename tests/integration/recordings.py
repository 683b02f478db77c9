"""Helpers for the message tests: send a recording, wait for the worker, fetch renditions."""

from __future__ import annotations

import io
import time
from typing import Any

import requests
from flask import Flask
from sqlalchemy import ScalarSelect, select, update
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.audio import heard
from tests.conftest import Api, build_app, dispose
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import (
    Delivery,
    Direction,
    LibraryStory,
    Message,
    MessageStatus,
    Recording,
    RecordingStatus,
)

FINAL = {"delivered", "played", "failed", "scheduled"}


def seeded_recording(original_key: str = "seed/original") -> str:
    """A ready recording written straight to the database, for tests that seed messages as
    rows; no audio, and no blob unless the test stores one at ``original_key``."""
    recording = Recording(
        status=RecordingStatus.READY,
        original_key=original_key,
        original_bytes=1,
        max_seconds=600,
        duration_ms=1000,
        renditions=[],
        attempts=0,
    )
    db.session.add(recording)
    db.session.flush()
    return recording.id


def deliver_directly(  # type: ignore[no-untyped-def]
    app: Flask, child_id: str, sender_id: str, count: int, at=None, original_key: str = "seed/original"
) -> list[str]:
    """Delivered messages written straight to the database (the inbox reads only rows), sharing
    one recording whose original is at ``original_key``."""
    ids = []
    with app.app_context():
        recording_id = seeded_recording(original_key)
        for n in range(count):
            when = at or utcnow()
            message = Message(
                kind="message",
                title=f"#{n}",
                child_id=child_id,
                direction=Direction.TO_CHILD,
                sender_user_id=sender_id,
                status=MessageStatus.DELIVERED,
                recording_id=recording_id,
                delivered_at=when,
            )
            db.session.add(message)
            db.session.flush()
            db.session.add(Delivery(message_id=message.id, child_id=child_id, due_at=when, delivered_at=when))
            ids.append(message.id)
        db.session.commit()
        db.session.remove()
    return ids


def _recording_id_of(message_id: str) -> ScalarSelect:
    """The recording of a message, or of a library story (its id is used as a message's)."""
    return (
        select(Message.recording_id)
        .where(Message.id == message_id)
        .union(select(LibraryStory.recording_id).where(LibraryStory.id == message_id))
        .scalar_subquery()
    )


def recording_of(app: Flask, message_id: str) -> Recording:
    """The recording a message or library story refers to, as it is now (detached from any
    session)."""
    with app.app_context():
        recording = db.session.scalar(select(Recording).where(Recording.id == _recording_id_of(message_id)))
        assert recording is not None, f"no recording for message {message_id}"
        db.session.expunge(recording)
        db.session.remove()
        return recording


def set_recording(app: Flask, message_id: str, **values: object) -> None:
    """Change the recording a message refers to, as a worker or the clock would have."""
    with app.app_context():
        db.session.execute(
            update(Recording).where(Recording.id == _recording_id_of(message_id)).values(**values)
        )
        db.session.commit()
        db.session.remove()


def send(sender: Api, to: str, audio: bytes, filename: str = "recording.bin", **fields: Any) -> Any:
    """POST /messages as multipart; the name and type say nothing true about the bytes."""
    return post_form(sender, "/messages", audio, filename, to=to, **fields)


def post_form(
    sender: Api, path: str, audio: bytes | None, filename: str = "recording.bin", **fields: Any
) -> Any:
    """POST multipart form fields and, if given, the recording as 'audio'."""
    data: dict[str, Any] = {k: str(v) for k, v in fields.items() if k != "headers"}
    if audio is not None:
        data["audio"] = FileStorage(io.BytesIO(audio), filename, content_type="application/octet-stream")
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(MultiDict(data))
    return sender.post(
        path,
        data=body,
        headers=fields.get("headers"),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def wait_for(
    api: Api, message_id: str, statuses: set[str] = FINAL, worker: Any = None, seconds: float = 90
) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        response = api.get(f"/messages/{message_id}")
        assert response.status_code == 200, response.json
        if response.json["status"] in statuses:
            return response.json
        assert worker is None or worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, f"message stuck in {response.json['status']}"
        time.sleep(0.2)


def fetch_audio(api: Api, message_id: str, fmt: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    return fetch(api, f"/messages/{message_id}/audio?format={fmt}", headers)


def fetch(api: Api, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    """What a phone gets for audio at ``path``: follows a redirect to S3 as a phone would."""
    response = api.get(path, headers=headers)
    if response.status_code == 302:
        followed = requests.get(response.headers["Location"], headers=headers or {}, timeout=10)
        return followed.status_code, followed.content, dict(followed.headers)
    return response.status_code, response.get_data(), dict(response.headers)


def plays_in(env: dict, device_token: str, message: dict) -> None:
    """A service built from ``env`` (a restored copy) has ``message`` first in the phone's inbox,
    and each of its renditions plays for as long as it did."""
    restored = build_app(env)
    try:
        phone = Api(restored.test_client(), device_token)
        assert phone.get("/inbox").json["items"][0]["id"] == message["id"]
        for rendition in message["renditions"]:
            status, data, _ = fetch_audio(phone, message["id"], rendition["format"])
            assert status == 200, data
            _, seconds = heard(data)
            assert abs(seconds * 1000 - message["duration_ms"]) < 150, rendition["format"]
    finally:
        dispose(restored)

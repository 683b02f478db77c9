"""Revision 0006 moves recordings and stories out of the messages, and back, on a database
that the schema before it filled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.integration.migrating import filled_at, rows, tables

BEFORE, AFTER = "0005", "0006"
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RENDITIONS = [{"format": "opus", "bitrate": 24000, "bytes": 900, "key": "messages/{id}/opus.ogg"}]


def renditions(id_: str) -> list[dict[str, Any]]:
    return [{**r, "key": r["key"].format(id=id_)} for r in RENDITIONS]


def old_message(id_: str, **values: Any) -> dict[str, Any]:
    """A messages row as revision 0005 kept one: a family message, delivered."""
    return {
        "id": id_,
        "kind": "message",
        "title": None,
        "child_id": "c1",
        "org_id": None,
        "source_id": None,
        "direction": "to_child",
        "sender_user_id": "u1",
        "sender_device_id": None,
        "status": "delivered",
        "failure_reason": None,
        "failure_detail": None,
        "original_key": f"messages/{id_}/original",
        "original_bytes": 1000,
        "duration_ms": 4000,
        "waveform": [1, 5, 9],
        "renditions": renditions(id_),
        "attempts": 1,
        "started_at": None,
        "lease_expires_at": None,
        "created_at": AT,
        "urgent": False,
        "queued": False,
        "cover_text": None,
        "category": None,
        "language": None,
        "age_min": None,
        "age_max": None,
        "series_id": None,
        "episode": None,
        **values,
    }


STORY = {"cover_text": "A river", "category": "folk_tale", "language": "zh", "age_min": 4, "age_max": 9}
MESSAGES = [
    old_message("m1", title="Hello"),
    old_message(
        "m2",
        kind="story",
        status="processing",
        duration_ms=None,
        waveform=None,
        renditions=None,
        attempts=0,
        lease_expires_at=AT + timedelta(minutes=10),
        cover_text="Goodnight",
    ),
    old_message("m3", status="failed", failure_reason="corrupt", failure_detail="Bad.", renditions=None),
    old_message(
        "l1",
        kind="story",
        child_id=None,
        org_id="o1",
        direction="library",
        status="ready",
        series_id="s1",
        episode=1,
        **STORY,
    ),
    # A child's copy of the library story: its audio and description, no work of its own.
    old_message(
        "k1",
        kind="story",
        org_id="o1",
        source_id="l1",
        sender_user_id=None,
        original_key="messages/l1/original",
        renditions=renditions("l1"),
        attempts=0,
        series_id="s1",
        episode=1,
        **STORY,
    ),
    # A help request's recording and a helper's reply: in nobody's inbox.
    old_message("h1", direction="help_thread", sender_user_id=None, sender_device_id="d1"),
    old_message("h2", direction="help_thread", sender_user_id="u2"),
]
ROWS = {
    "users": [
        {"id": u, "phone": f"+8613{n:09d}", "password_hash": "x", "display_name": u, "role": role}
        | {"status": "active", "created_at": AT}
        for n, (u, role) in enumerate([("u1", "parent"), ("u2", "volunteer")])
    ],
    "children": [
        {"id": "c1", "display_name": "Xiaoming", "birth_year": 2018, "timezone": "Asia/Shanghai"}
        | {"created_at": AT, "quiet_since": AT}
    ],
    "devices": [{"id": "d1", "child_id": "c1", "name": "phone", "paired_at": AT}],
    "organisations": [{"id": "o1", "name": "Village school", "created_at": AT}],
    "series": [{"id": "s1", "title": "River tales", "org_id": "o1", "created_at": AT}],
    "messages": MESSAGES,
    "deliveries": [
        {"id": f"v{id_}", "message_id": id_, "child_id": "c1", "due_at": AT, "delivered_at": AT}
        | {"position_ms": 0}
        for id_ in ("m1", "k1")
    ],
    "help_requests": [
        {"id": "r1", "child_id": "c1", "device_id": "d1", "category": "lonely", "urgent": False}
        | {"risk_terms": [], "priority": 3, "audio_message_id": "h1", "status": "held", "held_by": "u2"}
        | {"rank_at": AT, "created_at": AT, "queued_at": AT}
    ],
    "help_replies": [
        {"id": "p1", "request_id": "r1", "author_user_id": "u2", "from_child": False}
        | {"audio_message_id": "h2", "created_at": AT}
    ],
}


def test_recordings_and_stories_move_out_of_messages_and_back(blank_app: Flask) -> None:
    with blank_app.app_context():
        filled_at(BEFORE, ROWS.items())

        upgrade(revision=AFTER)
        recordings = rows("recordings", "status", "max_seconds", "original_key", "attempts", "failure_reason")
        assert recordings == {
            "m1": ("ready", 600, "messages/m1/original", 1, None),
            "m2": ("processing", 3600, "messages/m2/original", 0, None),
            "m3": ("failed", 600, "messages/m3/original", 1, "corrupt"),
            "l1": ("ready", 3600, "messages/l1/original", 1, None),
            "h1": ("ready", 600, "messages/h1/original", 1, None),
            "h2": ("ready", 600, "messages/h2/original", 1, None),
        }
        # The help thread's recordings are no longer messages; the copy shares its story's.
        assert rows("messages", "recording_id", "story_id") == {
            "m1": ("m1", None),
            "m2": ("m2", "m2"),
            "m3": ("m3", None),
            "l1": ("l1", "l1"),
            "k1": ("l1", "l1"),
        }
        assert rows("stories", "cover_text", "category", "series_id", "episode") == {
            "m2": ("Goodnight", None, None, None),
            "l1": ("A river", "folk_tale", "s1", 1),
        }
        assert rows("help_requests", "audio_recording_id") == {"r1": ("h1",)}
        assert rows("help_replies", "audio_recording_id") == {"p1": ("h2",)}
        assert rows("deliveries", "message_id") == {"vm1": ("m1",), "vk1": ("k1",)}

        downgrade(revision=BEFORE)
        compared = [c for c in MESSAGES[0] if c not in ("created_at", "started_at", "lease_expires_at")]
        assert rows("messages", *compared) == {m["id"]: tuple(m[c] for c in compared) for m in MESSAGES}
        assert rows("help_requests", "audio_message_id") == {"r1": ("h1",)}
        assert rows("help_replies", "audio_message_id") == {"p1": ("h2",)}
        assert rows("deliveries", "message_id") == {"vm1": ("m1",), "vk1": ("k1",)}
        assert not {"recordings", "stories"} & set(tables())
        upgrade()

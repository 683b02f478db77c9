"""Revision 0011 moves an organisation's stories out of the messages into a table of their own,
on a database that the schema before it filled: box items and children's copies then name the
library story, the family's messages are untouched, and down again gives back what was there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.integration.migrating import filled_at, rows, tables
from voicebox.extensions import db

BEFORE, AFTER = "0010", "0011"
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def recording(id_: str, status: str = "ready") -> tuple[str, dict[str, Any]]:
    return "recordings", {
        "id": id_,
        "status": status,
        "original_key": f"recordings/{id_}/original",
        "original_bytes": 1000,
        "max_seconds": 3600,
        "attempts": 1,
        "created_at": AT,
    }


def message(id_: str, minutes: int, **values: Any) -> tuple[str, dict[str, Any]]:
    return "messages", {
        "id": id_,
        "kind": "story",
        "direction": "to_child",
        "status": "delivered",
        "created_at": AT + timedelta(minutes=minutes),
        "urgent": False,
        "queued": False,
        **values,
    }


ROWS: list[tuple[str, dict[str, Any]]] = [
    ("users", {"id": "u1", "phone": "+8613900000001", "password_hash": "x", "display_name": "Teacher Li",
               "role": "parent", "status": "active", "created_at": AT}),
    ("children", {"id": "c1", "display_name": "Xiaoming", "birth_year": 2018, "timezone": "Asia/Shanghai",
                  "created_at": AT, "quiet_since": AT}),
    ("organisations", {"id": "o1", "name": "Village Library", "created_at": AT}),
    ("series", {"id": "s1", "title": "Rivers", "org_id": "o1", "created_at": AT}),
    ("stories", {"id": "d1", "category": "science", "series_id": "s1", "episode": 1}),
    ("stories", {"id": "d2", "cover_text": "A cat", "age_min": 3, "age_max": 8}),
    ("stories", {"id": "d3", "category": "bedtime"}),
    recording("r1"),
    recording("r2", "processing"),
    recording("r3"),
    recording("r4"),
    # Two library stories, one still being transcoded, and one without a description.
    message("l1", 1, title="The River", direction="library", org_id="o1", sender_user_id="u1",
            status="ready", recording_id="r1", story_id="d1"),
    message("l2", 2, title="The Cat", direction="library", org_id="o1", sender_user_id="u1",
            status="processing", recording_id="r2", story_id="d2"),
    message("l3", 3, title="Untold", direction="library", org_id="o1", status="ready", recording_id="r4"),
    # The child's copy of l1, and a story from home.
    message("copy1", 4, title="The River", org_id="o1", source_id="l1", child_id="c1",
            recording_id="r1", story_id="d1"),
    message("home", 5, title="From Mama", child_id="c1", sender_user_id="u1", recording_id="r3",
            story_id="d3"),
    ("deliveries", {"id": "dv1", "message_id": "copy1", "child_id": "c1", "due_at": AT, "delivered_at": AT,
                    "position_ms": 0}),
    ("story_boxes", {"id": "b1", "org_id": "o1", "title": "Winter", "created_at": AT}),
    ("box_items", {"box_id": "b1", "position": 0, "message_id": "l2"}),
    ("box_items", {"box_id": "b1", "position": 1, "message_id": "l1"}),
]  # fmt: skip


def test_library_messages_become_library_stories_and_come_back(blank_app: Flask) -> None:
    with blank_app.app_context():
        filled_at(BEFORE, ROWS)

        upgrade(revision=AFTER)
        library = rows("library_stories", "org_id", "title", "recording_id", "story_id", "created_by")
        assert library == {
            "l1": ("o1", "The River", "r1", "d1", "u1"),
            "l2": ("o1", "The Cat", "r2", "d2", "u1"),
            "l3": ("o1", "Untold", "r4", "l3", None),
        }
        assert rows("stories", "category")["l3"] == (None,)  # an empty description was made
        assert rows("messages", "library_story_id", "child_id") == {
            "copy1": ("l1", "c1"),
            "home": (None, "c1"),
        }
        assert rows("deliveries", "message_id") == {"dv1": ("copy1",)}
        new = tables()
        assert "org_id" not in new["messages"].c and "source_id" not in new["messages"].c
        with db.engine.connect() as connection:
            items = connection.execute(
                sa.select(new["box_items"].c.position, new["box_items"].c.story_id).order_by("position")
            ).all()
        assert [tuple(item) for item in items] == [(0, "l2"), (1, "l1")]
        # A second copy of the same story for the child is refused, as before.
        _, second = message("copy2", 6, child_id="c1", library_story_id="l1", recording_id="r1")
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(new["messages"].insert(), second)

        # Down again: the library messages are back, with the status their recordings give them.
        downgrade(revision=BEFORE)
        assert rows("messages", "direction", "status", "org_id", "source_id", "child_id") == {
            "l1": ("library", "ready", "o1", None, None),
            "l2": ("library", "processing", "o1", None, None),
            "l3": ("library", "ready", "o1", None, None),
            "copy1": ("to_child", "delivered", "o1", "l1", "c1"),
            "home": ("to_child", "delivered", None, None, "c1"),
        }
        with db.engine.connect() as connection:
            items = connection.execute(
                sa.text("SELECT position, message_id FROM box_items ORDER BY position")
            ).all()
        assert [tuple(item) for item in items] == [(0, "l2"), (1, "l1")]
        upgrade()

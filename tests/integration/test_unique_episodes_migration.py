"""Revision 0010 makes a series' episode numbers unique, renumbering the duplicates it finds on
a database that the schema before it filled; and the constraint then holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.integration.migrating import filled_at, rows, tables
from voicebox.extensions import db

BEFORE, AFTER = "0009", "0010"
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def sent(story_id: str, minutes: int) -> list[tuple[str, dict[str, Any]]]:
    """A recording and the message that tells ``story_id``, sent ``minutes`` after AT."""
    at = AT + timedelta(minutes=minutes)
    recording = {
        "id": f"r-{story_id}",
        "status": "ready",
        "original_key": f"recordings/{story_id}/original",
        "original_bytes": 1000,
        "max_seconds": 3600,
        "attempts": 1,
        "created_at": at,
    }
    message = {
        "id": f"m-{story_id}",
        "kind": "story",
        "recording_id": recording["id"],
        "story_id": story_id,
        "child_id": "c1",
        "direction": "to_child",
        "status": "delivered",
        "created_at": at,
        "urgent": False,
        "queued": False,
    }
    return [("recordings", recording), ("messages", message)]


def story(id_: str, series_id: str | None, episode: int | None) -> tuple[str, dict[str, Any]]:
    return "stories", {"id": id_, "series_id": series_id, "episode": episode}


ROWS: list[tuple[str, dict[str, Any]]] = [
    ("children", {"id": "c1", "display_name": "Xiaoming", "birth_year": 2018, "timezone": "Asia/Shanghai",
                  "created_at": AT, "quiet_since": AT}),
    ("series", {"id": "s1", "title": "The Moon Rabbit", "child_id": "c1", "created_at": AT}),
    ("series", {"id": "s2", "title": "Rivers", "child_id": "c1", "created_at": AT}),
    # Series s1: two stories took episode 1, sent in the order b then a; episode 2 twice, one
    # of them never sent; a story without a series.
    story("a", "s1", 1),
    story("b", "s1", 1),
    story("c", "s1", 2),
    story("d", "s1", 2),
    story("e", "s1", 3),
    story("lone", None, None),
    # Series s2: nothing to mend.
    story("f", "s2", 1),
    story("g", "s2", 2),
    *sent("b", 1),
    *sent("a", 5),
    *sent("c", 2),
    *sent("e", 3),
]  # fmt: skip


def test_duplicate_episodes_are_renumbered_to_the_end_and_then_refused(blank_app: Flask) -> None:
    with blank_app.app_context():
        filled_at(BEFORE, ROWS)

        upgrade(revision=AFTER)
        # The first sent keeps its number; the others follow the series' highest, in the order
        # they were sent (one never sent last).
        assert rows("stories", "series_id", "episode") == {
            "b": ("s1", 1),
            "a": ("s1", 4),
            "c": ("s1", 2),
            "d": ("s1", 5),
            "e": ("s1", 3),
            "lone": (None, None),
            "f": ("s2", 1),
            "g": ("s2", 2),
        }
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(tables()["stories"].insert(), {"id": "h", "series_id": "s2", "episode": 2})

        # Down again: the constraint goes, the new numbers stay.
        downgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(tables()["stories"].insert(), {"id": "h", "series_id": "s2", "episode": 2})
        assert rows("stories", "episode")["h"] == (2,)
        with db.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM stories WHERE id = 'h'"))
        upgrade()

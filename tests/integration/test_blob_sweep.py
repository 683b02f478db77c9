"""Blobs never outlive their rows: a child erased while the store refuses to delete leaves their
voice in it, with no row naming it, and the blob sweep removes it (and nothing a row names)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import Api, app_env, build_app, dispose, free_port
from voicebox.clock import utcnow
from voicebox.extensions import current_blob_store, db
from voicebox.models import Direction, Message, MessageStatus, Recording, RecordingStatus
from voicebox.services import blob_inventory, blob_sweep
from voicebox.services.families import erasure


def recorded(app: Flask, child_id: str, sender_id: str) -> str:
    """A message to the child whose recording's original is really stored; its key."""
    with app.app_context():
        recording = Recording(
            status=RecordingStatus.READY, original_key="", original_bytes=5, max_seconds=600, attempts=0
        )
        db.session.add(recording)
        db.session.flush()
        recording.original_key = f"recordings/{recording.id}/original"
        db.session.add(
            Message(
                kind="message",
                child_id=child_id,
                direction=Direction.TO_CHILD,
                sender_user_id=sender_id,
                status=MessageStatus.DELIVERED,
                recording_id=recording.id,
            )
        )
        db.session.commit()
        key = recording.original_key
        db.session.remove()
        current_blob_store().put(key, b"voice")
    return key


def stored(app: Flask) -> set[str]:
    with app.app_context():
        store = current_blob_store()
        return {listed.key for folder in blob_inventory.FOLDERS for listed in store.listing(folder)}


def refusing_store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """Settings under which the same store cannot delete: S3 at a port nobody answers, or a
    blob folder that is a file."""
    if request.node.callspec.params["app"] == "production":
        return {"VOICEBOX_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    not_a_folder = tmp_path / "blobs"
    not_a_folder.write_bytes(b"")
    return {"VOICEBOX_STORAGE_DIR": str(not_a_folder)}


def test_a_blob_whose_delete_failed_is_swept_and_named_ones_stay(
    app: Flask, request: pytest.FixtureRequest, tmp_path: Path, parent: Api, make_child
) -> None:
    kept = make_child(display_name="Xiaoming")
    erased = make_child(display_name="Xiaohong")
    kept_key = recorded(app, kept["id"], parent.user["id"])
    erased_key = recorded(app, erased["id"], parent.user["id"])
    assert parent.post(f"/children/{erased['id']}/erase", {"confirm": "Xiaohong"}).status_code == 202

    failing = build_app(app_env(request), **refusing_store(request, tmp_path))
    try:
        with failing.app_context():
            assert erasure.erase_due() == 1  # the rows go; the store refuses the blob
    finally:
        dispose(failing)
    assert {kept_key, erased_key} <= stored(app)
    with app.app_context():
        assert db.session.query(Recording).filter_by(original_key=erased_key).count() == 0
        # Young blobs are left alone: the rows that will name them may not have committed yet.
        assert blob_sweep.sweep() == 0
        assert erased_key in stored(app)
        removed = blob_sweep.sweep(utcnow() + blob_sweep.GRACE + timedelta(minutes=1))
        db.session.remove()
    assert removed >= 1
    left = stored(app)
    assert erased_key not in left
    assert kept_key in left

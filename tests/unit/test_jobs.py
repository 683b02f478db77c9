"""Side effects wait for the commit: a blob is deleted only once its row's removal commits."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from voicebox import create_app, jobs
from voicebox.extensions import current_blob_store, db


def test_blobs_go_after_the_commit_and_stay_after_a_rollback(tmp_path: Path) -> None:
    app = create_app(Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None))
    with app.app_context():
        store = current_blob_store()
        store.put("messages/m1/original.bin", b"kept")
        store.put("messages/m2/original.bin", b"gone")

        jobs.delete_blobs(["messages/m1/original.bin"])
        assert store.exists("messages/m1/original.bin")  # nothing before the commit
        db.session.rollback()

        jobs.delete_blobs(key for key in ["messages/m2/original.bin"])
        db.session.commit()

        assert store.exists("messages/m1/original.bin")
        assert not store.exists("messages/m2/original.bin")
        db.session.remove()

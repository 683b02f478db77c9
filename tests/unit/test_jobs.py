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


def test_a_blob_written_for_rows_goes_only_if_they_never_commit(tmp_path: Path) -> None:
    app = create_app(Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None))
    with app.app_context():
        store = current_blob_store()
        store.put("recordings/r1/original", b"rolled back")
        jobs.stored("recordings/r1/original")
        db.session.rollback()
        assert not store.exists("recordings/r1/original")

        store.put("recordings/r2/original", b"committed")
        jobs.stored("recordings/r2/original")
        db.session.commit()
        assert store.exists("recordings/r2/original")
        db.session.remove()


def test_a_savepoint_rolled_back_takes_back_only_what_was_asked_inside_it(tmp_path: Path) -> None:
    app = create_app(Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None))
    with app.app_context():
        store = current_blob_store()
        for key in ("outer", "inner", "written"):
            store.put(key, b"x")
        jobs.delete_blobs(["outer"])
        try:
            with db.session.begin_nested():
                jobs.delete_blobs(["inner"])
                jobs.stored("written")
                raise LookupError("the savepoint's work is refused")
        except LookupError:
            pass
        assert not store.exists("written")  # written for rows that will never be
        db.session.commit()
        assert not store.exists("outer") and store.exists("inner")
        db.session.remove()


def test_a_released_savepoint_waits_for_the_outer_commit(tmp_path: Path) -> None:
    app = create_app(Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None))
    with app.app_context():
        store = current_blob_store()
        store.put("named-by-a-deleted-row", b"x")
        with db.session.begin_nested():
            jobs.delete_blobs(["named-by-a-deleted-row"])
        assert store.exists("named-by-a-deleted-row")  # the outer transaction may still roll back
        db.session.commit()
        assert not store.exists("named-by-a-deleted-row")
        db.session.remove()

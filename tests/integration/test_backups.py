"""`voicebox backup` of a running embedded service, and `voicebox restore` into an empty folder:
the message still plays, an older archive is upgraded, and blobs the rows name but the archive
lacks are named."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from flask import Flask

from config.settings import Settings
from tests import audio
from tests.conftest import ROOT, Api, process_env
from tests.integration.recordings import plays_in, send, wait_for
from voicebox.services import backups

pytestmark = pytest.mark.parametrize("app", ["embedded"], indirect=True)


def voicebox(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voicebox", *args],
        cwd=ROOT,
        env=process_env(env),
        capture_output=True,
        text=True,
        timeout=180,
    )


def revision(data: Path) -> str:
    with sqlite3.connect(data / "voicebox.sqlite") as database:
        return database.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_a_backup_of_the_running_service_restores_into_an_empty_folder_where_the_message_plays(
    app: Flask,
    embedded_env: dict,
    parent: Api,
    make_child,
    pair_device,
    worker: subprocess.Popen,
    tmp_path: Path,
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    sent = send(parent, child["id"], audio.recording("webm"), title="Goodnight")
    assert sent.status_code == 202, sent.json
    message = wait_for(parent, sent.json["id"], worker=worker)
    assert message["status"] == "delivered", message["failure"]

    archive = tmp_path / "voicebox-backup.tar.gz"
    # Taken by a process of its own while the app and the worker hold the database.
    taken = voicebox(embedded_env, "backup", str(archive))
    assert taken.returncode == 0, taken.stderr
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert {"manifest.json", "voicebox.sqlite", "secret_key"} <= set(names)
    assert all(
        name.startswith("blobs/") for name in set(names) - {"manifest.json", "voicebox.sqlite", "secret_key"}
    )
    assert manifest["revision"] == revision(Path(embedded_env["VOICEBOX_DATA_DIR"]))
    assert manifest["blobs"] == len([n for n in names if n.startswith("blobs/")]) > 0

    restored_env = {**embedded_env, "VOICEBOX_DATA_DIR": str(tmp_path / "restored")}
    done = voicebox(restored_env, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert "not in the archive" not in done.stderr
    assert stat.S_IMODE((tmp_path / "restored" / "secret_key").stat().st_mode) == 0o600
    # The child's phone, signed in before the backup, hears the message from the restored copy.
    plays_in(restored_env, device.token, message)

    again = voicebox(restored_env, "restore", str(archive))
    assert again.returncode != 0 and "is not empty" in again.stderr


def test_an_older_archive_is_upgraded_and_missing_blobs_are_named(app: Flask, tmp_path: Path) -> None:
    older = {"VOICEBOX_DATA_DIR": str(tmp_path / "older"), "VOICEBOX_LOG_LEVEL": "WARNING"}
    assert voicebox(older, "db", "upgrade", "0010").returncode == 0
    with sqlite3.connect(tmp_path / "older" / "voicebox.sqlite") as database:
        database.execute(
            "INSERT INTO recordings (id, status, original_key, original_bytes, max_seconds, attempts,"
            " created_at) VALUES ('lost', 'ready', 'recordings/lost/original', 5, 600, 0, '2026-12-01')"
        )
    archive = tmp_path / "older.tar.gz"
    taken = voicebox(older, "backup", str(archive))
    assert taken.returncode == 0, taken.stderr

    restored = {**older, "VOICEBOX_DATA_DIR": str(tmp_path / "restored")}
    done = voicebox(restored, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert "revision 0010, upgraded" in done.stdout
    assert revision(tmp_path / "restored") != "0010"
    assert "recordings/lost/original" in done.stderr


def archive_of(tmp_path: Path, files: dict[str, bytes], revision: str = "0011") -> Path:
    path = tmp_path / "made.tar.gz"
    manifest = {"format": 1, "revision": revision, "taken_at": "2026-12-01T08:00:00+00:00", "blobs": 0}
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {"manifest.json": json.dumps(manifest).encode(), **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    ("files", "revision", "refusal"),
    [
        ({"../escape": b"x"}, "0011", "never does"),
        ({"blobs/../../escape": b"x"}, "0011", "bad name"),
        ({}, "9999", "does not know"),
    ],
)
def test_restore_refuses_what_is_not_a_backup_it_can_read(
    app: Flask, tmp_path: Path, files: dict[str, bytes], revision: str, refusal: str
) -> None:
    settings = Settings.read_env({"VOICEBOX_DATA_DIR": str(tmp_path / "empty")}, env_file=None)
    with pytest.raises(backups.BackupError, match=refusal):
        backups.unpack(archive_of(tmp_path, files, revision), settings)
    assert not (tmp_path / "escape").exists() and not (tmp_path.parent / "escape").exists()
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(backups.BackupError, match="not a whole voicebox backup"):
        backups.unpack(not_a_backup, settings)


def test_a_backup_is_never_written_over_a_file(app: Flask, tmp_path: Path) -> None:
    existing = tmp_path / "kept.tar.gz"
    existing.write_bytes(b"yesterday's backup")
    with app.app_context(), pytest.raises(backups.BackupError, match="exists"):
        backups.take(app.config["VOICEBOX_SETTINGS"], existing)
    assert existing.read_bytes() == b"yesterday's backup"

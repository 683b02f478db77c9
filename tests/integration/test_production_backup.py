"""The production backup the operating page gives (deploy/backup-production.sh: pg_dump and
rclone), restored by deploy/restore-production.sh into a fresh database and an empty bucket on
the test's S3 server, where the message still plays."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from tests import audio
from tests.conftest import PG_URL, ROOT, Api, process_env, s3_client
from tests.integration.recordings import plays_in, send, wait_for

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)


def libpq(url: str) -> str:
    """SQLAlchemy's URL as pg_dump and pg_restore read it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def script(name: str, folder: Path, env: dict, *args: str) -> None:
    for tool in ("pg_dump", "pg_restore", "rclone"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: `make ops-tools` installs it")
    environment = process_env(env)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    # rclone's S3 client cannot take a custom CA bundle; the test's S3 server speaks plain HTTP.
    environment.pop("AWS_CA_BUNDLE", None)
    done = subprocess.run(
        ["sh", str(ROOT / "deploy" / name), str(folder), *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def rclone_remote(endpoint: str) -> dict[str, str]:
    return {
        "RCLONE_CONFIG_VOICEBOX_TYPE": "s3",
        "RCLONE_CONFIG_VOICEBOX_PROVIDER": "Other",
        "RCLONE_CONFIG_VOICEBOX_ENDPOINT": endpoint,
        "RCLONE_CONFIG_VOICEBOX_REGION": "us-east-1",
        "RCLONE_CONFIG_VOICEBOX_ACCESS_KEY_ID": "test-access-key-id",
        "RCLONE_CONFIG_VOICEBOX_SECRET_ACCESS_KEY": "test-secret-access-key-value",
    }


def test_pg_dump_and_rclone_restore_into_a_fresh_database_and_bucket_where_the_message_plays(
    app: Flask, production_env: dict, parent: Api, make_child, pair_device, worker, tmp_path: Path
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    sent = send(parent, child["id"], audio.recording("ogg"), title="Goodnight")
    assert sent.status_code == 202, sent.json
    message = wait_for(parent, sent.json["id"], worker=worker)
    assert message["status"] == "delivered", message["failure"]

    live = production_env["VOICEBOX_DATABASE_URL"]
    schema = parse_qs(urlsplit(live).query)["options"][0].removeprefix("-csearch_path=")
    remote = rclone_remote(production_env["VOICEBOX_S3_ENDPOINT_URL"])
    folder = tmp_path / "backup"
    script(
        "backup-production.sh",
        folder,
        {**production_env, **remote, "BACKUP_DATABASE_URL": libpq(live)},
        f"--schema={schema}",
    )
    assert (folder / "voicebox.dump").stat().st_mode & 0o077 == 0
    assert any((folder / "blobs").rglob("*"))

    database = f"vb_restore_{secrets.token_hex(4)}"
    bucket = f"voicebox-restored-{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {database}"))
    s3_client(production_env["VOICEBOX_S3_ENDPOINT_URL"]).create_bucket(Bucket=bucket)
    restored_url = live.replace("/test?", f"/{database}?", 1)
    restored_env = {**production_env, "VOICEBOX_DATABASE_URL": restored_url, "VOICEBOX_S3_BUCKET": bucket}
    try:
        script(
            "restore-production.sh",
            folder,
            {**restored_env, **remote, "BACKUP_DATABASE_URL": libpq(restored_url)},
        )
        plays_in(restored_env, device.token, message)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {database} WITH (FORCE)"))
        admin.dispose()

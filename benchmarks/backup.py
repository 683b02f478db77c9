"""Backing up and restoring a month of a school, both ways.

A school: 200 children, each sent one 20-second message a day for 30 days: 6,000 delivered
messages, each with one 60 KB rendition in the store (about 360 MB). The embedded profile:
``voicebox backup`` of the data folder, and ``voicebox restore`` into an empty one. Production:
``deploy/backup-production.sh`` (pg_dump, then rclone from moto's S3 server) and
``deploy/restore-production.sh`` into a fresh database and bucket. Baseline in the same run: a
bare ``tar czf`` of the same embedded folder (a copy with no snapshot, no check and no manifest).
Goal: ``voicebox backup`` within 2x of it. The other times are printed for the operating page.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from benchmarks._harness import (
    PG_URL,
    ROOT,
    entry,
    migrate,
    postgres_schema,
    production_env,
    report,
    s3_server,
)

RENDITION_BYTES = 60_000


def seed(env: dict[str, str], children: int, days: int) -> int:
    """A parent and ``children`` children, each delivered one message a day for ``days`` days,
    with its rendition stored; the bytes stored."""
    from config.settings import Settings
    from voicebox import create_app
    from voicebox.clock import utcnow
    from voicebox.extensions import current_blob_store, db
    from voicebox.models import Delivery, Direction, Message, MessageStatus, Recording, RecordingStatus

    app = create_app(Settings.from_env(env, env_file=None))
    client = app.test_client()
    phone = f"+86139{secrets.randbelow(10**8):08d}"
    registered = client.post(
        "/api/v1/auth/register",
        json={"phone": phone, "password": "correct horse", "display_name": "Mama", "role": "parent"},
    ).json
    assert registered is not None and "token" in registered, registered
    headers = {"Authorization": f"Bearer {registered['token']}"}
    child_ids = []
    for n in range(children):
        made = client.post(
            "/api/v1/children",
            json={"display_name": f"Child {n}", "birth_year": 2017, "guardian_consent": True},
            headers=headers,
        ).json
        assert made is not None and "id" in made, made
        child_ids.append(made["id"])
    keys = []
    start = utcnow() - timedelta(days=days)
    with app.app_context():
        for day in range(days):
            when = start + timedelta(days=day)
            for child_id in child_ids:
                recording = Recording(
                    status=RecordingStatus.READY, original_key="", original_bytes=RENDITION_BYTES,
                    max_seconds=600, attempts=0, duration_ms=20_000, waveform=[], renditions=[],
                )  # fmt: skip
                db.session.add(recording)
                db.session.flush()
                key = f"recordings/{recording.id}/opus.webm"
                recording.original_key = key
                recording.renditions = [
                    {"format": "opus", "bitrate": 24_000, "bytes": RENDITION_BYTES, "key": key}
                ]
                message = Message(
                    kind="message", child_id=child_id, direction=Direction.TO_CHILD,
                    sender_user_id=registered["user"]["id"], status=MessageStatus.DELIVERED,
                    recording_id=recording.id, created_at=when, delivered_at=when,
                )  # fmt: skip
                db.session.add(message)
                db.session.flush()
                db.session.add(
                    Delivery(message_id=message.id, child_id=child_id, due_at=when, delivered_at=when)
                )
                keys.append(key)
            db.session.commit()
        store = current_blob_store()
        body = os.urandom(RENDITION_BYTES)  # audio does not compress: neither do random bytes
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda key: store.put(key, body), keys))
        db.session.remove()
        db.engine.dispose()
    return len(keys) * RENDITION_BYTES


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stdout + done.stderr
    return elapsed


def with_tools(env: dict[str, str]) -> dict[str, str]:
    """The environment the deploy scripts run in: the voicebox command on the path, and no CA
    bundle for rclone's S3 client (it cannot take one; moto speaks plain HTTP)."""
    tools = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"}
    tools.pop("AWS_CA_BUNDLE", None)
    return tools


def embedded(children: int, days: int, work: Path) -> tuple[float, float, float]:
    """Seconds for a bare tar, ``voicebox backup`` and ``voicebox restore``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env = {**clean, "VOICEBOX_DATA_DIR": str(work / "live"), "VOICEBOX_LOG_LEVEL": "WARNING"}
    migrate(env)
    stored = seed(env, children, days)
    print(f"embedded: {children * days} messages, {stored / 1e6:.0f} MB of blobs")
    bare = timed(["tar", "czf", str(work / "bare.tar.gz"), "-C", str(work / "live"), "."], env)
    backup = timed([sys.executable, "-m", "voicebox", "backup", str(work / "voicebox.tar.gz")], env)
    restored = {**env, "VOICEBOX_DATA_DIR": str(work / "restored")}
    restore = timed([sys.executable, "-m", "voicebox", "restore", str(work / "voicebox.tar.gz")], restored)
    return bare, backup, restore


def production(children: int, days: int, work: Path) -> tuple[float, float]:
    """Seconds for deploy/backup-production.sh and deploy/restore-production.sh."""
    with postgres_schema() as database_url, s3_server() as s3:
        env = {**production_env(database_url, work / "data"), **s3}
        migrate(env)
        stored = seed(env, children, days)
        print(f"production: {children * days} messages, {stored / 1e6:.0f} MB of blobs")
        remote = {
            "RCLONE_CONFIG_VOICEBOX_TYPE": "s3",
            "RCLONE_CONFIG_VOICEBOX_PROVIDER": "Other",
            "RCLONE_CONFIG_VOICEBOX_ENDPOINT": s3["VOICEBOX_S3_ENDPOINT_URL"],
            "RCLONE_CONFIG_VOICEBOX_REGION": "us-east-1",
            "RCLONE_CONFIG_VOICEBOX_ACCESS_KEY_ID": env["VOICEBOX_S3_ACCESS_KEY"],
            "RCLONE_CONFIG_VOICEBOX_SECRET_ACCESS_KEY": env["VOICEBOX_S3_SECRET_KEY"],
        }
        libpq = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        schema = database_url.rsplit("%3D", 1)[1]
        backup = timed(
            ["sh", "deploy/backup-production.sh", str(work / "backup"), f"--schema={schema}"],
            with_tools({**env, **remote, "BACKUP_DATABASE_URL": libpq}),
        )
        database = f"vb_bench_restore_{secrets.token_hex(4)}"
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {database}"))
        try:
            import boto3

            bucket = f"bench-restored-{secrets.token_hex(4)}"
            boto3.client(
                "s3",
                endpoint_url=s3["VOICEBOX_S3_ENDPOINT_URL"],
                region_name="us-east-1",
                aws_access_key_id=env["VOICEBOX_S3_ACCESS_KEY"],
                aws_secret_access_key=env["VOICEBOX_S3_SECRET_KEY"],
            ).create_bucket(Bucket=bucket)
            restored_url = database_url.replace("/test?", f"/{database}?", 1)
            restored = {**env, "VOICEBOX_DATABASE_URL": restored_url, "VOICEBOX_S3_BUCKET": bucket}
            restore = timed(
                ["sh", "deploy/restore-production.sh", str(work / "backup")],
                with_tools(
                    {**restored, **remote, "BACKUP_DATABASE_URL": restored_url.replace("+psycopg", "", 1)}
                ),
            )
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f"DROP DATABASE {database} WITH (FORCE)"))
            admin.dispose()
    return backup, restore


def main(quick: bool) -> None:
    children, days = (5, 3) if quick else (200, 30)
    for tool in ("tar", "pg_dump", "rclone"):
        assert shutil.which(tool), f"{tool} is missing: `make ops-tools` installs it"
    with tempfile.TemporaryDirectory(prefix="voicebox-bench-backup-") as folder:
        work = Path(folder)
        bare, backup, restore = embedded(children, days, work / "embedded")
        print(f"embedded: bare tar {bare:.1f} s, voicebox backup {backup:.1f} s, restore {restore:.1f} s")
        if quick:
            # The scripts themselves are run by tests/integration/test_production_backup.py.
            print("production: timed at full size only")
        else:
            dumped, loaded = production(children, days, work / "production")
            print(f"production: backup-production.sh {dumped:.1f} s, restore-production.sh {loaded:.1f} s")
    ratio = backup / bare
    report("backup: voicebox backup vs a bare tar of the folder", ratio, "<= 2", ratio <= 2, "x")


if __name__ == "__main__":
    entry(main, __doc__)

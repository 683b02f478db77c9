"""Backups of the embedded profile: one archive holding a consistent snapshot of the database,
the blobs, the secret key and the schema revision, and its restore into an empty folder.

The snapshot is taken first and the blobs copied after it. A blob written later is one no row of
the snapshot names (the sweep removes it after a restore); a blob deleted in between belonged to
a row deleted after the snapshot, and the restore names it. The broker's queue and the rate
limits' counters are not kept: a restored service starts with neither.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import make_url

from config.settings import Settings
from voicebox.clock import utcnow
from voicebox.extensions import MIGRATIONS, current_blob_store
from voicebox.services import blob_inventory
from voicebox.storage.base import check_key
from voicebox.storage.local import LocalBlobStore

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "voicebox.sqlite"
SECRET_KEY = "secret_key"
BLOBS = "blobs/"
OWNER_ONLY = 0o600


class BackupError(Exception):
    """What an operator must fix before a backup or a restore can go on."""


@dataclass(frozen=True)
class Manifest:
    format: int
    revision: str
    taken_at: str
    blobs: int


def take(settings: Settings, destination: Path) -> Manifest:
    """Write the archive to ``destination`` (a new file, readable by its owner only)."""
    if settings.profile != "embedded":
        raise BackupError(
            "voicebox backup covers the embedded profile; production is backed up with pg_dump and "
            "a copy of the bucket (docs/operating.md)"
        )
    store = current_blob_store()
    if not isinstance(store, LocalBlobStore):
        raise BackupError("voicebox backup copies a blob folder; this service stores blobs elsewhere")
    try:
        descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    except FileExistsError:
        raise BackupError(f"{destination} exists; name a new file") from None
    try:
        with tempfile.TemporaryDirectory() as work:
            snapshot = Path(work) / DATABASE
            revision = _snapshot(Path(str(make_url(str(settings.database_url)).database)), snapshot)
            keys = [listed.key for folder in blob_inventory.FOLDERS for listed in store.listing(folder)]
            manifest = Manifest(FORMAT, revision, utcnow().isoformat(), len(keys))
            with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                _add_bytes(tar, MANIFEST, json.dumps(asdict(manifest), indent=2).encode())
                _add_bytes(tar, SECRET_KEY, settings.secret_key.encode())
                tar.add(snapshot, DATABASE)
                for key in keys:
                    # A blob deleted since it was listed belonged to a row deleted after the
                    # snapshot: the restore names it.
                    if store.exists(key):
                        tar.add(store.root / key, BLOBS + key)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    return manifest


def _snapshot(source: Path, target: Path) -> str:
    """Copy the live database through SQLite's online backup API; the copy's schema revision."""
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
        row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    if row is None:
        raise BackupError("the database has no schema revision: run voicebox db upgrade first")
    return str(row[0])


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = OWNER_ONLY
    info.mtime = int(utcnow().timestamp())
    tar.addfile(info, io.BytesIO(data))


def unpack(archive: Path, settings: Settings) -> Manifest:
    """Put an archive's database, secret key and blobs where ``settings`` (read, not resolved:
    resolving makes a secret key in the folder) keep them; the folders must be empty."""
    if settings.profile != "embedded":
        raise BackupError("voicebox restore restores the embedded profile (VOICEBOX_PROFILE=embedded)")
    data = Path(settings.data_dir).resolve()
    blobs = Path(settings.storage_dir).resolve() if settings.storage_dir else data / "blobs"
    for folder in (data, blobs):
        if folder.exists() and any(folder.iterdir()):
            raise BackupError(f"{folder} is not empty: a backup is restored into an empty folder")
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            manifest = _manifest(tar)
            data.mkdir(parents=True, exist_ok=True, mode=0o700)
            for member, target in _targets(tar, data, blobs):
                source = tar.extractfile(member)
                assert source is not None  # _targets yields regular files only
                _write(source, target)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile) as exc:
        raise BackupError(f"{archive} is not a whole voicebox backup: {exc}") from None
    return manifest


def _manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.extractfile(MANIFEST)
        read = json.loads(member.read()) if member else None
        manifest = Manifest(**read) if isinstance(read, dict) else None
    except (KeyError, ValueError, TypeError):
        manifest = None
    if manifest is None:
        raise BackupError("the archive has no readable manifest: it is not a voicebox backup")
    if manifest.format != FORMAT:
        raise BackupError(f"the archive's format is {manifest.format}; this voicebox reads {FORMAT}")
    try:
        ScriptDirectory(str(MIGRATIONS)).get_revision(manifest.revision)
    except CommandError:
        raise BackupError(
            f"the archive is at revision {manifest.revision}, which this voicebox does not know: "
            "restore it with the voicebox that took it, or a newer one"
        ) from None
    return manifest


def _targets(tar: tarfile.TarFile, data: Path, blobs: Path) -> Iterator[tuple[tarfile.TarInfo, Path]]:
    """Where each of the archive's files goes; anything else in it is refused, never written."""
    for member in tar:
        if member.name == MANIFEST:
            continue
        if not member.isfile():
            raise BackupError(f"the archive holds {member.name!r}, which is not a file")
        if member.name in (DATABASE, SECRET_KEY):
            yield member, data / member.name
        elif member.name.startswith(BLOBS):
            try:
                key = check_key(member.name.removeprefix(BLOBS))
            except ValueError:
                raise BackupError(f"the archive holds a blob with a bad name: {member.name!r}") from None
            yield member, blobs / key
        else:
            raise BackupError(f"the archive holds {member.name!r}, which a voicebox backup never does")


def _write(source: IO[bytes], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    with os.fdopen(descriptor, "wb") as out:
        while chunk := source.read(1 << 20):
            out.write(chunk)

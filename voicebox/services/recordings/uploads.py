"""Resumable uploads (tus 1.0.0): create, append at the right offset, finish, expire.

Each PATCH stores its bytes as one chunk blob, then advances the offset with a conditional
update, so two PATCHes racing for the same offset cannot both land. The last chunk joins them
all into one blob (a voice message is smaller than one S3 multipart part).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import secrets
import tempfile
from datetime import timedelta
from typing import IO

from sqlalchemy import delete, func, select, update
from werkzeug.exceptions import ClientDisconnected

from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooLarge
from voicebox.extensions import current_blob_store, current_settings, db
from voicebox.models import Upload, UploadChunk
from voicebox.services import policy
from voicebox.services.accounts.tokens import Principal, user_of
from voicebox.services.work import changed, end_read, unit, use_case
from voicebox.storage import BlobStore

log = logging.getLogger(__name__)
READ_SIZE = 64 * 1024
MAX_METADATA_PAIRS = 16
MAX_METADATA_VALUE = 1024


class ChecksumMismatch(DomainError):
    status, title, slug = 460, "Checksum Mismatch", "checksum-mismatch"


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus Upload-Metadata: comma-separated ``key base64value`` pairs."""
    if not header:
        return {}
    pairs = [p.strip() for p in header.split(",") if p.strip()]
    if len(pairs) > MAX_METADATA_PAIRS:
        raise Invalid("Too many Upload-Metadata pairs.")
    meta = {}
    for pair in pairs:
        key, _, value = pair.partition(" ")
        try:
            decoded = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise Invalid(f"Upload-Metadata value for {key!r} is not base64 text.") from None
        if not key.isascii() or len(decoded) > MAX_METADATA_VALUE:
            raise Invalid("Upload-Metadata is malformed.")
        meta[key] = decoded
    return meta


def parse_checksum(header: str | None) -> bytes | None:
    """The SHA-1 digest a tus ``Upload-Checksum: sha1 <base64 digest>`` header announces."""
    if not header:
        return None
    algorithm, _, value = header.strip().partition(" ")
    if algorithm != "sha1":
        raise Invalid("Only sha1 checksums are supported.")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise Invalid("Upload-Checksum is not base64.") from None


def _owned(principal: Principal, upload_id: str) -> Upload:
    return policy.upload_for(principal, db.session.get(Upload, upload_id))


@use_case
def create(principal: Principal, length: int, metadata: dict[str, str]) -> Upload:
    settings = current_settings()
    if not policy.may_record(principal):
        raise Forbidden("Only those who may send a recording can upload one.")
    if length <= 0:
        raise Invalid("Upload-Length must be a positive number of bytes.")
    if length > settings.max_upload_bytes:
        raise TooLarge(f"Uploads are limited to {settings.max_upload_bytes} bytes.")
    _check_room(principal, length)
    upload = Upload(
        owner_user_id=principal.user.id if principal.user is not None else None,
        owner_device_id=principal.device.id if principal.device else None,
        length=length,
        offset=0,
        meta=metadata,
        expires_at=utcnow() + timedelta(hours=settings.upload_ttl_hours),
    )
    db.session.add(upload)
    return upload


def _check_room(principal: Principal, length: int) -> None:
    """Refuse an upload past the caller's quota: uploads not yet sent nor expired, and the
    bytes they declare (an unfinished upload holds storage until it expires)."""
    settings = current_settings()
    if principal.device is not None:
        owner = Upload.owner_device_id == principal.device.id
    else:
        owner = Upload.owner_user_id == user_of(principal).id
    count, declared = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Upload.length), 0)).where(
            owner, Upload.expires_at > utcnow()
        )
    ).one()
    if count >= settings.max_open_uploads:
        raise Conflict(
            f"You have {count} unfinished uploads, the most at once; "
            "send or cancel one before starting another."
        )
    if declared + length > settings.max_upload_bytes_in_flight:
        raise Conflict(
            f"Your unfinished uploads would hold more than {settings.max_upload_bytes_in_flight} bytes; "
            "send or cancel one before starting another."
        )


def get(principal: Principal, upload_id: str) -> Upload:
    upload = _owned(principal, upload_id)
    if upload.expires_at <= utcnow():
        raise NotFound("No such upload; it may have expired.")
    return upload


def _receive(stream: IO[bytes], limit: int, spool: IO[bytes]) -> tuple[int, bytes]:
    """Copy at most ``limit`` bytes; a connection cut half-way keeps what arrived."""
    sha1 = hashlib.sha1(usedforsecurity=False)
    received = 0
    try:
        while True:
            piece = stream.read(min(READ_SIZE, limit + 1 - received))
            if not piece:
                break
            received += len(piece)
            if received > limit:
                raise TooLarge("The chunk goes past the declared Upload-Length.")
            sha1.update(piece)
            spool.write(piece)
    except ClientDisconnected:
        log.info("upload connection cut after %d bytes; keeping them", received)
    return received, sha1.digest()


def append(
    principal: Principal, upload_id: str, offset: int, stream: IO[bytes], sha1: bytes | None
) -> Upload:
    """Add the bytes at ``offset`` (checked against ``sha1`` if given); 409 if that is not where
    the upload stands. The chunk is recorded in a unit of work of its own, and so is joining
    the chunks once the last has come."""
    upload = get(principal, upload_id)
    if offset != upload.offset:
        raise Conflict(f"Upload-Offset must be {upload.offset}.")
    remaining = upload.length - offset
    end_read()
    store = current_blob_store()
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as spool:
        received, digest = _receive(stream, remaining, spool)
        if sha1 is not None and digest != sha1:
            raise ChecksumMismatch("The chunk does not match its Upload-Checksum; send it again.")
        if received == 0:
            return get(principal, upload_id)
        spool.seek(0)
        key = f"uploads/{upload_id}/{offset:012d}-{secrets.token_hex(4)}"
        store.put(key, spool)
    with unit(alone=True):
        jobs.stored(key)
        advanced = changed(
            update(Upload)
            .where(Upload.id == upload_id, Upload.offset == offset)
            .values(
                offset=offset + received,
                expires_at=utcnow() + timedelta(hours=current_settings().upload_ttl_hours),
            )
        )
        if advanced != 1:
            raise Conflict("Another request moved this upload on; ask HEAD for the offset.")
        db.session.add(UploadChunk(upload_id=upload_id, offset=offset, size=received, key=key))
    upload = db.session.get_one(Upload, upload_id)
    if upload.offset == upload.length:
        with unit(alone=True):
            _join(upload, store)
    return upload


def _join(upload: Upload, store: BlobStore) -> None:
    chunks = list(
        db.session.scalars(
            select(UploadChunk).where(UploadChunk.upload_id == upload.id).order_by(UploadChunk.offset)
        )
    )
    key = f"uploads/{upload.id}/data"
    with tempfile.TemporaryFile() as joined:
        for chunk in chunks:
            for piece in store.open_range(chunk.key):
                joined.write(piece)
        joined.seek(0)
        store.put(key, joined)
    jobs.stored(key)
    upload.blob_key = key
    upload.completed_at = utcnow()
    db.session.execute(delete(UploadChunk).where(UploadChunk.upload_id == upload.id))
    jobs.delete_blobs(chunk.key for chunk in chunks)


def terminate(principal: Principal, upload_id: str) -> None:
    upload = _owned(principal, upload_id)
    _remove(upload)


def blob_keys(uploads: list[Upload]) -> list[str]:
    """Where the uploads' bytes are stored: their chunks, and the joined file of a finished one."""
    chunks = select(UploadChunk.key).where(UploadChunk.upload_id.in_([upload.id for upload in uploads]))
    return [*db.session.scalars(chunks), *(upload.blob_key for upload in uploads if upload.blob_key)]


def _remove(upload: Upload) -> None:
    """The row, committed on its own, then its blobs (a blob that fails to go is the blob
    sweep's to find)."""
    with unit(alone=True):
        jobs.delete_blobs(blob_keys([upload]))
        db.session.delete(upload)


def take_completed(principal: Principal, upload_id: str) -> tuple[str, int]:
    """Hand a finished upload's blob to a new message (in the caller's transaction)."""
    upload = get(principal, upload_id)
    if upload.completed_at is None or upload.blob_key is None:
        raise Conflict(f"The upload has {upload.offset} of {upload.length} bytes; finish it first.")
    taken = (upload.blob_key, upload.length)
    db.session.delete(upload)
    return taken


def purge_expired() -> int:
    """Delete uploads past their expiry, with their chunks; safe to run any number of times."""
    expired = list(db.session.scalars(select(Upload).where(Upload.expires_at < utcnow()).limit(1000)))
    for upload in expired:
        _remove(upload)
    return len(expired)

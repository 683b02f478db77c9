"""Blob stores behind one interface; ``build_store`` picks one from the settings."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import boto3
from botocore.config import Config

from config.settings import Settings
from voicebox.storage.base import BlobInfo, BlobNotFound, BlobStore, StorageUnavailable
from voicebox.storage.local import LocalBlobStore
from voicebox.storage.s3 import S3BlobStore
from voicebox.storage.signing import UrlSigner

__all__ = ["BlobInfo", "BlobNotFound", "BlobStore", "StorageUnavailable", "build_store"]


def build_store(settings: Settings, local_url_prefix: str) -> BlobStore:
    if settings.storage_backend == "s3":
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=settings.s3_secret_key,
            # Path-style addressing works with MinIO and any S3-compatible server;
            # short timeouts so a dead store fails a request instead of hanging it.
            config=Config(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        return S3BlobStore(client, settings.s3_bucket)  # type: ignore[arg-type]
    # A key of its own, so a link signature can never be replayed as anything else.
    link_key = hmac.new(settings.secret_key.encode(), b"voicebox.blob-links", hashlib.sha256).digest()
    return LocalBlobStore(Path(settings.storage_dir), UrlSigner(link_key), local_url_prefix)  # type: ignore[arg-type]

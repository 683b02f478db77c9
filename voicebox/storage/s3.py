"""Blobs in any S3-compatible store (AWS S3, MinIO, Ceph) through boto3."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from voicebox.storage.base import (
    CHUNK_SIZE,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    ListedBlob,
    StorageUnavailable,
    check_key,
    content_type_for,
)

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore(BlobStore):
    redirects = True

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def _call(self, key: str | None, method: str, **params: Any) -> Any:
        try:
            return getattr(self.client, method)(**params)
        except ClientError as exc:
            if key is not None and exc.response.get("Error", {}).get("Code") in _MISSING:
                raise BlobNotFound(key) from None
            raise StorageUnavailable(f"S3 {method} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 {method} failed: {exc}") from exc

    def put(self, key: str, source: IO[bytes] | bytes | Path) -> BlobInfo:
        check_key(key)
        extra = {"ContentType": content_type_for(key)}
        if isinstance(source, Path):
            self._call(
                None, "upload_file", Filename=str(source), Bucket=self.bucket, Key=key, ExtraArgs=extra
            )
        elif isinstance(source, bytes):
            self._call(None, "put_object", Bucket=self.bucket, Key=key, Body=source, **extra)
        else:
            self._call(None, "upload_fileobj", Fileobj=source, Bucket=self.bucket, Key=key, ExtraArgs=extra)
        return self.stat(key)

    def stat(self, key: str) -> BlobInfo:
        head = self._call(check_key(key), "head_object", Bucket=self.bucket, Key=key)
        return BlobInfo(key, head["ContentLength"], head.get("ContentType") or content_type_for(key))

    def open_range(self, key: str, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        check_key(key)
        if stop is not None and stop <= start:
            return iter(())
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start or stop is not None:
            params["Range"] = f"bytes={start}-{'' if stop is None else stop - 1}"
        body = self._call(key, "get_object", **params)["Body"]
        return body.iter_chunks(CHUNK_SIZE)

    def presigned_url(self, key: str, expires_in: int) -> str:
        check_key(key)
        return self._call(
            None,
            "generate_presigned_url",
            ClientMethod="get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=expires_in,
        )

    def delete(self, key: str) -> None:
        self._call(None, "delete_object", Bucket=self.bucket, Key=check_key(key))

    def listing(self, prefix: str) -> Iterator[ListedBlob]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield ListedBlob(item["Key"], item["LastModified"].astimezone(UTC))
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"S3 list_objects_v2 failed: {exc}") from exc

    def check(self) -> None:
        self._call(None, "head_bucket", Bucket=self.bucket)

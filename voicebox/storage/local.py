"""Blobs in a local folder: the embedded profile's store, and a stand-in for S3 in development."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import quote, urlencode

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
from voicebox.storage.signing import UrlSigner


class LocalBlobStore(BlobStore):
    """``presigned_url`` gives a signed, expiring link to ``url_prefix``, served by the API."""

    def __init__(self, root: Path, signer: UrlSigner, url_prefix: str) -> None:
        self.root = root
        self.signer = signer
        self.url_prefix = url_prefix.rstrip("/")

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, source: IO[bytes] | bytes | Path) -> BlobInfo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside and rename, so a reader never sees half a blob.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(source, bytes):
                    out.write(source)
                elif isinstance(source, Path):
                    with source.open("rb") as src:
                        shutil.copyfileobj(src, out, CHUNK_SIZE)
                else:
                    shutil.copyfileobj(source, out, CHUNK_SIZE)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self.stat(key)

    def stat(self, key: str) -> BlobInfo:
        try:
            size = self._path(key).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        return BlobInfo(key, size, content_type_for(key))

    def open_range(self, key: str, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFound(key)
        # Opened only once iterated: a response that is never read must not leak the file.
        return self._chunks(path, start, stop)

    @staticmethod
    def _chunks(path: Path, start: int, stop: int | None) -> Iterator[bytes]:
        with path.open("rb") as handle:
            handle.seek(start)
            remaining = None if stop is None else max(stop - start, 0)
            while remaining is None or remaining > 0:
                chunk = handle.read(CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def presigned_url(self, key: str, expires_in: int) -> str:
        check_key(key)
        expires, signature = self.signer.sign(key, expires_in)
        query = urlencode({"expires": expires, "signature": signature})
        return f"{self.url_prefix}/{quote(key)}?{query}"

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def listing(self, prefix: str) -> Iterator[ListedBlob]:
        base = self.root / check_key(prefix.rstrip("/"))
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            # Half-written files (``put`` writes aside, then renames) are not blobs yet.
            if path.is_file() and not path.name.startswith("."):
                modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                yield ListedBlob(path.relative_to(self.root).as_posix(), modified)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".health-"):
                pass
        except OSError as exc:
            raise StorageUnavailable(f"blob folder not writable: {exc}") from exc

"""The one interface every blob store speaks. Knows nothing of Flask or the database."""

from __future__ import annotations

import mimetypes
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

# Keys are built by our code, never taken from a request as-is; this is the backstop that
# keeps a key from escaping the local folder or meaning something odd to S3.
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$")
MAX_KEY_LENGTH = 512
CHUNK_SIZE = 64 * 1024

mimetypes.add_type("audio/ogg", ".opus")
mimetypes.add_type("audio/mp4", ".m4a")
mimetypes.add_type("audio/amr", ".amr")


class BlobNotFound(KeyError):
    """No blob under that key."""


class StorageUnavailable(RuntimeError):
    """The store could not be reached or answered an error: worth retrying later."""


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    content_type: str


@dataclass(frozen=True)
class ListedBlob:
    key: str
    modified_at: datetime  # aware, UTC


def check_key(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH or not _KEY.match(key) or ".." in key:
        raise ValueError(f"invalid blob key {key!r}")
    return key


def content_type_for(key: str) -> str:
    """Blobs are typed by their key's extension, identically in every store."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class BlobStore(ABC):
    """Put, read (with byte ranges), link to, and delete immutable blobs by key."""

    # Whether clients should be sent to ``presigned_url`` rather than have the API stream bytes.
    redirects = False

    @abstractmethod
    def put(self, key: str, source: IO[bytes] | bytes | Path) -> BlobInfo:
        """Store bytes, a readable binary stream, or a file's contents under ``key``."""

    @abstractmethod
    def stat(self, key: str) -> BlobInfo:
        """Size and type of the blob; BlobNotFound if there is none."""

    @abstractmethod
    def open_range(self, key: str, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        """The bytes ``[start, stop)`` of the blob in chunks; BlobNotFound if there is none."""

    @abstractmethod
    def presigned_url(self, key: str, expires_in: int) -> str:
        """A URL anyone holding it may GET (with Range) until ``expires_in`` seconds pass."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the blob; removing one that is gone is not an error."""

    @abstractmethod
    def listing(self, prefix: str) -> Iterator[ListedBlob]:
        """Every blob under the folder ``prefix`` (``recordings/``), when it was last written."""

    @abstractmethod
    def check(self) -> None:
        """Raise StorageUnavailable unless the store can be written and read now."""

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except BlobNotFound:
            return False
        return True

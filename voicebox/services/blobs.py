"""Following a signed link to a blob in the local folder store."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from voicebox.errors import NotFound
from voicebox.extensions import current_blob_store
from voicebox.storage import BlobInfo, BlobNotFound
from voicebox.storage.local import LocalBlobStore


@dataclass(frozen=True)
class BlobStream:
    """Bytes for the API to send itself (with Range), and how long a client may cache them."""

    info: BlobInfo
    read: Callable[[int, int], Iterator[bytes]]
    max_age: int


def open_signed_link(key: str, expires: int, signature: str) -> BlobStream:
    """The blob behind a link, and how long a client may cache it; NotFound for any bad link."""
    store = current_blob_store()
    if not isinstance(store, LocalBlobStore) or not store.signer.verify(key, expires, signature):
        raise NotFound("This link is not valid or has expired.")
    try:
        info = store.stat(key)
    except (BlobNotFound, ValueError):
        raise NotFound("This link is not valid or has expired.") from None
    return BlobStream(info, functools.partial(store.open_range, key), max(int(expires - time.time()), 0))

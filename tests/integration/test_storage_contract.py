"""One contract, two blob stores: the local folder and S3 (moto's server, over real HTTP)."""

from __future__ import annotations

import io
import os
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import s3_client
from voicebox.storage import BlobNotFound, BlobStore, StorageUnavailable
from voicebox.storage.local import LocalBlobStore
from voicebox.storage.s3 import S3BlobStore
from voicebox.storage.signing import UrlSigner

Fetch = Callable[[str, dict], tuple[int, bytes, dict]]
PAYLOAD = os.urandom(200_000) + b"the end"


@pytest.fixture(params=["local", "s3"])
def store_and_fetch(request, tmp_path: Path) -> Iterator[tuple[BlobStore, Fetch]]:
    """A store, and a way to GET one of its presigned URLs as a phone would."""
    if request.param == "s3":
        store = request.getfixturevalue("production_app").extensions["voicebox.blob_store"]
        assert isinstance(store, S3BlobStore)

        def fetch(url: str, headers: dict) -> tuple[int, bytes, dict]:
            response = requests.get(url, headers=headers, timeout=10)
            return response.status_code, response.content, {k.lower(): v for k, v in response.headers.items()}

        yield store, fetch
        return
    app = request.getfixturevalue("embedded_app")
    store = app.extensions["voicebox.blob_store"]
    assert isinstance(store, LocalBlobStore)
    client = app.test_client()

    def fetch_local(url: str, headers: dict) -> tuple[int, bytes, dict]:
        response = client.get(url, headers=headers)
        return response.status_code, response.get_data(), {k.lower(): v for k, v in response.headers.items()}

    yield store, fetch_local


def key() -> str:
    return f"contract/{secrets.token_hex(6)}/message.ogg"


def test_put_bytes_stream_and_file_read_back(store_and_fetch, tmp_path: Path) -> None:
    store, _ = store_and_fetch
    path = tmp_path / "source.bin"
    path.write_bytes(PAYLOAD)
    for source in (PAYLOAD, io.BytesIO(PAYLOAD), path):
        name = key()
        info = store.put(name, source)
        assert info.size == len(PAYLOAD)
        assert info.content_type == "audio/ogg"
        assert store.stat(name) == info
        assert b"".join(store.open_range(name)) == PAYLOAD
        assert store.exists(name)


def test_byte_ranges(store_and_fetch) -> None:
    store, _ = store_and_fetch
    name = key()
    store.put(name, PAYLOAD)
    assert b"".join(store.open_range(name, 0, 10)) == PAYLOAD[:10]
    assert b"".join(store.open_range(name, 100_000, 150_000)) == PAYLOAD[100_000:150_000]
    assert b"".join(store.open_range(name, len(PAYLOAD) - 7)) == b"the end"
    assert b"".join(store.open_range(name, 5, 5)) == b""


def test_missing_blob(store_and_fetch) -> None:
    store, _ = store_and_fetch
    name = key()
    with pytest.raises(BlobNotFound):
        store.stat(name)
    with pytest.raises(BlobNotFound):
        b"".join(store.open_range(name))
    assert not store.exists(name)
    store.delete(name)


def test_delete(store_and_fetch) -> None:
    store, _ = store_and_fetch
    name = key()
    store.put(name, b"bytes")
    store.delete(name)
    assert not store.exists(name)


def test_listing_a_folder(store_and_fetch) -> None:
    store, _ = store_and_fetch
    folder = f"listing-{secrets.token_hex(4)}/"
    before = datetime.now(UTC) - timedelta(minutes=1)
    for key in (f"{folder}a/original", f"{folder}a/opus.ogg", f"{folder}b/original", "elsewhere/c"):
        store.put(key, b"x")
    listed = {blob.key: blob.modified_at for blob in store.listing(folder)}
    assert set(listed) == {f"{folder}a/original", f"{folder}a/opus.ogg", f"{folder}b/original"}
    assert all(before < at <= datetime.now(UTC) + timedelta(minutes=1) for at in listed.values())
    assert list(store.listing(f"missing-{secrets.token_hex(4)}/")) == []


def test_presigned_url_serves_whole_and_ranges(store_and_fetch) -> None:
    store, fetch = store_and_fetch
    name = key()
    store.put(name, PAYLOAD)
    url = store.presigned_url(name, 60)
    status, body, _ = fetch(url, {})
    assert status == 200 and body == PAYLOAD
    status, body, headers = fetch(url, {"Range": "bytes=1000-1999"})
    assert status == 206 and body == PAYLOAD[1000:2000]
    assert headers["content-range"] == f"bytes 1000-1999/{len(PAYLOAD)}"
    status, body, _ = fetch(url, {"Range": "bytes=-7"})
    assert status == 206 and body == b"the end"


def test_presigned_url_expires(store_and_fetch) -> None:
    store, fetch = store_and_fetch
    name = key()
    store.put(name, b"short-lived")
    url = store.presigned_url(name, 1)
    if isinstance(store, S3BlobStore):
        # moto does not enforce presigned expiry; S3 and MinIO do, from this signed parameter.
        assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["1"]
        return
    time.sleep(2.1)
    status, _, _ = fetch(url, {})
    assert status == 404


def test_keys_cannot_escape(store_and_fetch) -> None:
    store, _ = store_and_fetch
    for bad in ("../etc/passwd", "/abs", "a//b", "a/../b", "", "a/.hidden/../x", "x" * 600, "sp ace"):
        with pytest.raises(ValueError):
            store.put(bad, b"x")


def test_check_passes_when_reachable(store_and_fetch) -> None:
    store, _ = store_and_fetch
    store.check()


def test_check_fails_when_unreachable(tmp_path: Path, s3_endpoint: str) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_bytes(b"")
    with pytest.raises(StorageUnavailable):
        LocalBlobStore(blocked, UrlSigner(b"k"), "/blobs").check()
    with pytest.raises(StorageUnavailable):
        S3BlobStore(s3_client(s3_endpoint), "no-such-bucket-here").check()


def test_local_links_reject_tampering(embedded_app) -> None:
    store = embedded_app.extensions["voicebox.blob_store"]
    client = embedded_app.test_client()
    store.put("contract/tamper.ogg", b"secret audio")
    store.put("contract/other.ogg", b"other audio")
    url = store.presigned_url("contract/tamper.ogg", 60)
    assert client.get(url).status_code == 200
    assert client.get(url.replace("tamper.ogg", "other.ogg")).status_code == 404
    assert client.get(url.replace("signature=", "signature=0")).status_code == 404
    assert client.get(url.replace("expires=", "expires=9")).status_code == 404
    assert client.get("/api/v1/blobs/contract/tamper.ogg").status_code == 422
    assert client.get(url, headers={"Range": "bytes=999-1000"}).status_code == 416

"""Signed links to local blobs: valid until they expire, and only for the key they name."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.settings import DEV_SECRET_KEY, Settings
from voicebox import create_app
from voicebox.extensions import current_blob_store
from voicebox.storage.base import check_key, content_type_for
from voicebox.storage.signing import UrlSigner


def test_signature_binds_key_and_expiry() -> None:
    signer = UrlSigner(b"secret")
    expires, signature = signer.sign("a/b.ogg", 60)
    assert signer.verify("a/b.ogg", expires, signature)
    assert not signer.verify("a/c.ogg", expires, signature)
    assert not signer.verify("a/b.ogg", expires + 1, signature)
    assert not UrlSigner(b"other").verify("a/b.ogg", expires, signature)


def test_expired_signature_fails() -> None:
    signer = UrlSigner(b"secret")
    past = int(time.time()) - 1
    assert not signer.verify("a.ogg", past, signer.signature("a.ogg", past))


@given(st.text(max_size=80))
def test_keys_are_either_safe_or_refused(key: str) -> None:
    try:
        checked = check_key(key)
    except ValueError:
        return
    assert not checked.startswith("/") and ".." not in checked and "//" not in checked
    assert all(part not in ("", ".", "..") for part in checked.split("/"))


@pytest.mark.parametrize(
    ("key", "content_type"),
    [
        ("m/1/opus.ogg", "audio/ogg"),
        ("m/1/aac.m4a", "audio/mp4"),
        ("m/1/original", "application/octet-stream"),
    ],
)
def test_content_type_follows_the_extension(key: str, content_type: str) -> None:
    assert content_type_for(key) == content_type


def test_a_link_signed_with_the_published_development_secret_is_refused(tmp_path: Path) -> None:
    """The embedded default once signed with a secret anyone could read in the source."""
    app = create_app(Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None))
    key = "recordings/r1/opus.ogg"
    with app.app_context():
        current_blob_store().put(key, b"OggS a child's voice")
    published = hmac.new(DEV_SECRET_KEY.encode(), b"voicebox.blob-links", hashlib.sha256).digest()
    expires, signature = UrlSigner(published).sign(key, 60)
    forged = app.test_client().get(
        f"/api/v1/blobs/{key}", query_string={"expires": expires, "signature": signature}
    )
    assert forged.status_code == 404

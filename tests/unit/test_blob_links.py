"""Signed links to local blobs: valid until they expire, and only for the key they name."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

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

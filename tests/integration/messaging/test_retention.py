"""Delivered messages are kept until deleted, unless a retention is set: then they go with
their recordings and blobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from tests.conftest import Api, app_env, build_app, dispose
from tests.integration.recordings import deliver_directly
from voicebox.clock import utcnow
from voicebox.extensions import current_blob_store, db
from voicebox.models import Message
from voicebox.services.messaging import retention


def delivered(app: Flask, child_id: str, sender_id: str, days_ago: int) -> tuple[str, str]:
    """A message delivered ``days_ago``, with a recording whose original is stored; its id and
    the original's key."""
    key = f"recordings/retention-{days_ago}/original"
    with app.app_context():
        current_blob_store().put(key, b"a voice")
    (message_id,) = deliver_directly(app, child_id, sender_id, 1, utcnow() - timedelta(days=days_ago), key)
    return message_id, key


def test_delivered_messages_are_kept_unless_a_retention_is_set(
    app: Flask, request: pytest.FixtureRequest, parent: Api, make_child
) -> None:
    child = make_child()
    old, old_key = delivered(app, child["id"], parent.user["id"], days_ago=10)
    new, new_key = delivered(app, child["id"], parent.user["id"], days_ago=1)
    with app.app_context():
        assert retention.purge_delivered() == 0  # the default keeps them
    limited = build_app(app_env(request), VOICEBOX_MESSAGE_RETENTION_DAYS="7")
    try:
        with limited.app_context():
            assert retention.purge_delivered() == 1
            store = current_blob_store()
            assert db.session.get(Message, old) is None and not store.exists(old_key)
            assert db.session.get(Message, new) is not None and store.exists(new_key)
            db.session.remove()
    finally:
        dispose(limited)
    assert parent.get(f"/messages/{old}").status_code == 404
    assert parent.get(f"/messages/{new}").status_code == 200

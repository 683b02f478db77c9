"""Helpers for the message tests: send a recording, wait for the worker, fetch renditions."""

from __future__ import annotations

import io
import time
from typing import Any

import requests
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import Api

FINAL = {"delivered", "played", "failed", "scheduled"}


def send(sender: Api, to: str, audio: bytes, filename: str = "recording.bin", **fields: Any) -> Any:
    """POST /messages as multipart; the name and type say nothing true about the bytes."""
    return post_form(sender, "/messages", audio, filename, to=to, **fields)


def post_form(
    sender: Api, path: str, audio: bytes | None, filename: str = "recording.bin", **fields: Any
) -> Any:
    """POST multipart form fields and, if given, the recording as 'audio'."""
    data: dict[str, Any] = {k: str(v) for k, v in fields.items() if k != "headers"}
    if audio is not None:
        data["audio"] = FileStorage(io.BytesIO(audio), filename, content_type="application/octet-stream")
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(MultiDict(data))
    return sender.post(
        path,
        data=body,
        headers=fields.get("headers"),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def wait_for(
    api: Api, message_id: str, statuses: set[str] = FINAL, worker: Any = None, seconds: float = 90
) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        response = api.get(f"/messages/{message_id}")
        assert response.status_code == 200, response.json
        if response.json["status"] in statuses:
            return response.json
        assert worker is None or worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, f"message stuck in {response.json['status']}"
        time.sleep(0.2)


def fetch_audio(api: Api, message_id: str, fmt: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    return fetch(api, f"/messages/{message_id}/audio?format={fmt}", headers)


def fetch(api: Api, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    """What a phone gets for audio at ``path``: follows a redirect to S3 as a phone would."""
    response = api.get(path, headers=headers)
    if response.status_code == 302:
        followed = requests.get(response.headers["Location"], headers=headers or {}, timeout=10)
        return followed.status_code, followed.content, dict(followed.headers)
    return response.status_code, response.get_data(), dict(response.headers)

"""Resumable uploads with the stock tus client, over real HTTP, cut off and resumed."""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import subprocess
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from sqlalchemy import select, update
from tusclient import client as tus

from tests import audio
from tests.conftest import Api
from tests.integration.recordings import recording_of, wait_for
from voicebox import jobs
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Upload, UploadChunk

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = 32 * 1024


def tus_client(base_url: str, api: Api) -> tus.TusClient:
    return tus.TusClient(f"{base_url}/api/v1/uploads", headers={"Authorization": f"Bearer {api.token}"})


def cut_patch(url: str, token: str, offset: int, data: bytes, sent: int) -> None:
    """A PATCH that declares all of ``data`` but whose connection drops after ``sent`` bytes."""
    parts = urlsplit(url)
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
        f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode() + data[:sent])
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1024)


def offset_of(url: str, token: str) -> int:
    response = requests.head(url, headers={**TUS, "Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200
    return int(response.headers["Upload-Offset"])


def test_an_upload_cut_off_half_way_resumes_and_becomes_a_message(
    app: Flask, api_server: str, parent: Api, make_child, pair_device, worker: subprocess.Popen
) -> None:
    """The API itself, as production's proxy reaches it with uploads unbuffered (the push
    server in front of ``voicebox up`` passes on whole chunks only)."""
    child = make_child()
    device = pair_device(child["id"])
    recording = audio.recording("m4a", seconds=6)
    client = tus_client(api_server, parent)
    uploader = client.uploader(
        file_stream=io.BytesIO(recording),
        chunk_size=CHUNK,
        upload_checksum=True,
        metadata={"filename": "a.m4a"},
    )
    uploader.upload_chunk()
    assert offset_of(uploader.url, parent.token) == CHUNK
    # The phone loses its signal half-way through the next chunk: the bytes that arrived stay.
    cut_patch(uploader.url, parent.token, CHUNK, recording[CHUNK : 2 * CHUNK], sent=CHUNK // 2)
    held = offset_of(uploader.url, parent.token)
    assert CHUNK < held <= CHUNK + CHUNK // 2
    resumed = client.uploader(
        file_stream=io.BytesIO(recording), url=uploader.url, chunk_size=CHUNK, upload_checksum=True
    )
    assert resumed.offset == held
    resumed.upload()
    assert offset_of(uploader.url, parent.token) == len(recording)
    upload_id = uploader.url.rsplit("/", 1)[1]
    response = parent.post("/messages", {"to": child["id"], "upload_id": upload_id, "title": "Resumed"})
    assert response.status_code == 202, response.json
    key = recording_of(app, response.json["id"]).original_key
    stored = b"".join(app.extensions["voicebox.blob_store"].open_range(key))
    assert hashlib.sha1(stored).digest() == hashlib.sha1(recording).digest()
    message = wait_for(parent, response.json["id"], worker=worker)
    assert message["status"] == "delivered" and message["title"] == "Resumed"
    assert [m["id"] for m in device.get("/inbox").json["items"]] == [message["id"]]
    # The upload is spent: it cannot become a second message.
    assert parent.post("/messages", {"to": child["id"], "upload_id": upload_id}).status_code == 404


def test_tus_protocol_rules(parent: Api, register, make_child, app: Flask) -> None:
    options = parent.options("/uploads")
    assert options.status_code == 204
    assert options.headers["Tus-Version"] == "1.0.0"
    assert set(options.headers["Tus-Extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "termination",
        "expiration",
        "checksum",
    }
    assert options.headers["Tus-Checksum-Algorithm"] == "sha1"
    assert parent.post("/uploads", headers={"Upload-Length": "10"}).status_code == 412
    too_big = int(options.headers["Tus-Max-Size"]) + 1
    assert parent.post("/uploads", headers={**TUS, "Upload-Length": str(too_big)}).status_code == 413
    assert parent.post("/uploads", headers={**TUS, "Upload-Length": "x"}).status_code == 422
    # A digit to str.isdigit, not to int(): once a 500.
    assert parent.post("/uploads", headers={**TUS, "Upload-Length": "²"}).status_code == 422
    assert parent.post("/uploads", headers={**TUS, "Upload-Length": "0"}).status_code == 422
    assert (
        parent.post(
            "/uploads", headers={**TUS, "Upload-Length": "5", "Upload-Metadata": "name %%%"}
        ).status_code
        == 422
    )

    first = b"hello"
    created = parent.post(
        "/uploads",
        data=first,
        headers={**TUS, "Upload-Length": "10", "Content-Type": "application/offset+octet-stream"},
    )
    assert created.status_code == 201 and created.headers["Upload-Offset"] == "5"
    assert created.headers["Tus-Resumable"] == "1.0.0" and created.headers["Upload-Expires"].endswith("GMT")
    path = created.headers["Location"].removeprefix("/api/v1")
    chunk = {**TUS, "Content-Type": "application/offset+octet-stream"}
    assert parent.patch(path, data=b"world", headers={**chunk, "Upload-Offset": "0"}).status_code == 409
    assert (
        parent.patch(
            path, data=b"world", headers={**chunk, "Upload-Offset": "5", "Content-Type": "text/plain"}
        ).status_code
        == 415
    )
    wrong_sum = base64.b64encode(hashlib.sha1(b"WORLD").digest()).decode()
    mismatch = parent.patch(
        path, data=b"world", headers={**chunk, "Upload-Offset": "5", "Upload-Checksum": f"sha1 {wrong_sum}"}
    )
    assert mismatch.status_code == 460
    assert parent.head(path, headers=TUS).headers["Upload-Offset"] == "5"
    assert parent.patch(path, data=b"world!", headers={**chunk, "Upload-Offset": "5"}).status_code == 413
    stranger = register("parent", "Stranger")
    assert stranger.head(path, headers=TUS).status_code == 404
    assert stranger.patch(path, data=b"world", headers={**chunk, "Upload-Offset": "5"}).status_code == 404
    right_sum = base64.b64encode(hashlib.sha1(b"world").digest()).decode()
    done = parent.patch(
        path, data=b"world", headers={**chunk, "Upload-Offset": "5", "Upload-Checksum": f"sha1 {right_sum}"}
    )
    assert done.status_code == 204 and done.headers["Upload-Offset"] == "10"
    with app.app_context():
        upload = db.session.get_one(Upload, path.rsplit("/", 1)[1])
        assert b"".join(app.extensions["voicebox.blob_store"].open_range(upload.blob_key)) == b"helloworld"
        assert db.session.scalars(select(UploadChunk)).all() == []
        db.session.remove()
    assert parent.delete(path, headers=TUS).status_code == 204
    assert parent.head(path, headers=TUS).status_code == 404


def test_an_unfinished_upload_cannot_be_sent_and_expires(
    app: Flask, parent: Api, make_child, worker: subprocess.Popen
) -> None:
    child = make_child()
    created = parent.post(
        "/uploads",
        data=b"#!AMR\n",
        headers={**TUS, "Upload-Length": "100", "Content-Type": "application/offset+octet-stream"},
    )
    upload_id = created.headers["Location"].rsplit("/", 1)[1]
    refused = parent.post("/messages", {"to": child["id"], "upload_id": upload_id})
    assert refused.status_code == 409 and "6 of 100" in refused.json["detail"]
    store = app.extensions["voicebox.blob_store"]
    with app.app_context():
        chunk_keys = [c.key for c in db.session.scalars(select(UploadChunk))]
        assert chunk_keys and all(store.exists(k) for k in chunk_keys)
        db.session.execute(update(Upload).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    assert parent.head(f"/uploads/{upload_id}", headers=TUS).status_code == 404
    app.extensions["celery"].send_task(jobs.PURGE_UPLOADS)
    # The row goes first; its chunks once that has committed.
    deadline = time.monotonic() + 30
    while upload_exists(app, upload_id) or any(store.exists(k) for k in chunk_keys):
        assert worker.poll() is None and time.monotonic() < deadline, "the purge did not run"
        time.sleep(0.2)


def upload_exists(app: Flask, upload_id: str) -> bool:
    with app.app_context():
        found = db.session.get(Upload, upload_id) is not None
        db.session.remove()
        return found


def test_only_those_who_may_send_upload_and_each_within_a_quota(app: Flask, register, parent: Api) -> None:
    settings = app.config["VOICEBOX_SETTINGS"]
    applicant = register("volunteer", "Applicant")  # not approved: may send nothing
    assert applicant.post("/uploads", headers={**TUS, "Upload-Length": "1000"}).status_code == 403

    def start(api: Api, length: int) -> Any:
        return api.post("/uploads", headers={**TUS, "Upload-Length": str(length)})

    opened = [start(parent, 1000) for _ in range(settings.max_open_uploads)]
    assert all(response.status_code == 201 for response in opened)
    refused = start(parent, 1000)
    assert refused.status_code == 409 and "unfinished uploads" in refused.json["detail"]
    # Cancelling one makes room again.
    assert (
        parent.delete(opened[0].headers["Location"].removeprefix("/api/v1"), headers=TUS).status_code == 204
    )
    assert start(parent, 1000).status_code == 201

    papa = register("parent", "Papa")
    largest = settings.max_upload_bytes
    fits = settings.max_upload_bytes_in_flight // largest
    assert all(start(papa, largest).status_code == 201 for _ in range(fits))
    assert start(papa, largest).status_code == 409

"""Upload to delivered for a 60 s voice message, with the production shape running here.

gunicorn serves the API on PostgreSQL, Redis and an S3 endpoint (moto's server); one Celery
worker transcodes. Each run sends a 60 s AAC recording as multipart POST /messages and polls
GET /messages/{id} until it is delivered. The child's guardian turns quiet hours off first, as
the benchmark runs at any hour. Goal: p50 under 3 s.
"""

from __future__ import annotations

import http.client
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks._harness import (
    background,
    entry,
    gunicorn,
    migrate,
    postgres_schema,
    production_env,
    report,
    s3_server,
    worker_argv,
)
from tests import audio


def call(
    port: int,
    method: str,
    path: str,
    token: str | None = None,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body, headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def multipart(fields: dict[str, str], audio_bytes: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="story.m4a"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + audio_bytes
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def family(port: int) -> tuple[str, str]:
    status, session = call(
        port,
        "POST",
        "/api/v1/auth/register",
        body=json.dumps(
            {"phone": "+8613800000000", "password": "benchmark pw", "display_name": "Mama", "role": "parent"}
        ).encode(),
    )
    assert status == 201, session
    token = session["token"]
    status, child = call(
        port,
        "POST",
        "/api/v1/children",
        token,
        json.dumps({"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True}).encode(),
    )
    assert status == 201, child
    # Between 21:30 and 07:00 Beijing time a plain message would wait for the morning.
    status, child = call(port, "PATCH", f"/api/v1/children/{child['id']}", token, b'{"quiet_hours": null}')
    assert status == 200, child
    return token, child["id"]


def main(quick: bool) -> None:
    runs, seconds = (2, 10) if quick else (10, 60)
    recording = audio.recording("m4a", seconds=seconds)
    with postgres_schema() as database_url, tempfile.TemporaryDirectory() as data, s3_server() as s3:
        env = {**production_env(database_url, Path(data)), **s3}
        migrate(env)
        with background(worker_argv(), env), gunicorn("voicebox:create_app()", env) as port:
            token, child_id = family(port)
            timings = [send_and_wait(port, token, child_id, recording) for _ in range(runs + 1)][1:]
    p50 = statistics.median(timings)
    print(f"upload to delivered, {seconds} s AAC: p50 {p50:.2f} s, max {max(timings):.2f} s over {runs} runs")
    report("upload_to_delivered_p50_s", p50, "< 3 s", p50 < 3, " s")


def send_and_wait(port: int, token: str, child_id: str, recording: bytes) -> float:
    body, content_type = multipart({"to": child_id, "kind": "message"}, recording)
    started = time.perf_counter()
    status, message = call(port, "POST", "/api/v1/messages", token, body, content_type)
    assert status == 202, message
    while message["status"] == "processing":
        time.sleep(0.02)
        status, message = call(port, "GET", f"/api/v1/messages/{message['id']}", token)
    assert message["status"] == "delivered", message
    return time.perf_counter() - started


if __name__ == "__main__":
    entry(main, __doc__)

"""Metrics as an operator scrapes them: `voicebox up` with each process's listener on a port of
its own, after a message and a help request; the labels bounded, and nothing on the API's port."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests import audio, monitoring
from tests.conftest import free_port
from tests.integration.voicebox_up import up

Samples = list[Sample]


def scrape(port: int) -> Samples:
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200
    return [sample for family in text_string_to_metric_families(response.text) for sample in family.samples]


def value(samples: Samples, name: str, **labels: str) -> float | None:
    found = [
        s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return sum(found) if found else None


def eventually(port: int, found: Callable[[Samples], bool], seconds: float = 60) -> Samples:
    """Scrape until ``found`` holds (a periodic job runs every 2 to 15 s)."""
    deadline = time.monotonic() + seconds
    while True:
        samples = scrape(port)
        if found(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(1)


def http_series(samples: Samples) -> int:
    return len([s for s in samples if s.name.startswith("voicebox_http_")])


def test_each_process_serves_its_metrics_after_a_message_and_a_help_request(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("api", "push", "worker", "beat")}
    settings = {f"VOICEBOX_METRICS_{name.upper()}_PORT": str(port) for name, port in ports.items()}
    # Tests run at any hour: no quiet hours hold the message.
    with up(tmp_path, VOICEBOX_QUIET_HOURS="off", **settings) as (_, base):
        session = requests.Session()
        registered = session.post(
            f"{base}/auth/register",
            json={
                "phone": "+8613800000077",
                "password": "correct horse",
                "display_name": "Mama",
                "role": "parent",
            },
            timeout=10,
        ).json()
        session.headers["Authorization"] = f"Bearer {registered['token']}"
        child = session.post(
            f"{base}/children",
            json={"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True},
            timeout=10,
        ).json()
        code = session.post(f"{base}/children/{child['id']}/pairing-code", timeout=10).json()["code"]
        device = requests.post(
            f"{base}/devices/pair", json={"code": code, "device_name": "phone"}, timeout=10
        )
        phone = {"Authorization": f"Bearer {device.json()['token']}"}
        sent = session.post(
            f"{base}/messages",
            data={"to": child["id"], "title": "Goodnight"},
            files={"audio": ("recording.webm", audio.recording("webm"))},
            timeout=30,
        )
        assert sent.status_code == 202, sent.text
        asked = requests.post(
            f"{base}/help-requests",
            json={"category": "school", "text": "I am sad"},
            headers=phone,
            timeout=10,
        )
        assert asked.status_code == 201, asked.text
        deadline = time.monotonic() + 90
        while session.get(f"{base}/messages/{sent.json()['id']}", timeout=10).json()["status"] != "delivered":
            assert time.monotonic() < deadline, "the message was not delivered"
            time.sleep(0.5)

        api = scrape(ports["api"])
        assert (
            value(api, "voicebox_http_requests_total", method="POST", route="/api/v1/messages", status="202")
            == 1
        )
        assert value(
            api, "voicebox_http_requests_total", route="/api/v1/messages/<id:message_id>", status="200"
        )
        assert value(
            api, "voicebox_http_request_duration_seconds_count", method="POST", route="/api/v1/help-requests"
        )
        assert not [s for s in api if sent.json()["id"] in str(s.labels) or child["id"] in str(s.labels)]

        heartbeats = ("dispatcher", "planner", "help_sweep")
        worker = eventually(
            ports["worker"],
            lambda s: all(value(s, "voicebox_heartbeat_timestamp_seconds", job=job) for job in heartbeats),
        )
        for job in heartbeats:
            assert (
                value(worker, "voicebox_heartbeat_timestamp_seconds", job=job) or 0
            ) > time.time() - 120, job
        assert value(worker, "voicebox_tasks_total", task="voicebox.media.transcode", outcome="success") == 1
        assert value(worker, "voicebox_transcodes_total", outcome="ready") == 1
        assert value(worker, "voicebox_transcode_duration_seconds_count") == 1

        beat = scrape(ports["beat"])
        assert value(beat, "voicebox_database_gauges_error") == 0
        for dependency in ("database", "broker", "storage"):
            assert value(beat, "voicebox_dependency_up", dependency=dependency) == 1, dependency
        assert value(beat, "voicebox_help_requests", status="queued") == 1
        assert value(beat, "voicebox_help_oldest_wait_seconds") is not None
        assert value(beat, "voicebox_heartbeat_timestamp_seconds", job="beat")
        assert value(beat, "voicebox_recordings", state="waiting") == 0

        push = scrape(ports["push"])
        assert value(push, "voicebox_push_streams") == 0
        assert value(push, "voicebox_push_max_streams") == 10_000

        # The dashboard and the alerts name only series a live scrape shows.
        shown = {sample.name for samples in (api, worker, beat, push) for sample in samples}
        named = monitoring.series_named(monitoring.dashboard_expressions() + monitoring.alert_expressions())
        assert named and named <= shown, named - shown

        # The API's port has no /metrics, through the push server or not.
        assert requests.get(base.removesuffix("/api/v1") + "/metrics", timeout=10).status_code == 404

        # Ids and stray paths never become series: 300 of them add one route's worth at most.
        before = http_series(scrape(ports["api"]))
        for _ in range(150):
            session.get(f"{base}/messages/{secrets.token_hex(8)}", timeout=10)
            session.get(f"{base}/{secrets.token_hex(8)}/{secrets.token_hex(4)}", timeout=10)
        after = scrape(ports["api"])
        assert http_series(after) - before <= 2 * 16, http_series(after) - before
        assert http_series(after) < 600

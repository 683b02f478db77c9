"""Beat stopped for a minute: the heartbeat alert's expression fires on what the worker's own
metrics listener showed meanwhile (evaluated by promtool, no Prometheus), and the bedtime
schedules that fell due while beat was away run once each when it is back."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import yaml
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from tests.conftest import Api, free_port, running, running_worker
from tests.integration.recordings import seeded_recording
from tests.monitoring import ALERTS
from tests.unit.test_alerts import PROMTOOL
from voicebox.cli import beat_command
from voicebox.clock import utcnow
from voicebox.extensions import db
from voicebox.models import Delivery, Direction, Message, MessageStatus, Schedule

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)

SCHEDULES = 5
SAMPLE_SECONDS = 15


def dispatcher_heartbeat(port: int) -> float | None:
    """The worker's dispatcher heartbeat; None until the worker listens and the dispatcher ran."""
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    except requests.ConnectionError:
        return None
    beats = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "voicebox_heartbeat_timestamp_seconds" and sample.labels["job"] == "dispatcher"
    ]
    return max(beats) if beats else None


def schedules_due_soon(app: Flask, child_id: str, sender_id: str) -> list[str]:
    """SCHEDULES bedtimes, each with a queued story of its own, falling due in 10 s."""
    ids = []
    with app.app_context():
        due = utcnow() + timedelta(seconds=10)
        for n in range(SCHEDULES):
            db.session.add(
                Message(kind="story", title=f"Story {n}", child_id=child_id, direction=Direction.TO_CHILD,
                        sender_user_id=sender_id, status=MessageStatus.SCHEDULED, queued=True,
                        recording_id=seeded_recording())
            )  # fmt: skip
            schedule = Schedule(
                child_id=child_id,
                created_by=sender_id,
                minute_of_day=due.hour * 60 + due.minute,
                weekdays=list(range(7)),
                source="queue",
                next_run_at=due,
            )
            db.session.add(schedule)
            db.session.flush()
            ids.append(schedule.id)
        db.session.commit()
        db.session.remove()
    return ids


def promtool_fires(samples: list[tuple[float, float]], tmp_path: Path) -> None:
    """HeartbeatStale, evaluated by promtool on the heartbeats the worker showed, every
    SAMPLE_SECONDS from the moment beat stopped (promtool's time() counts from that moment)."""
    start = samples[0][0]
    values = " ".join(f"{beat - start:.0f}" for _, beat in samples)
    last = (len(samples) - 1) * SAMPLE_SECONDS
    # The rule as deploy/ has it, less its annotation (which says how old, to the second).
    [rule] = [
        {key: value for key, value in rule.items() if key != "annotations"}
        for group in yaml.safe_load(ALERTS.read_text())["groups"]
        for rule in group["rules"]
        if rule.get("alert") == "HeartbeatStale"
    ]
    (tmp_path / "heartbeat.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "heartbeat", "rules": [rule]}]})
    )
    test = {
        "rule_files": [str(tmp_path / "heartbeat.yml")],
        "evaluation_interval": f"{SAMPLE_SECONDS}s",
        "tests": [
            {
                "interval": f"{SAMPLE_SECONDS}s",
                "input_series": [
                    {"series": 'voicebox_heartbeat_timestamp_seconds{job="dispatcher"}', "values": values}
                ],
                "alert_rule_test": [
                    {"eval_time": "0s", "alertname": "HeartbeatStale", "exp_alerts": []},
                    {
                        "eval_time": f"{last}s",
                        "alertname": "HeartbeatStale",
                        "exp_alerts": [{"exp_labels": {"severity": "page", "job": "dispatcher"}}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "heartbeat.test.yml").write_text(yaml.safe_dump(test))
    assert PROMTOOL is not None, "promtool is missing: `make ops-tools` installs it"
    done = subprocess.run([PROMTOOL, "test", "rules", str(tmp_path / "heartbeat.test.yml")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_beat_stopped_for_a_minute_pages_and_its_schedules_run_once_when_back(
    app: Flask, production_env: dict, parent: Api, make_child, tmp_path: Path
) -> None:
    child = make_child()
    port = free_port()
    env = {**production_env, "VOICEBOX_METRICS_WORKER_PORT": str(port),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "worker-metrics")}  # fmt: skip
    beat = [*beat_command("INFO"), "--schedule", str(tmp_path / "beat-schedule")]
    with running_worker(env, tmp_path / "worker.log") as worker:
        with running(beat, env, tmp_path / "beat.log"):
            deadline = time.monotonic() + 60
            while dispatcher_heartbeat(port) is None:
                assert time.monotonic() < deadline, "the dispatcher never ran"
                time.sleep(1)
        # Beat is stopped: the schedules fall due while it is away.
        schedules = schedules_due_soon(app, child["id"], parent.user["id"])
        samples = []
        for _ in range(5):
            samples.append((time.time(), dispatcher_heartbeat(port) or 0.0))
            time.sleep(SAMPLE_SECONDS)
        samples.append((time.time(), dispatcher_heartbeat(port) or 0.0))
        promtool_fires(samples, tmp_path)
        with running(beat, env, tmp_path / "beat-again.log"):
            deadline = time.monotonic() + 90
            while True:
                with app.app_context():
                    delivered = db.session.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(Delivery.schedule_id.in_(schedules), Delivery.delivered_at.is_not(None))
                    )
                    db.session.remove()
                if delivered == SCHEDULES or time.monotonic() > deadline:
                    break
                time.sleep(1)
            time.sleep(12)  # a planner tick more: nothing runs twice
            with app.app_context():
                runs = db.session.execute(
                    select(Delivery.schedule_id, func.count()).where(Delivery.schedule_id.in_(schedules))
                    .group_by(Delivery.schedule_id)
                ).all()  # fmt: skip
                later = db.session.scalars(
                    select(Schedule.next_run_at).where(Schedule.id.in_(schedules))
                ).all()
                db.session.remove()
        assert worker.poll() is None
    assert dict(runs) == dict.fromkeys(schedules, 1)
    assert all(when > utcnow() + timedelta(hours=1) for when in later)  # tomorrow's, not a replay

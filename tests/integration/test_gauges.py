"""The gauges only the database knows, as beat's listener reads them at each scrape, on both
profiles; a database that cannot answer is the error gauge's 1, not a failed or hung scrape."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from prometheus_client import CollectorRegistry, generate_latest

from config.settings import Settings
from tests import audio
from tests.conftest import Api, dispose, free_port
from tests.integration.helpdesk.test_api import ask
from tests.integration.recordings import deliver_directly, send
from voicebox import create_app
from voicebox.extensions import db
from voicebox.models import Delivery, HelpRequest
from voicebox.services import gauges
from workers.metrics import ServiceGauges


def test_the_gauges_count_what_waits_and_how_long(
    app: Flask, parent: Api, make_child, pair_device, helper
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    sent = send(parent, child["id"], audio.recording("webm"))  # no worker here: it waits
    assert sent.status_code == 202, sent.json
    plain = ask(device, category="school")
    urgent = ask(device, category="lonely", urgent=True)
    helper()  # available
    [delivered] = deliver_directly(app, child["id"], parent.user["id"], 1)
    with app.app_context():
        asked_at = db.session.get(HelpRequest, urgent["id"]).queued_at  # type: ignore[union-attr]
        due = asked_at - timedelta(seconds=30)
        db.session.add(Delivery(message_id=delivered, user_id=parent.user["id"], due_at=due))
        db.session.commit()
        reading = gauges.read(now=asked_at + timedelta(seconds=150))
    assert reading.recordings == {"waiting": 1, "processing": 0}
    assert reading.deliveries_due == {"scheduled": 0, "plain": 1}
    assert reading.deliveries_late_seconds["plain"] == 180
    assert sum(n for (status, _), n in reading.help_requests.items() if status == "queued") == 2
    assert reading.urgent_unalerted_seconds == 150
    assert max(reading.help_oldest_wait_seconds.values()) >= 150
    assert reading.volunteers_available == 1
    assert reading.notifications_pending == 1  # the delivered row nobody was told of
    assert plain["id"] != urgent["id"]


def test_a_database_that_cannot_answer_is_the_error_gauge(production_env: dict) -> None:
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    app = create_app(Settings.from_env({**production_env, "VOICEBOX_DATABASE_URL": dead}, env_file=None))
    try:
        registry = CollectorRegistry()
        registry.register(ServiceGauges(app))
        scraped = generate_latest(registry).decode()
    finally:
        dispose(app)
    assert "voicebox_database_gauges_error 1.0" in scraped
    assert 'voicebox_dependency_up{dependency="database"} 0.0' in scraped
    assert 'voicebox_dependency_up{dependency="storage"} 1.0' in scraped
    assert "voicebox_help_requests" not in scraped

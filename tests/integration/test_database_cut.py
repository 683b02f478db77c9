"""PostgreSQL cut for 10 s each of three ways (refused, black-holed, severed: tests/relay.py)
while parents send messages and a helper takes children's help requests, Jepsen's way: every
message carries a unique Idempotency-Key and every help request a unique text; a send that
failed or timed out is sent again with its key. The API answers 503 and never a 500 or a hang,
/health says the database is down, and after the run drains, what came out is what went in:
every accepted message delivered once, every accepted help request held once, none twice."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from tests import audio
from tests.conftest import Api, build_app, dispose, running_worker, serving_api
from tests.relay import Relay, relay
from voicebox.extensions import db
from voicebox.models import Delivery, HelpRequest, Message, MessageStatus

pytestmark = pytest.mark.parametrize("app", ["production"], indirect=True)

CUT_SECONDS = 10
# A request answers within this or it hung: a black-holed line holds one for at most the cut.
HANG_SECONDS = 30


@dataclass
class Ledger:
    """What went in and every answer that came back."""

    statuses: Counter = field(default_factory=Counter)  # (call, status): how many
    hung: list[str] = field(default_factory=list)
    sent: dict[str, str] = field(default_factory=dict)  # accepted messages: Idempotency-Key to id
    asked: list[str] = field(default_factory=list)  # texts of accepted help requests
    claimed: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, what: str, send: Callable[[], requests.Response]) -> requests.Response | None:
        try:
            response = send()
        except requests.Timeout:
            with self.lock:
                self.hung.append(what)
            return None
        with self.lock:
            self.statuses[(what, response.status_code)] += 1
        return response


def keep_sending(base: str, parent: Api, child_id: str, ledger: Ledger, stop: threading.Event) -> None:
    recording = audio.recording("webm", seconds=1.0)
    headers = {"Authorization": f"Bearer {parent.token}"}
    while not stop.is_set():
        key = uuid.uuid4().hex
        while True:  # the same message, with its key, until it is accepted
            response = ledger.call(
                "send",
                lambda key=key: requests.post(  # type: ignore[misc]
                    f"{base}/api/v1/messages",
                    data={"to": child_id},
                    files={"audio": ("r.webm", recording)},
                    headers={**headers, "Idempotency-Key": key},
                    timeout=HANG_SECONDS,
                ),
            )
            if response is not None and response.status_code in (200, 202):
                with ledger.lock:
                    ledger.sent[key] = response.json()["id"]
                break
            time.sleep(0.3)
        time.sleep(0.2)


def keep_asking_and_claiming(
    base: str, device: Api, helper: Api, ledger: Ledger, stop: threading.Event
) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        text = f"help {n} {uuid.uuid4().hex[:8]}"
        asked = ledger.call(
            "ask",
            lambda text=text: requests.post(  # type: ignore[misc]
                f"{base}/api/v1/help-requests",
                json={"category": "school", "text": text},
                headers={"Authorization": f"Bearer {device.token}"},
                timeout=HANG_SECONDS,
            ),
        )
        if asked is not None and asked.status_code == 201:
            with ledger.lock:
                ledger.asked.append(text)
        claimed = ledger.call(
            "claim",
            lambda: requests.post(
                f"{base}/api/v1/help-requests/claim",
                headers={"Authorization": f"Bearer {helper.token}"},
                timeout=HANG_SECONDS,
            ),
        )
        if claimed is not None and claimed.status_code == 200:
            held = claimed.json()["id"]
            with ledger.lock:
                ledger.claimed.append(held)
            ledger.call(
                "resolve",
                lambda held=held: requests.post(  # type: ignore[misc]
                    f"{base}/api/v1/help-requests/{held}/resolve",
                    json={"outcome": "supported"},
                    headers={"Authorization": f"Bearer {helper.token}"},
                    timeout=HANG_SECONDS,
                ),
            )
        time.sleep(0.3)


def database_said_down(base: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        health = requests.get(f"{base}/api/v1/health", timeout=HANG_SECONDS)
        if health.status_code == 503 and health.json()["checks"]["database"]["status"] == "down":
            return True
        time.sleep(0.5)
    return False


def cut(line: Relay, how: str, base: str) -> bool:
    """Cut the line ``how`` for CUT_SECONDS; whether /health said the database was down."""
    if how == "severed":
        # Reset again and again: every connection dies, a new one may live half a second.
        deadline = time.monotonic() + CUT_SECONDS
        while time.monotonic() < deadline:
            line.sever()
            time.sleep(0.5)
        return True
    line.refuse() if how == "refused" else line.black_hole()
    said = database_said_down(base, CUT_SECONDS - 1)
    time.sleep(max(0.0, CUT_SECONDS - 1))
    line.heal()
    return said


def drained(app: Flask, child_id: str, seconds: float = 180) -> dict[str, tuple[str, int]]:
    """Every message the child has, once all are delivered (or the time is up): its status and
    how many deliveries it has."""
    deadline = time.monotonic() + seconds
    while True:
        with app.app_context():
            rows = db.session.execute(
                select(Message.id, Message.status, func.count(Delivery.id))
                .outerjoin(Delivery, Delivery.message_id == Message.id)
                .where(Message.child_id == child_id)
                .group_by(Message.id, Message.status)
            ).all()
            db.session.remove()
        found = {message_id: (status, deliveries) for message_id, status, deliveries in rows}
        if (
            all(status == MessageStatus.DELIVERED for status, _ in found.values())
            or time.monotonic() > deadline
        ):
            return found
        time.sleep(1)


def test_a_database_cut_three_ways_loses_nothing_and_doubles_nothing(
    app: Flask, production_env: dict, parent: Api, make_child, pair_device, helper, tmp_path: Path
) -> None:
    child = make_child()
    device = pair_device(child["id"])
    volunteer = helper(capacity=10)
    ledger = Ledger()
    stop = threading.Event()
    with relay(5432) as line:
        through = production_env["VOICEBOX_DATABASE_URL"].replace(":5432/", f":{line.port}/", 1)
        env = {**production_env, "VOICEBOX_DATABASE_URL": through}
        cut_app = build_app(env)
        try:
            with serving_api(cut_app) as base, running_worker(env, tmp_path / "worker.log") as worker:
                threads = [
                    threading.Thread(target=keep_sending, args=(base, parent, child["id"], ledger, stop)),
                    threading.Thread(
                        target=keep_asking_and_claiming, args=(base, device, volunteer, ledger, stop)
                    ),
                ]
                for thread in threads:
                    thread.start()
                said = {}
                try:
                    time.sleep(3)
                    for how in ("refused", "black-holed", "severed"):
                        said[how] = cut(line, how, base)
                        time.sleep(4)
                finally:
                    stop.set()
                    for thread in threads:
                        thread.join(timeout=120)
                assert worker.poll() is None, "the worker died"
                outcome = drained(app, child["id"])
        finally:
            dispose(cut_app)

    assert ledger.hung == [], ledger.hung
    # What each call may answer: its success, 503 while the database is away, and the domain's
    # own refusals when a resolve was cut: a child whose request still waits is asked to add to
    # it (409), a helper at capacity takes no more (409), and none may be waiting (204).
    allowed = {"send": {200, 202}, "ask": {201, 409}, "claim": {200, 204, 409}, "resolve": {200}}
    assert all(status in allowed[what] | {503} for what, status in ledger.statuses), ledger.statuses
    assert sum(n for (_, status), n in ledger.statuses.items() if status == 503) > 0, (
        "the cuts were never felt"
    )
    assert said == {"refused": True, "black-holed": True, "severed": True}
    # Each key came back with one id, every time it was sent; the child has exactly those
    # messages (a send cut after its commit was not made twice), each delivered once.
    assert len(ledger.sent) > 10 and len(set(ledger.sent.values())) == len(ledger.sent)
    assert set(outcome) == set(ledger.sent.values())
    assert {
        message_id: row for message_id, row in outcome.items() if row != (MessageStatus.DELIVERED, 1)
    } == {}
    with app.app_context():
        texts = Counter(
            db.session.scalars(select(HelpRequest.text).where(HelpRequest.text.in_(ledger.asked))).all()
        )
    assert set(texts) == set(ledger.asked) and set(texts.values()) == {1}
    assert len(ledger.claimed) == len(set(ledger.claimed))

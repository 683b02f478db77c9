"""16 volunteers claim from 20,000 queued help requests on PostgreSQL, three ways.

Baseline in the same run: a raw SQL ``UPDATE ... (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1)``
loop on 16 connections. Then the service layer (``help_queue.claim``: capacity check, claim,
audit row, queue event, the thread as the volunteer sees it) on 16 threads, and HTTP
(``POST /api/v1/help-requests/claim`` to gunicorn) from 16 clients. After each, every request
must have been claimed exactly once. Last, children ask over HTTP while volunteers listen on
``GET /api/v1/volunteer/events``: the time from a child's POST to each volunteer's event.
Goals: zero double claims, service layer at least 0.5 of raw SQL, p99 under 1 s to the event.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from benchmarks._harness import gunicorn, migrate, postgres_schema, production_env, report

REQUESTS = 20_000
VOLUNTEERS = 16
LISTENERS = 4
ASKS = 60
SEED = [
    """INSERT INTO children (id, display_name, birth_year, timezone, created_at)
       SELECT md5('c' || g), 'Child ' || g, 2015, 'Asia/Shanghai', now()
       FROM generate_series(1, :requests + :asks) g""",
    """INSERT INTO devices (id, child_id, name, paired_at)
       SELECT md5('d' || g), md5('c' || g), 'phone', now() FROM generate_series(1, :requests + :asks) g""",
    """INSERT INTO users (id, phone, password_hash, display_name, role, status, created_at)
       SELECT md5('v' || g), '+86137' || lpad(g::text, 8, '0'), 'x', 'Volunteer ' || g, 'volunteer',
              'approved', now() FROM generate_series(1, :volunteers) g""",
    # A capacity no one reaches: the benchmark measures claiming, not the capacity rule.
    """INSERT INTO volunteers (user_id, available, capacity, changed_at)
       SELECT md5('v' || g), true, :requests, now() FROM generate_series(1, :volunteers) g""",
    """INSERT INTO help_requests (id, child_id, category, urgent, text, risk_terms, priority, status,
              waiting_for, rank_at, created_at, queued_at)
       SELECT md5('r' || g), md5('c' || g), 'lonely', false, 'I miss my mum', '[]', 1 + g % 4, 'queued',
              'volunteers', now() - (g % 997) * interval '1 second', now(), now()
       FROM generate_series(1, :requests) g""",
]
RESET = [
    """UPDATE help_requests SET status = 'queued', waiting_for = 'volunteers', held_by = NULL,
              claimed_at = NULL, lease_expires_at = NULL""",
    "DELETE FROM help_events",
    "DELETE FROM audit_log",
]
RAW_CLAIM = sa.text(
    """UPDATE help_requests SET status = 'held', waiting_for = NULL, held_by = :me, claimed_at = now(),
              lease_expires_at = now() + interval '10 minutes'
       WHERE id = (SELECT id FROM help_requests WHERE waiting_for = 'volunteers'
                   ORDER BY rank_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
       RETURNING id"""
)


def token(kind: str, n: int) -> str:
    return f"benchmark-{kind}-token-{n}"


def seed(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    params = {"requests": REQUESTS, "asks": ASKS, "volunteers": VOLUNTEERS}
    with engine.begin() as connection:
        for statement in SEED:
            connection.execute(sa.text(statement), params)
        tokens = [(token("volunteer", n), "user_id", f"md5('v{n}')") for n in range(1, VOLUNTEERS + 1)]
        tokens += [
            (token("device", n), "device_id", f"md5('d{n}')")
            for n in range(REQUESTS + 1, REQUESTS + ASKS + 1)
        ]
        for raw, column, owner in tokens:
            connection.execute(
                sa.text(
                    f"INSERT INTO auth_tokens (id, token_hash, {column}, created_at, expires_at) "
                    f"VALUES (md5(:raw), :hash, {owner}, now(), now() + interval '1 day')"
                ),
                {"raw": raw, "hash": hashlib.sha256(raw.encode()).hexdigest()},
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def reset(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        for statement in RESET:
            connection.execute(sa.text(statement))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE help_requests"))
    engine.dispose()


def race(claim_loop: Callable[[int, list[str]], None]) -> tuple[float, list[str]]:
    """Run one claim loop per volunteer at once; the rate, and every id claimed."""
    claimed: list[list[str]] = [[] for _ in range(VOLUNTEERS)]
    threads = [threading.Thread(target=claim_loop, args=(n + 1, claimed[n])) for n in range(VOLUNTEERS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = [request_id for mine in claimed for request_id in mine]
    return len(every) / elapsed, every


def raw_sql(database_url: str) -> tuple[float, list[str]]:
    engine = sa.create_engine(database_url, pool_size=VOLUNTEERS)

    def loop(n: int, claimed: list[str]) -> None:
        me = hashlib.md5(f"v{n}".encode()).hexdigest()  # noqa: S324 - the seed's ids
        with engine.connect() as connection:
            while True:
                request_id = connection.execute(RAW_CLAIM, {"me": me}).scalar()
                connection.commit()
                if request_id is None:
                    return
                claimed.append(request_id)

    try:
        return race(loop)
    finally:
        engine.dispose()


def service_layer(env: dict[str, str]) -> tuple[float, list[str]]:
    from config.settings import Settings
    from voicebox import create_app
    from voicebox.extensions import db
    from voicebox.services import help_queue, tokens

    app = create_app(
        Settings.from_env({**env, "VOICEBOX_DATABASE_POOL_SIZE": str(VOLUNTEERS)}, env_file=None)
    )

    def loop(n: int, claimed: list[str]) -> None:
        # What one HTTP request does, less HTTP: resolve the token, claim, end the session.
        with app.app_context():
            while True:
                request = help_queue.claim(tokens.resolve(token("volunteer", n)))
                request_id = request.id if request is not None else None
                db.session.remove()
                if request_id is None:
                    return
                claimed.append(request_id)

    return race(loop)


def http_claims(port: int) -> tuple[float, list[str]]:
    def loop(n: int, claimed: list[str]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token('volunteer', n)}"}
        while True:
            connection.request("POST", "/api/v1/help-requests/claim", headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.status == 204:
                return
            if response.status != 200:
                raise RuntimeError(f"claim answered {response.status}: {body[:200]!r}")
            claimed.append(json.loads(body)["id"])

    return race(loop)


def check(name: str, rate: float, claimed: list[str]) -> int:
    """Print how a run went; the number of double and missed claims."""
    doubles = len(claimed) - len(set(claimed))
    skipped = REQUESTS - len(set(claimed))
    print(f"{name}: {rate:.0f} claims/s, {doubles} claimed twice, {skipped} never claimed", flush=True)
    return doubles + skipped


def event_latency(port: int) -> list[float]:
    """Seconds from a child's POST to each listening volunteer's 'new' event."""
    sent: dict[str, float] = {}
    # The event may arrive before the POST's answer names the request: match them up after.
    arrivals: list[tuple[str, float]] = []
    lock = threading.Lock()
    ready = threading.Barrier(LISTENERS + 1)

    def listen(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(
            "GET", "/api/v1/volunteer/events", headers={"Authorization": f"Bearer {token('volunteer', n)}"}
        )
        response = connection.getresponse()
        assert response.status == 200, response.status
        ready.wait()
        seen = 0
        while seen < ASKS:
            line = response.fp.readline().decode()
            if line.startswith("data: "):
                event = json.loads(line[6:])
                if event["type"] == "new":
                    arrived = time.perf_counter()
                    with lock:
                        arrivals.append((event["request"]["id"], arrived))
                    seen += 1
        connection.close()

    listeners = [threading.Thread(target=listen, args=(n + 1,)) for n in range(LISTENERS)]
    for listener in listeners:
        listener.start()
    ready.wait()
    time.sleep(0.5)
    for n in range(REQUESTS + 1, REQUESTS + ASKS + 1):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = json.dumps({"category": "lonely", "text": "I miss my mum"})
        headers = {"Authorization": f"Bearer {token('device', n)}", "Content-Type": "application/json"}
        started = time.perf_counter()
        connection.request("POST", "/api/v1/help-requests", body, headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        assert response.status == 201, answer
        with lock:
            sent[answer["id"]] = started
        connection.close()
        time.sleep(0.05)
    for listener in listeners:
        listener.join(timeout=60)
    return [arrived - sent[request_id] for request_id, arrived in arrivals]


def main() -> None:
    with postgres_schema() as database_url, tempfile.TemporaryDirectory() as data:
        env = production_env(database_url, Path(data))
        migrate(env)
        seed(database_url)
        raw_rate, claimed = raw_sql(database_url)
        problems = check("raw SQL SKIP LOCKED", raw_rate, claimed)
        reset(database_url)
        service_rate, claimed = service_layer(env)
        problems += check("service layer", service_rate, claimed)
        reset(database_url)
        with gunicorn("voicebox:create_app()", env) as port:
            http_rate, claimed = http_claims(port)
            problems += check("HTTP", http_rate, claimed)
            latencies = event_latency(port)
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"child's request to volunteers' SSE event: {len(latencies)} events, "
        f"p50 {quantiles[49] * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms"
    )
    report("helpdesk_double_or_skipped_claims", problems, "0", problems == 0)
    ratio = service_rate / raw_rate
    report("helpdesk_service_claims_vs_raw_sql", ratio, ">= 0.5", ratio >= 0.5)
    report("helpdesk_request_to_sse_event_p99_s", quantiles[98], "< 1 s", quantiles[98] < 1, " s")


if __name__ == "__main__":
    main()

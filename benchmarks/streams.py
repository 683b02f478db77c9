"""Live streams at scale: 10,000 phones holding their inbox open, on PostgreSQL and Redis.

The design the push server replaced, measured first in the same run (the baseline): each
stream held by one of the API's request threads (gunicorn, 2 processes of 4 threads, as
`voicebox up` starts it), as ``benchmarks/_bare_flask.py`` holds one; streams are opened one by
one until the server no longer answers ``GET /me`` within 1 s.

voicebox's way: the push server (``voicebox push``, one asyncio process per core) holds the
streams, and the API (same gunicorn) answers everything else. A client process of its own
(``benchmarks/_stream_client.py``) opens one stream per device. Measured with every device
connected: how many connected, the push processes' memory together, and ``GET /api/v1/me``
p99 (4 clients) against its p99 with no stream open. Then the live bedtime: one delivery per
device due at the same instant, drained by the real dispatcher (a worker and beat); each
device's lag is the time its event arrived less its row's ``delivered_at``.

Goals: every device connected; the push processes under 1 GB together; ``/me`` p99 at most 2x
its value with no stream open; every device receives its event, p99 lag under 2 s. The number
of streams held against today's design is printed as a figure.
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psutil
import redis
import sqlalchemy as sa

from benchmarks._harness import (
    REDIS_URL,
    ROOT,
    background,
    entry,
    gunicorn,
    load,
    migrate,
    postgres_schema,
    production_env,
    push_servers,
    report,
    seeds,
    worker_argv,
)
from voicebox.cli import beat_command

PUSH_PROCESSES = 2
MEMORY_GOAL_MB = 1024
SEED = seeds(
    """INSERT INTO users (id, phone, password_hash, display_name, role, status, created_at)
       VALUES ('parent', '+8613700000000', 'x', 'Mama', 'parent', 'active', now())""",
    """INSERT INTO children (id, display_name, birth_year, timezone, created_at, quiet_since)
       SELECT 'c' || g, 'Child ' || g, 2016, 'Asia/Shanghai', now(), now()
       FROM generate_series(1, :count) g""",
    """INSERT INTO devices (id, child_id, name, paired_at)
       SELECT 'd' || g, 'c' || g, 'Grandma''s phone', now() FROM generate_series(1, :count) g""",
    """INSERT INTO auth_tokens (id, token_hash, device_id, created_at, expires_at)
       SELECT 't' || g, encode(sha256(convert_to('bench-device-' || g, 'UTF8')), 'hex'), 'd' || g, now(),
              now() + interval '1 day'
       FROM generate_series(1, :count) g""",
    """INSERT INTO auth_tokens (id, token_hash, user_id, created_at, expires_at)
       VALUES ('tp', encode(sha256(convert_to('bench-parent', 'UTF8')), 'hex'), 'parent', now(),
               now() + interval '1 day')""",
)
BEDTIME = seeds(
    """INSERT INTO recordings (id, status, original_key, original_bytes, max_seconds, attempts,
              created_at, renditions, duration_ms)
       SELECT 'r' || g, 'ready', 'recordings/' || g || '/original', 1000, 3600, 1, now(), '[]', 60000
       FROM generate_series(1, :count) g""",
    """INSERT INTO messages (id, kind, title, child_id, direction, sender_user_id, status, recording_id,
              created_at, deliver_at, urgent, queued)
       SELECT 'm' || g, 'story', 'Goodnight', 'c' || g, 'to_child', 'parent', 'scheduled', 'r' || g,
              now(), :due, false, false
       FROM generate_series(1, :count) g""",
    """INSERT INTO deliveries (id, message_id, child_id, due_at, position_ms)
       SELECT 'v' || g, 'm' || g, 'c' || g, :due, 0 FROM generate_series(1, :count) g""",
)
PARENT = {"Authorization": "Bearer bench-parent"}
DELIVERED = "SELECT child_id, extract(epoch FROM delivered_at) FROM deliveries WHERE delivered_at IS NOT NULL"


async def _answers_within(session: aiohttp.ClientSession, base: str, seconds: float) -> bool:
    try:
        timeout = aiohttp.ClientTimeout(total=seconds)
        async with session.get(f"{base}/me", headers=PARENT, timeout=timeout) as answer:
            return answer.status == 200
    except (TimeoutError, aiohttp.ClientError):
        return False


async def _todays_limit(base: str, most: int) -> int:
    """Open streams held by request threads one by one; how many were open when the server
    stopped answering within 1 s (``most`` if it never did)."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        held = []
        for _ in range(10):  # warm up: both processes, their connections
            await _answers_within(session, base, 10.0)
        try:
            for n in range(1, most + 1):
                headers = {"Authorization": f"Bearer bench-device-{n}"}
                held.append(asyncio.create_task(session.get(f"{base}/inbox/events", headers=headers)))
                await asyncio.sleep(0.2)  # let the server take it before asking
                if not await _answers_within(session, base, 1.0):
                    return n
            return most
        finally:
            for task in held:
                task.cancel()
            await asyncio.gather(*held, return_exceptions=True)


def memory_mb(processes: list[psutil.Process]) -> float:
    return sum(process.memory_info().rss for process in processes) / 2**20


@contextmanager
def stream_client(urls: list[str], devices: int, folder: Path) -> Iterator[subprocess.Popen]:
    tokens = folder / "tokens"
    tokens.write_text("\n".join(f"bench-device-{n}" for n in range(1, devices + 1)))
    argv = [sys.executable, "-m", "benchmarks._stream_client", ",".join(urls), str(tokens)]
    process = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.stdin.write("quit\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def ask(client: subprocess.Popen, command: str | None = None) -> str:
    if command:
        client.stdin.write(command + "\n")  # type: ignore[union-attr]
        client.stdin.flush()  # type: ignore[union-attr]
    return client.stdout.readline().strip()  # type: ignore[union-attr]


def main(quick: bool) -> None:
    devices = 200 if quick else 10_000
    seconds = 1.0 if quick else 3.0
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit[1], limit[1]))
    print(f"open-file limit {limit[1]} (was {limit[0]})", flush=True)
    redis.Redis.from_url(REDIS_URL).flushdb()
    with postgres_schema() as database_url, tempfile.TemporaryDirectory() as folder:
        env = production_env(database_url, Path(folder))
        migrate(env)
        engine = sa.create_engine(database_url)
        with engine.begin() as connection:
            for statement in SEED:
                connection.execute(statement, {"count": devices})
        with gunicorn("benchmarks._bare_flask:create_app()", env) as threads_port:
            todays = asyncio.run(_todays_limit(f"http://127.0.0.1:{threads_port}", 32))
        print(
            f"a thread per stream: the server stopped answering within 1 s at {todays} open streams",
            flush=True,
        )

        with (
            gunicorn("voicebox:create_app()", env) as api_port,
            push_servers(env, PUSH_PROCESSES) as (push_ports, pushers),
        ):
            load(api_port, "/api/v1/me", PARENT, 1.0, clients=4)  # warm up
            quiet = load(api_port, "/api/v1/me", PARENT, seconds, clients=4)
            urls = [f"http://127.0.0.1:{port}/api/v1/inbox/events" for port in push_ports]
            with stream_client(urls, devices, Path(folder)) as client:
                ok, failed = map(int, ask(client).split()[1:])
                print(f"{ok} streams open, {failed} refused", flush=True)
                memory = memory_mb(pushers)
                busy = load(api_port, "/api/v1/me", PARENT, seconds, clients=4)
                print(
                    f"GET /me p99: {quiet.p99_ms:.1f} ms with no stream open, {busy.p99_ms:.1f} ms with "
                    f"{ok} open; push processes {memory:.0f} MB",
                    flush=True,
                )
                due = datetime.now(UTC)
                with engine.begin() as connection:
                    for statement in BEDTIME:
                        connection.execute(statement, {"count": devices, "due": due})
                with (
                    background(worker_argv(2), env),
                    background([*beat_command("WARNING"), "--schedule", f"{folder}/beat"], env),
                ):
                    arrivals = dict(json.loads(ask(client, "collect 180").split(" ", 1)[1]))
                with engine.connect() as connection:
                    delivered = dict(connection.execute(sa.text(DELIVERED)).all())
        engine.dispose()
    lags = [arrivals[n] - float(delivered[f"c{n + 1}"]) for n in arrivals if f"c{n + 1}" in delivered]
    heard = len(lags)
    p99 = statistics.quantiles(lags, n=100)[98] if len(lags) > 1 else float("inf")
    print(f"live bedtime: {len(delivered)} delivered, {heard} heard; lag p50 {statistics.median(lags):.2f} s")
    report("streams_connected", ok, f"{devices}", ok == devices)
    report("streams_push_memory_mb", memory, f"< {MEMORY_GOAL_MB} MB", memory < MEMORY_GOAL_MB, " MB")
    ratio = busy.p99_ms / quiet.p99_ms
    report("streams_me_p99_vs_no_streams", ratio, "<= 2.0", ratio <= 2.0)
    report("streams_bedtime_heard", heard, f"{devices}", heard == devices)
    report("streams_bedtime_lag_p99_s", p99, "< 2 s", p99 < 2.0, " s")
    report("streams_held_vs_todays_design", ok / todays, "> 1", ok / todays > 1)


if __name__ == "__main__":
    entry(main, __doc__)

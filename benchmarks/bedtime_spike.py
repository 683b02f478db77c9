"""The bedtime spike: 100,000 deliveries due at the same instant, on PostgreSQL and Redis.

voicebox's way: delivery rows with ``due_at``, drained by the beat's 2-second dispatch tick in
batches (``FOR UPDATE SKIP LOCKED``), one notification task per batch; a real worker (two
processes, every queue) and a real beat. Measured: seconds from the due instant until every
delivery is visible in its inbox, and deliveries per second.

Baseline in the same run: the naive design, one Celery ETA task per delivery
(``benchmarks/_naive_worker.py``, two processes), on 10,000 deliveries: sent ahead with an ETA
of the same instant, each task delivering and notifying its one row.

Then normal load: one delivery due each second for a minute; each one's lateness is the time
its row was marked delivered less its ``due_at``. Goals: at least 5 times the naive rate, and
p99 lateness under 5 s; the time to drain the spike is printed as a figure.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
import sqlalchemy as sa
from celery import Celery

from benchmarks._harness import (
    REDIS_URL,
    background,
    entry,
    migrate,
    postgres_schema,
    production_env,
    report,
    seeds,
    worker_argv,
)
from voicebox.cli import beat_command

WORKER_PROCESSES = 2
(PARENT,) = seeds(
    """INSERT INTO users (id, phone, password_hash, display_name, role, status, created_at)
       VALUES ('parent', '+8613700000000', 'x', 'Mama', 'parent', 'active', now())"""
)
SEED = seeds(
    """INSERT INTO children (id, display_name, birth_year, timezone, created_at, quiet_since)
       SELECT :tag || g, 'Child ' || g, 2016, 'Asia/Shanghai', now(), now()
       FROM generate_series(1, :count) g""",
    """INSERT INTO recordings (id, status, original_key, original_bytes, max_seconds, attempts,
              created_at, renditions, duration_ms)
       SELECT :tag || g, 'ready', 'recordings/' || g || '/original', 1000, 3600, 1, now(), '[]', 60000
       FROM generate_series(1, :count) g""",
    """INSERT INTO messages (id, kind, title, child_id, direction, sender_user_id, status, recording_id,
              created_at, deliver_at, urgent, queued)
       SELECT :tag || g, 'story', 'Goodnight', :tag || g, 'to_child', 'parent', 'scheduled', :tag || g,
              now(), :due, false, false
       FROM generate_series(1, :count) g""",
    """INSERT INTO deliveries (id, message_id, child_id, due_at, position_ms)
       SELECT :tag || g, :tag || g, :tag || g, :due + (g - 1) * :step, 0
       FROM generate_series(1, :count) g""",
)

LATENESS = "SELECT extract(epoch FROM delivered_at - due_at) FROM deliveries WHERE id LIKE 't%'"


def seed(engine: sa.Engine, tag: str, count: int, due: datetime, step: timedelta = timedelta(0)) -> None:
    with engine.begin() as connection:
        for statement in SEED:
            connection.execute(statement, {"tag": tag, "count": count, "due": due, "step": step})
    with engine.connect() as connection:
        # A live database has statistics (autovacuum keeps them); freshly loaded tables have none,
        # and without them PostgreSQL reads every message through the status index per batch.
        connection.execute(sa.text("ANALYZE"))


def counted(engine: sa.Engine, tag: str, column: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(
            sa.text(f"SELECT count(*) FROM deliveries WHERE id LIKE :tag || '%' AND {column} IS NOT NULL"),
            {"tag": tag},
        )


def wait_all(
    engine: sa.Engine, tag: str, count: int, due: datetime, limit: float, column: str = "delivered_at"
) -> float:
    """Seconds from ``due`` until ``count`` rows tagged ``tag`` have ``column`` set."""
    deadline = time.monotonic() + limit
    while (done := counted(engine, tag, column)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {count} with {column} in {limit:.0f} s")
        time.sleep(0.1)
    return (datetime.now(UTC) - due).total_seconds()


def purge_broker() -> None:
    """Start and end with an empty broker: no task of another run is left to muddle this one."""
    redis.Redis.from_url(REDIS_URL).flushdb()


def naive_rate(engine: sa.Engine, env: dict[str, str], count: int, head_start: float) -> float:
    # Due in 2100: voicebox's dispatcher would never touch these rows; only the ETA tasks do.
    seed(engine, "n", count, datetime(2100, 1, 1, tzinfo=UTC))
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "benchmarks._naive_worker",
        "worker",
        "-Q",
        "bench-naive",
        "--concurrency",
        str(WORKER_PROCESSES),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    with background(argv, env):
        sender = Celery("naive-sender", broker=REDIS_URL)
        started = time.monotonic()
        eta = datetime.now(UTC) + timedelta(seconds=head_start)
        with sender.producer_or_acquire() as producer:
            for n in range(1, count + 1):
                sender.send_task(
                    "bench.naive_deliver", args=[f"n{n}"], eta=eta, queue="bench-naive", producer=producer
                )
        print(f"naive: {count} ETA tasks sent in {time.monotonic() - started:.1f} s", flush=True)
        if datetime.now(UTC) > eta:
            raise RuntimeError("sending the ETA tasks took longer than their head start")
        seconds = wait_all(engine, "n", count, eta, limit=600)
    rate = count / seconds
    print(f"naive (one ETA task per delivery): {count} in {seconds:.1f} s, {rate:.0f}/s", flush=True)
    return rate


def main(quick: bool) -> None:
    spike, naive_count, steady_seconds = (2_000, 200, 5) if quick else (100_000, 10_000, 60)
    # Time to seed the spike and start the worker and beat before it falls due.
    head_start = 10 if quick else 40
    purge_broker()
    with postgres_schema() as database_url, tempfile.TemporaryDirectory() as data:
        env = production_env(database_url, Path(data))
        migrate(env)
        engine = sa.create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(PARENT)
        try:
            naive = naive_rate(engine, env, naive_count, head_start=5 if quick else 10)
            purge_broker()
            due = datetime.now(UTC) + timedelta(seconds=head_start)
            started = time.monotonic()
            seed(engine, "s", spike, due)
            print(
                f"seeded {spike} deliveries due at one instant in {time.monotonic() - started:.1f} s",
                flush=True,
            )
            worker = worker_argv(WORKER_PROCESSES)
            beat = [*beat_command("WARNING"), "--schedule", str(Path(data) / "beat-schedule")]
            with ExitStack() as stack:
                stack.enter_context(background(worker, env))
                stack.enter_context(background(beat, env))
                if datetime.now(UTC) > due:
                    raise RuntimeError("seeding took longer than the spike's head start")
                seconds = wait_all(engine, "s", spike, due, limit=300)
                rate = spike / seconds
                print(f"voicebox: {spike} in {seconds:.1f} s, {rate:.0f}/s", flush=True)
                told = wait_all(engine, "s", spike, due, limit=300, column="notified_at")
                print(f"voicebox: every recipient notified {told:.1f} s after the due instant", flush=True)

                steady_from = datetime.now(UTC) + timedelta(seconds=5)
                seed(engine, "t", steady_seconds, steady_from, timedelta(seconds=1))
                wait_all(engine, "t", steady_seconds, steady_from, limit=steady_seconds + 60)
            with engine.connect() as connection:
                lateness = [float(late) for (late,) in connection.execute(sa.text(LATENESS))]
        finally:
            engine.dispose()
            purge_broker()
    p99 = statistics.quantiles(lateness, n=100)[98]
    print(f"normal load, 1 due per second: lateness p50 {statistics.median(lateness):.2f} s, p99 {p99:.2f} s")
    print(f"voicebox: the {spike} deliveries drained {seconds:.1f} s after their due instant")
    report("bedtime_spike_rate_vs_naive_eta", rate / naive, ">= 5", rate / naive >= 5)
    report("steady_lateness_p99_s", p99, "< 5 s", p99 < 5, " s")


if __name__ == "__main__":
    entry(main, __doc__)

"""GET /api/v1/inbox on PostgreSQL holding 1,000,000 messages for 100,000 children.

Each request is a different child's device asking for its newest 20 messages. Baseline in the
same run, under the same gunicorn settings: the same page from raw SQL (the device's token
lookup, then the same query on the same index, its rows turned into JSON by hand), the limit for
this page; a bare Flask JSON endpoint doing no I/O is printed for scale. Each is measured three
times, in turn, and its fastest round counts; a missed ratio is measured again, up to three
tries, and the best counts. Goals: p99 under 25 ms with 4 clients (below saturation), and at
least 0.5 of the raw SQL page's rate with 8 clients.
"""

from __future__ import annotations

import functools
import hashlib
import random
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks._harness import (
    Load,
    best_of,
    best_try,
    entry,
    gunicorn,
    load,
    migrate,
    postgres_schema,
    production_env,
    report,
    seeds,
    show,
)

LIGHT = "voicebox /api/v1/inbox (4 clients)"
OURS = "voicebox /api/v1/inbox"
RAW = "raw SQL page"
BARE = "bare Flask JSON, no I/O"

WAVEFORM = "[" + ",".join(str((n * 37) % 101) for n in range(100)) + "]"
RENDITIONS = (
    '[{"format":"opus","bitrate":24000,"bytes":180000,"key":"k/opus.ogg"},'
    '{"format":"opus_low","bitrate":12000,"bytes":90000,"key":"k/opus_low.ogg"},'
    '{"format":"aac","bitrate":48000,"bytes":360000,"key":"k/aac.m4a"}]'
)
SEED = seeds(
    """INSERT INTO users (id, phone, password_hash, display_name, role, status, created_at)
       SELECT md5('u' || g), '+86138' || lpad(g::text, 8, '0'), 'x', 'Parent ' || g, 'parent',
              'active', now() FROM generate_series(1, :children) g""",
    """INSERT INTO children (id, display_name, birth_year, timezone, created_at, quiet_since)
       SELECT md5('c' || g), 'Child ' || g, 2018, 'Asia/Shanghai', now(), now()
       FROM generate_series(1, :children) g""",
    """INSERT INTO guardianships (child_id, user_id, relation, created_at)
       SELECT md5('c' || g), md5('u' || g), 'parent', now() FROM generate_series(1, :children) g""",
    """INSERT INTO devices (id, child_id, name, paired_at)
       SELECT md5('d' || g), md5('c' || g), 'phone', now() FROM generate_series(1, :children) g""",
    """INSERT INTO recordings (id, status, original_key, original_bytes, max_seconds, duration_ms,
              waveform, renditions, attempts, created_at)
       SELECT md5('m' || g), 'ready', 'k/original', 500000, 600, 60000, CAST(:waveform AS json),
              CAST(:renditions AS json), 1, now() - g * interval '1 second'
       FROM generate_series(1, :messages) g""",
    """INSERT INTO messages (id, kind, title, child_id, direction, sender_user_id, status, recording_id,
              created_at, delivered_at, urgent, queued)
       SELECT md5('m' || g), 'message', 'Message ' || g, md5('c' || (g % :children + 1)), 'to_child',
              md5('u' || (g % :children + 1)), 'delivered', md5('m' || g),
              now() - g * interval '1 second', now() - g * interval '1 second', false, false
       FROM generate_series(1, :messages) g""",
    """INSERT INTO deliveries (id, message_id, child_id, due_at, delivered_at, position_ms)
       SELECT md5('v' || g), md5('m' || g), md5('c' || (g % :children + 1)),
              now() - g * interval '1 second', now() - g * interval '1 second', 0
       FROM generate_series(1, :messages) g""",
)
(TOKEN,) = seeds(
    """INSERT INTO auth_tokens (id, token_hash, device_id, created_at, expires_at)
       VALUES (md5(:raw), :hash, md5('d' || :n), now(), now() + interval '1 day')"""
)


def seed(database_url: str, children: int, messages: int, devices: int) -> list[dict[str, str]]:
    """Load the data set; return Authorization headers for random children's devices."""
    engine = sa.create_engine(database_url)
    params = {"children": children, "messages": messages, "waveform": WAVEFORM, "renditions": RENDITIONS}
    started = time.monotonic()
    with engine.begin() as connection:
        for statement in SEED:
            connection.execute(statement, params)
        headers = []
        for n in random.Random(7).sample(range(1, children + 1), devices):
            raw = f"benchmark-device-token-{n}"
            connection.execute(TOKEN, {"raw": raw, "hash": hashlib.sha256(raw.encode()).hexdigest(), "n": n})
            headers.append({"Authorization": f"Bearer {raw}"})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
        # Write the load out now, so the measured reads do not share the disk with it.
        connection.execute(sa.text("CHECKPOINT"))
    engine.dispose()
    print(f"seeded {messages} messages for {children} children in {time.monotonic() - started:.0f} s")
    return headers


def main(quick: bool) -> None:
    children, messages, devices = (1_000, 10_000, 200) if quick else (100_000, 1_000_000, 2_000)
    seconds = 1.0 if quick else 3.0
    with postgres_schema() as database_url, tempfile.TemporaryDirectory() as data:
        env = production_env(database_url, Path(data))
        migrate(env)
        callers = seed(database_url, children, messages, devices)
        with (
            gunicorn("voicebox:create_app()", env) as voicebox_port,
            gunicorn("benchmarks._bare_flask:create_app()", env) as bare_port,
        ):
            for port, path in (
                (voicebox_port, "/api/v1/inbox"),
                (bare_port, "/inbox-sql"),
                (bare_port, "/me"),
            ):
                load(port, path, callers, 1.0)  # warm up: connections, caches
            inbox = functools.partial(load, voicebox_port, "/api/v1/inbox", callers, seconds)
            measured = {
                LIGHT: functools.partial(inbox, clients=4),
                OURS: inbox,
                RAW: functools.partial(load, bare_port, "/inbox-sql", callers, seconds),
                BARE: functools.partial(load, bare_port, "/me", {}, seconds),
            }

            def measure() -> tuple[float, dict[str, Load]]:
                results = best_of(1 if quick else 3, measured)
                show(results)
                return results[OURS].requests_per_second / results[RAW].requests_per_second, results

            ratio, results = best_try("inbox_rate_vs_raw_sql", measure, 0.5, quick)
    light, ours, raw, bare = results[LIGHT], results[OURS], results[RAW], results[BARE]
    report("inbox_p99_ms_4_clients", light.p99_ms, "< 25 ms", light.p99_ms < 25 and light.errors == 0, " ms")
    report("inbox_rate_vs_raw_sql", ratio, ">= 0.5", ratio >= 0.5 and ours.errors == 0 and raw.errors == 0)
    scale = ours.requests_per_second / bare.requests_per_second
    print(f"voicebox /api/v1/inbox against the bare endpoint, for scale: {scale:.3f}")


if __name__ == "__main__":
    entry(main, __doc__)

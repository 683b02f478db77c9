"""Authenticated requests: GET /api/v1/me (a token lookup on PostgreSQL per request).

Baselines in the same run, under the same gunicorn settings: a bare Flask endpoint doing the
same lookup as one raw SQL query (the least any authenticated endpoint must do), and a bare
Flask endpoint doing nothing (printed for scale). Each is measured three times, in turn, and
its fastest round counts; a missed ratio is measured again, up to three tries, and the best
counts. Goals: voicebox at least 0.6 of the raw SQL baseline's rate, and p99 under 25 ms with 4
concurrent clients (below saturation).
"""

from __future__ import annotations

import functools
import http.client
import json
import tempfile
from pathlib import Path

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
    show,
)

LIGHT = "voicebox /api/v1/me (4 clients)"


def register(port: int) -> str:
    # Setup, not measured: a first request to a server just started, hashing a password, can
    # take long on a loaded machine.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = {"phone": "+8613800000000", "password": "benchmark pw", "display_name": "Mama", "role": "parent"}
    connection.request(
        "POST", "/api/v1/auth/register", json.dumps(body), {"Content-Type": "application/json"}
    )
    return json.loads(connection.getresponse().read())["token"]


def main(quick: bool) -> None:
    seconds = 1.0 if quick else 3.0
    with postgres_schema() as database_url, tempfile.TemporaryDirectory() as data:
        env = production_env(database_url, Path(data))
        migrate(env)
        with (
            gunicorn("voicebox:create_app()", env) as voicebox_port,
            gunicorn("benchmarks._bare_flask:create_app()", env) as bare_port,
        ):
            headers = {"Authorization": f"Bearer {register(voicebox_port)}"}
            runs = {
                "voicebox /api/v1/me": (voicebox_port, "/api/v1/me", headers),
                "raw SQL lookup": (bare_port, "/me-sql", headers),
                "bare Flask, no I/O": (bare_port, "/me", {}),
            }
            for port, path, sent in runs.values():
                load(port, path, sent, 1.0)  # warm up: connections, prepared statements
            measured = {
                name: functools.partial(load, port, path, sent, seconds)
                for name, (port, path, sent) in runs.items()
            }
            measured[LIGHT] = functools.partial(measured["voicebox /api/v1/me"], clients=4)

            def measure() -> tuple[float, dict[str, Load]]:
                results = best_of(1 if quick else 3, measured)
                show(results)
                ours, raw = results["voicebox /api/v1/me"], results["raw SQL lookup"]
                return ours.requests_per_second / raw.requests_per_second, results

            ratio, results = best_try("auth_me_rate_vs_raw_sql", measure, 0.6, quick)
    errors = sum(result.errors for result in results.values())
    report("auth_me_rate_vs_raw_sql", ratio, ">= 0.6", ratio >= 0.6 and errors == 0)
    report("auth_me_p99_ms_4_clients", results[LIGHT].p99_ms, "< 25 ms", results[LIGHT].p99_ms < 25, " ms")


if __name__ == "__main__":
    entry(main, __doc__)

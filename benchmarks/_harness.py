"""Shared benchmark plumbing: the entry point, seeds checked against the models, a temporary
PostgreSQL schema, gunicorn servers, an HTTP load loop.

Benchmarks compare against a baseline measured in the same run, because these machines are
noisy; each goal ends with one line ``BENCH <name>: <figure> (goal <goal>): met|missed``.
Every benchmark takes ``--quick``: sizes that run in seconds, so that ``make test`` runs each
one and a change that breaks a benchmark fails CI. A quick run checks that the benchmark works,
not its goals (its sizes are too small to mean anything): it exits 0 whatever it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import http.client
import logging
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import aiohttp
import psutil
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


_verdicts: list[bool] = []
T = TypeVar("T")
TRIES = 3


def report(name: str, figure: float, goal: str, met: bool, unit: str = "") -> None:
    _verdicts.append(met)
    print(f"BENCH {name}: {figure:.3g}{unit} (goal {goal}): {'met' if met else 'missed'}", flush=True)


def entry(main: Callable[[bool], None], description: str | None) -> None:
    """Run a benchmark's ``main(quick)`` from the command line; exit 1 if a full run missed a goal."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="sizes that run in seconds; goals not judged")
    quick = parser.parse_args().quick
    if quick:
        print("quick run: sizes too small for the goals; this checks only that the benchmark works")
    main(quick)
    if not quick and not all(_verdicts):
        sys.exit(1)


_INSERT = re.compile(r"^\s*INSERT INTO (\w+) \(([^)]*)\)", re.IGNORECASE)


def seeds(*statements: str) -> list[sa.TextClause]:
    """Raw SQL seeds, each checked against its model's table before it runs.

    A seed names only columns the table has and fills every NOT NULL column the database does
    not fill itself; a column the models default in Python (``default=``) must be named, since
    raw SQL never runs that default. A schema change that a seed does not follow fails here,
    with the column named, rather than half-way through a load.
    """
    import voicebox.models  # noqa: F401 - registers every model on the metadata
    from voicebox.extensions import db

    checked = []
    for statement in statements:
        match = _INSERT.match(statement)
        if match is None:
            raise ValueError(f"a seed is an INSERT INTO table (columns): {statement[:60]!r}")
        table = db.metadata.tables[match.group(1)]
        named = {column.strip() for column in match.group(2).split(",")}
        unknown = named - set(table.columns.keys())
        required = {
            column.name
            for column in table.columns
            if not column.nullable
            and column.server_default is None
            and column is not table.autoincrement_column
        }
        missing = required - named
        if unknown or missing:
            raise ValueError(
                f"seed for {table.name} is out of date with the models: "
                f"unknown columns {sorted(unknown)}, missing NOT NULL columns {sorted(missing)}"
            )
        checked.append(sa.text(statement))
    return checked


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A database URL whose search path is a fresh schema, dropped afterwards."""
    schema = f"vb_bench_{secrets.token_hex(4)}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def production_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """A production-profile environment; S3 is named but never reached by these benchmarks."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    return {
        **clean,
        "VOICEBOX_PROFILE": "production",
        **{f"VOICEBOX_METRICS_{name}_PORT": "0" for name in ("API", "PUSH", "WORKER", "BEAT")},
        "VOICEBOX_SECRET_KEY": secrets.token_urlsafe(48),
        "VOICEBOX_DATA_DIR": str(data_dir),
        "VOICEBOX_DATABASE_URL": database_url,
        "VOICEBOX_REDIS_URL": REDIS_URL,
        "VOICEBOX_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "VOICEBOX_S3_BUCKET": "benchmark",
        "VOICEBOX_S3_ACCESS_KEY": "benchmark-access",
        "VOICEBOX_S3_SECRET_KEY": "benchmark-secret-value",
        "VOICEBOX_LOG_LEVEL": "WARNING",
        # The benchmarks sign up without the code a phone would get by SMS.
        "VOICEBOX_PHONE_VERIFICATION": "off",
    }


def migrate(env: dict[str, str]) -> None:
    """Bring the benchmark's database to the newest revision, as an operator would."""
    subprocess.run(
        [sys.executable, "-m", "voicebox", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


@contextmanager
def background(argv: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """A process of ours (a worker, beat) running beside the benchmark, stopped after it."""
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Open event streams can hold a gunicorn worker past its graceful timeout.
            process.kill()
            process.wait()


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], workers: int = 2) -> Iterator[int]:
    """Serve ``app_spec`` with the project's gunicorn settings; yield the port once it answers."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:config.gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
        app_spec,
    ]
    with background(argv, env) as process:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"gunicorn for {app_spec} did not start") from None
                time.sleep(0.2)
        yield port


@contextmanager
def push_servers(env: dict[str, str], count: int) -> Iterator[tuple[list[int], list[psutil.Process]]]:
    """``count`` push servers (``voicebox push``), the only ones that serve live streams; yield
    their ports and processes once each answers."""
    ports = [free_port() for _ in range(count)]
    with ExitStack() as stack:
        processes = [
            stack.enter_context(
                background([sys.executable, "-m", "voicebox", "push", "--port", str(port)], env)
            )
            for port in ports
        ]
        for port in ports:
            deadline = time.monotonic() + 30
            while True:
                try:
                    asyncio.run(_ping(f"http://127.0.0.1:{port}/push/health"))
                    break
                except (OSError, aiohttp.ClientError):
                    if time.monotonic() > deadline:
                        raise RuntimeError("the push server did not start") from None
                    time.sleep(0.2)
        yield ports, [psutil.Process(process.pid) for process in processes]


async def _ping(url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        response.raise_for_status()


def worker_argv(concurrency: int = 1) -> list[str]:
    """A Celery worker for every queue, quiet, without the cluster chatter a lone worker needs not."""
    from voicebox.cli import worker_command

    return [*worker_command(concurrency, "WARNING"), "--without-gossip", "--without-mingle"]


@contextmanager
def s3_server() -> Iterator[dict[str, str]]:
    """moto's S3 server on a free port with a fresh bucket; yields the settings that name it
    (to lay over ``production_env``)."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        settings = {
            "VOICEBOX_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "VOICEBOX_S3_BUCKET": f"bench-{secrets.token_hex(4)}",
        }
        boto3.client(
            "s3",
            endpoint_url=settings["VOICEBOX_S3_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="benchmark-access",
            aws_secret_access_key="benchmark-secret-value",
        ).create_bucket(Bucket=settings["VOICEBOX_S3_BUCKET"])
        yield settings
    finally:
        moto.stop()


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def load(
    port: int, path: str, headers: dict[str, str] | list[dict[str, str]], seconds: float, clients: int = 8
) -> Load:
    """Closed-loop load: ``clients`` keep-alive connections, each sending as fast as answered.

    With a list of header sets, each client cycles through them (one caller after another).
    """
    header_sets = headers if isinstance(headers, list) else [headers]
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(first: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        failed = 0
        turn = first
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            connection.request("GET", path, headers=header_sets[turn % len(header_sets)])
            turn += clients
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            failed += response.status != 200
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    quantiles = statistics.quantiles(latencies, n=100)
    return Load(len(latencies) / elapsed, quantiles[49] * 1000, quantiles[98] * 1000, errors)


def best_try(name: str, measure: Callable[[], tuple[float, T]], goal: float, quick: bool) -> tuple[float, T]:
    """A ratio against a baseline, measured again while it misses its goal, up to three tries
    in a full run; every try is printed and the best is the one reported. A noisy machine slows
    either side of a ratio at random, so one low try says less than the best of three."""
    best: tuple[float, T] | None = None
    for attempt in range(1, 2 if quick else TRIES + 1):
        figure, detail = measure()
        print(f"{name}, try {attempt}: {figure:.3g} (goal >= {goal})", flush=True)
        if best is None or figure > best[0]:
            best = (figure, detail)
        if figure >= goal:
            break
    assert best is not None
    return best


def show(results: dict[str, Load]) -> None:
    """Print each load's rate, latencies and errors, a line each."""
    for name, result in results.items():
        print(
            f"{name}: {result.requests_per_second:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms, errors {result.errors}"
        )


def best_of(rounds: int, runs: dict[str, Callable[[], Load]]) -> dict[str, Load]:
    """Each run in turn, ``rounds`` times over, keeping each one's fastest round. Noise on a
    shared machine only ever slows a run down, and taking turns spreads a passing disturbance
    (a checkpoint, another process) over every run instead of one. Errors count from every
    round, not only the fastest."""
    best: dict[str, Load] = {}
    errors = dict.fromkeys(runs, 0)
    for _ in range(rounds):
        for name, run in runs.items():
            result = run()
            errors[name] += result.errors
            if name not in best or result.requests_per_second > best[name].requests_per_second:
                best[name] = result
    return {name: dataclasses.replace(result, errors=errors[name]) for name, result in best.items()}

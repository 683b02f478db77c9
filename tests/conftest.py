"""Fixtures shared by every test: settings and app factories, and the real services.

PostgreSQL and Redis are the machine's own (TEST_DATABASE_URL, TEST_REDIS_URL override the
defaults); S3 is moto's standalone server, started here on a free local port. A service that
is down fails the tests that need it, with the command that starts it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis
import sqlalchemy as sa
from aiohttp import web
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

import voicebox.clock
from config.settings import Settings
from voicebox import create_app
from voicebox.cli import beat_command, worker_command
from voicebox.extensions import db, limiter
from voicebox.push.server import create_push_app

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "test-results" / "screenshots"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/9"
HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
}


def pytest_sessionstart(session: pytest.Session) -> None:
    """A run keeps only its own screenshots; the parallel workers (which have ``workerinput``)
    leave the folder to the run that started them."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)


def _unreachable(service: str, url: str, error: Exception) -> None:
    pytest.fail(
        f"{service} is not reachable at {url} ({error}). Start it with:\n    {HOW_TO_START[service]}",
        pytrace=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh schema in the test database, dropped at the end: runs never see each other."""
    base = os.environ.get("TEST_DATABASE_URL", PG_URL)
    schema = f"vb_test_{secrets.token_hex(4)}"
    engine = sa.create_engine(base)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        _unreachable("PostgreSQL", base, exc)
    # Named after its schema too, so that a test can tell its own worker's connections from
    # those of the other parallel workers on the same server.
    yield f"{base}?options=-csearch_path%3D{schema}&application_name={schema}"
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url(worker_id: str) -> str:
    """Redis database 9, or one of its own for each parallel worker (10, 11, ...): a worker's
    Celery queues, purges and rate-limit counters are never another's."""
    url = os.environ.get("TEST_REDIS_URL", REDIS_URL)
    if worker_id != "master":
        url = f"{url.rsplit('/', 1)[0]}/{10 + int(worker_id.removeprefix('gw'))}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _unreachable("Redis", url, exc)
    return url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3_bucket(s3_endpoint: str) -> str:
    bucket = f"voicebox-test-{secrets.token_hex(4)}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    return bucket


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-access-key-id",
        aws_secret_access_key="test-secret-access-key-value",
    )


@pytest.fixture(scope="session")
def production_env(
    postgres_url: str, redis_url: str, s3_endpoint: str, s3_bucket: str, tmp_path_factory
) -> dict:
    """The environment of a production-profile process against the test services."""
    return {
        "VOICEBOX_PROFILE": "production",
        "VOICEBOX_SECRET_KEY": secrets.token_urlsafe(48),
        "VOICEBOX_DATA_DIR": str(tmp_path_factory.mktemp("production-data")),
        "VOICEBOX_DATABASE_URL": postgres_url,
        "VOICEBOX_REDIS_URL": redis_url,
        "VOICEBOX_S3_ENDPOINT_URL": s3_endpoint,
        "VOICEBOX_S3_BUCKET": s3_bucket,
        "VOICEBOX_S3_ACCESS_KEY": "test-access-key-id",
        "VOICEBOX_S3_SECRET_KEY": "test-secret-access-key-value",
        "VOICEBOX_LOG_LEVEL": "WARNING",
        # Tests run at any hour: a child gets quiet hours only where a test gives them some.
        "VOICEBOX_QUIET_HOURS": "off",
        # Tests sign up without a texted code; accounts/test_phone_codes.py turns it on.
        "VOICEBOX_PHONE_VERIFICATION": "off",
    }


@pytest.fixture(scope="session")
def embedded_env(tmp_path_factory) -> dict:
    return {
        "VOICEBOX_DATA_DIR": str(tmp_path_factory.mktemp("embedded-data")),
        "VOICEBOX_LOG_LEVEL": "WARNING",
        # Tests run at any hour: a child gets quiet hours only where a test gives them some.
        "VOICEBOX_QUIET_HOURS": "off",
    }


def build_app(env: dict, **overrides: str) -> Flask:
    """An app from an environment, with its database migrated to the newest revision."""
    app = create_app(Settings.from_env({**env, **overrides}, env_file=None))
    app.config["TESTING"] = True
    with app.app_context():
        upgrade()
    return app


def wipe(app: Flask) -> None:
    """Empty every table and the task queues: tests share a migrated database and a broker but
    never each other's rows, nor the tasks that named them (a later test's worker would first
    have to work through them)."""
    with app.app_context():
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.session.remove()
    app.extensions["celery"].control.purge()


def dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def production_app(production_env: dict) -> Iterator[Flask]:
    app = build_app(production_env)
    yield app
    dispose(app)


@pytest.fixture(scope="session")
def embedded_app(embedded_env: dict) -> Iterator[Flask]:
    app = build_app(embedded_env)
    yield app
    dispose(app)


@pytest.fixture(params=["production", "embedded"])
def app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The same tests run on both profiles: one code path, two sets of backing services."""
    app = request.getfixturevalue(f"{request.param}_app")
    # One Limiter serves every app in this process; point it at this app's storage afresh.
    limiter.init_app(app)
    limiter.reset()
    yield app
    wipe(app)


# Tests run many services side by side: none listens for metrics unless its test says so.
NO_METRICS = {f"VOICEBOX_METRICS_{name}_PORT": "0" for name in ("API", "PUSH", "WORKER", "BEAT")}


def process_env(env: dict) -> dict:
    """The machine's environment with the profile's settings and no stray VOICEBOX_* variable."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    return {**clean, **NO_METRICS, **env}


def app_env(request: pytest.FixtureRequest) -> dict:
    """The environment the parametrised ``app`` was built from."""
    return request.getfixturevalue(f"{request.node.callspec.params['app']}_env")


@contextmanager
def running(argv: list[str], env: dict, log_path: Path) -> Iterator[subprocess.Popen]:
    """A process of ours (a worker, beat), stopped and its log printed after."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=process_env(env), stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()  # reaped, so that no zombie outlives the test (a warning, an error)
    print(log_path.read_text())


def running_worker(env: dict, log_path: Path) -> AbstractContextManager[subprocess.Popen]:
    """A real Celery worker process consuming every queue."""
    argv = [*worker_command(concurrency=1, log_level="INFO"), "--without-gossip", "--without-mingle"]
    return running(argv, env, log_path)


@pytest.fixture
def beat(app: Flask, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """Celery beat sending the real periodic ticks (to a ``worker``)."""
    argv = [*beat_command("INFO"), "--schedule", str(tmp_path / "beat-schedule")]
    with running(argv, app_env(request), tmp_path / "beat.log") as process:
        yield process


@pytest.fixture
def worker(app: Flask, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """A worker built from the same environment as the app under test."""
    with running_worker(app_env(request), tmp_path / "worker.log") as process:
        yield process


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """``app`` as ``voicebox up`` serves it, in this process: the push server in front (the
    live streams), every other request passed on to the API on a real HTTP server behind it;
    yields the front's base URL."""
    with serving_api(app) as api_url, push_server(app, api_url) as url:
        yield url


@contextmanager
def serving_api(app: Flask) -> Iterator[str]:
    """The API alone on a real HTTP server in this process, as production's proxy reaches it
    for everything but the streams; yields its base URL."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def push_server(app: Flask, upstream: str | None = None) -> Iterator[str]:
    """A push server for ``app`` on a thread of its own, passing what is not a stream on to
    ``upstream`` if given; yields its base URL."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_push_app(app, upstream))
    port = free_port()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(15), "the push server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def api_server(app: Flask) -> Iterator[str]:
    with serving_api(app) as url:
        yield url


@pytest.fixture
def production_family(production_app: Flask) -> Iterator[tuple[Api, dict]]:
    """A parent and their child on the production profile alone, for tests of PostgreSQL or S3
    themselves; the tables are emptied afterwards."""
    parent = Api(production_app.test_client())
    session = parent.post(
        "/auth/register",
        {"phone": "+8613900000123", "password": "correct horse", "display_name": "Mama", "role": "parent"},
    ).json
    parent.token = session["token"]
    child = parent.post(
        "/children", {"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True}
    )
    yield parent, child.json
    wipe(production_app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """A thin JSON client over the test client, remembering one bearer token."""

    def __init__(self, client: FlaskClient, token: str | None = None) -> None:
        self.client = client
        self.token = token
        # What registration or pairing said about whom this client speaks for.
        self.user: dict[str, Any] = {}
        self.phone = ""
        self.device_id = ""

    def _headers(self, headers: dict | None) -> dict:
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**merged, **(headers or {})}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}", json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.put(
            f"/api/v1{path}", json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def head(self, path: str, **kwargs: Any) -> Any:
        return self.client.head(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def options(self, path: str, **kwargs: Any) -> Any:
        return self.client.options(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(
            f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )


@pytest.fixture
def anonymous(client: FlaskClient) -> Api:
    return Api(client)


@pytest.fixture
def register(client: FlaskClient) -> Callable[..., Api]:
    """Register an account and return a client that speaks as it."""

    def make(role: str = "parent", display_name: str = "Mama", password: str = "correct horse") -> Api:
        phone = f"+86139{secrets.randbelow(10**8):08d}"
        response = Api(client).post(
            "/auth/register",
            {"phone": phone, "password": password, "display_name": display_name, "role": role},
        )
        assert response.status_code == 201, response.json
        api = Api(client, response.json["token"])
        api.user = response.json["user"]
        api.phone = phone
        return api

    return make


@pytest.fixture
def parent(register: Callable[..., Api]) -> Api:
    return register("parent", "Mama")


@pytest.fixture
def make_child(parent: Api) -> Callable[..., dict]:
    def make(guardian: Api | None = None, **fields: Any) -> dict:
        body = {"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True, **fields}
        response = (guardian or parent).post("/children", body)
        assert response.status_code == 201, response.json
        return response.json

    return make


@pytest.fixture
def pair_device(client: FlaskClient, parent: Api) -> Callable[..., Api]:
    """Pair a device to a child and return a client speaking as that device."""

    def make(child_id: str, guardian: Api | None = None, name: str = "Grandma's phone") -> Api:
        code = (guardian or parent).post(f"/children/{child_id}/pairing-code").json["code"]
        response = Api(client).post("/devices/pair", {"code": code, "device_name": name})
        assert response.status_code == 201, response.json
        device = Api(client, response.json["token"])
        device.device_id = response.json["device"]["id"]
        return device

    return make


@pytest.fixture
def staff(app: Flask, anonymous: Api) -> Callable[..., Api]:
    """An admin or supervisor account made from the command line, as an operator would."""

    def make(role: str = "admin", display_name: str = "Staff") -> Api:
        phone = f"+86138{secrets.randbelow(10**8):08d}"
        argv = [
            f"create-{role}",
            "--phone",
            phone,
            "--password",
            "staff password",
            "--display-name",
            display_name,
        ]
        result = app.test_cli_runner().invoke(args=argv)
        assert result.exit_code == 0, result.output
        login = anonymous.post("/auth/login", {"phone": phone, "password": "staff password"})
        api = Api(anonymous.client, login.json["token"])
        api.user = login.json["user"]
        return api

    return make


@pytest.fixture
def helper(register: Callable[..., Api], staff: Callable[..., Api]) -> Callable[..., Api]:
    """An approved volunteer (or a supervisor), available, with a capacity."""
    admins: list[Api] = []

    def make(display_name: str = "Teacher Li", capacity: int = 3, role: str = "volunteer") -> Api:
        if role == "supervisor":
            api = staff("supervisor", display_name)
        else:
            api = register("volunteer", display_name)
            if not admins:
                admins.append(staff("admin"))
            assert admins[0].post(f"/admin/volunteers/{api.user['id']}/approve").status_code == 200
        response = api.put("/volunteer", {"available": True, "capacity": capacity})
        assert response.status_code == 200, response.json
        return api

    return make


@pytest.fixture
def clock() -> Iterator[Callable[[timedelta], None]]:
    """Moves this process's clock forward; put back after the test."""
    yield voicebox.clock.advance
    voicebox.clock.reset()


class Receiver(BaseHTTPRequestHandler):
    """A push gateway: records each webhook POST, answering with the queued statuses (or 200)."""

    statuses: list[int] = []
    received: list[tuple[bytes, str]] = []
    # Each POST's Idempotency-Key, in the same order.
    keys: list[str | None] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((body, self.headers["X-Voicebox-Signature"]))
        Receiver.keys.append(self.headers["Idempotency-Key"])
        self.send_response(Receiver.statuses.pop(0) if Receiver.statuses else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@contextmanager
def receiving() -> Iterator[str]:
    """A webhook receiver running in this process; yields its URL."""
    Receiver.statuses, Receiver.received, Receiver.keys = [], [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[str]:
    """The URL of a webhook receiver running in this process."""
    with receiving() as url:
        yield url

"""A recording arriving slowly over 2G must not hold a database connection in a transaction."""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask

from tests.conftest import Api, serving

TUS = {"Tus-Resumable": "1.0.0"}


def idle_in_transaction(postgres_url: str) -> int:
    """This test run's connections idle in a transaction (those named as its schema is: the
    other parallel workers share the server)."""
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                    "AND pid <> pg_backend_pid() AND application_name = current_setting('application_name')"
                )
            ).scalar_one()
    finally:
        engine.dispose()


def start_slow_request(base_url: str, head: str, first_bytes: bytes) -> socket.socket:
    """Send the headers and the first bytes of a body, and keep the connection open."""
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.sendall(head.encode() + first_bytes)
    return sock


def test_slow_bodies_hold_no_transaction(
    production_app: Flask, production_family: tuple[Api, dict], postgres_url: str
) -> None:
    parent, child = production_family
    created = parent.post("/uploads", headers={**TUS, "Upload-Length": "100000"})
    path = urlsplit(created.headers["Location"]).path
    auth = f"Authorization: Bearer {parent.token}\r\n"
    with serving(production_app) as base_url, ExitStack() as open_requests:
        host = f"Host: {urlsplit(base_url).netloc}\r\n"
        open_requests.enter_context(
            start_slow_request(
                base_url,
                f"PATCH {path} HTTP/1.1\r\n{host}{auth}Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                "Content-Type: application/offset+octet-stream\r\nContent-Length: 100000\r\n\r\n",
                b"#!AMR\n" + bytes(1000),
            )
        )
        open_requests.enter_context(
            start_slow_request(
                base_url,
                f"POST /api/v1/messages HTTP/1.1\r\n{host}{auth}"
                "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n",
                b'--b\r\nContent-Disposition: form-data; name="to"\r\n\r\n' + child["id"].encode(),
            )
        )
        time.sleep(1)  # both requests are authenticated and now wait for the rest of their body
        assert idle_in_transaction(postgres_url) == 0

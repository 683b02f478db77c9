"""A storage outage during a transcode delays the message and costs it none of its attempts."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from tests import audio
from tests.conftest import Api, free_port, running_worker
from tests.integration.recordings import recording_of, send, wait_for


def _pump(source: socket.socket, target: socket.socket) -> None:
    with source, target:
        while data := source.recv(65536):
            target.sendall(data)


@contextmanager
def forwarding(port: int, upstream: str) -> Iterator[None]:
    """Accept on ``port`` and relay to ``upstream``: the store is back once this is entered."""
    host, upstream_port = urlsplit(upstream).hostname, urlsplit(upstream).port
    listener = socket.create_server(("127.0.0.1", port))
    stopped = threading.Event()

    def serve() -> None:
        while not stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection((host, upstream_port))
            threading.Thread(target=_pump, args=(client, server.dup()), daemon=True).start()
            threading.Thread(target=_pump, args=(server, client.dup()), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        listener.close()


def test_the_transcode_waits_out_a_storage_outage(
    production_app: Flask,
    production_family: tuple[Api, dict],
    production_env: dict,
    s3_endpoint: str,
    tmp_path: Path,
) -> None:
    parent, child = production_family
    port = free_port()  # nothing listens there yet: the worker's store is down
    env = {**production_env, "VOICEBOX_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    with running_worker(env, tmp_path / "worker.log") as worker:
        sent = send(parent, child["id"], audio.recording("amr", seconds=2)).json
        time.sleep(4)
        assert parent.get(f"/messages/{sent['id']}").json["status"] == "processing"
        with forwarding(port, s3_endpoint):
            message = wait_for(parent, sent["id"], worker=worker, seconds=90)
        assert message["status"] == "delivered"
    assert recording_of(production_app, sent["id"]).attempts == 1

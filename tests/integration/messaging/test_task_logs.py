"""Logs that join up: the worker's lines for a task carry the id of the request that sent it."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from flask import Flask

from tests import audio
from tests.conftest import Api
from tests.integration.recordings import send, wait_for


def test_a_tasks_log_lines_carry_the_request_that_sent_it(
    app: Flask, parent: Api, make_child, worker: subprocess.Popen, tmp_path: Path
) -> None:
    child = make_child()
    sent = send(
        parent, child["id"], audio.recording("amr", seconds=1), headers={"X-Request-ID": "trace-7f3a9c"}
    ).json
    wait_for(parent, sent["id"], worker=worker)
    ready = re.compile(r"\[trace-7f3a9c\] voicebox\.services\.recordings\.processing: recording \w+ ready")
    log = tmp_path / "worker.log"
    deadline = time.monotonic() + 30  # the worker writes its log as it goes; let it catch up
    while not ready.search(log.read_text()):
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.2)

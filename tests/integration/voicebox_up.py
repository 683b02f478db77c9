"""`voicebox up` (what `make run` starts) on the embedded profile, for the tests that run it whole."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import requests

from tests.conftest import NO_METRICS, ROOT, free_port

VOICEBOX = [sys.executable, "-m", "voicebox"]


@contextmanager
def up(tmp_path: Path, **settings: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`voicebox up` on the embedded profile, answering; yields it and its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env.update(NO_METRICS, VOICEBOX_DATA_DIR=str(tmp_path), **settings)
    subprocess.run([*VOICEBOX, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    log = (tmp_path / "up.log").open("wb")
    process = subprocess.Popen(
        [*VOICEBOX, "up", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = requests.get(f"{base}/health", timeout=10)
                if health.status_code != 502:  # the API behind is still starting
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        assert health is not None and health.status_code == 200, (tmp_path / "up.log").read_text()
        assert health.json()["status"] == "ok"
        yield process, base
    finally:
        if process.poll() is None:
            children = psutil.Process(process.pid).children(recursive=True)
            process.kill()
            process.wait(timeout=10)
        for child in children:
            if child.is_running():
                child.kill()
        log.close()

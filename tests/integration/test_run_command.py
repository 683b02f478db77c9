"""`voicebox up` (what `make run` starts): API, worker and beat together, stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_up_serves_limits_logins_across_its_processes_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env["VOICEBOX_DATA_DIR"] = str(tmp_path)
    voicebox = [sys.executable, "-m", "voicebox"]
    subprocess.run([*voicebox, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    log = (tmp_path / "up.log").open("wb")
    process = subprocess.Popen(
        [*voicebox, "up", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.5)
        assert health is not None and health.status_code == 200, (tmp_path / "up.log").read_text()
        assert health.json()["status"] == "ok"
        # Every API process counts against one limit: 10 logins a minute from one address.
        statuses = [
            requests.post(
                f"http://127.0.0.1:{port}/api/v1/auth/login",
                json={"phone": "+8613800000000", "password": "not the password"},
                timeout=10,
            ).status_code
            for _ in range(25)
        ]
        assert (statuses.count(401), statuses.count(429)) == (10, 15), statuses
        children = psutil.Process(process.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in children]
        assert any("gunicorn" in c for c in commands)
        assert any("worker" in c for c in commands) and any("beat" in c for c in commands)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        time.sleep(0.5)
        assert not [
            child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE
        ]
    finally:
        if process.poll() is None:
            children = psutil.Process(process.pid).children(recursive=True)
            process.kill()
            process.wait(timeout=10)
        for child in children:
            if child.is_running():
                child.kill()
        log.close()

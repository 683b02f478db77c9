"""`voicebox up` (what `make run` starts): API, push server, worker and beat together, stopped
by Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import psutil
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
VOICEBOX = [sys.executable, "-m", "voicebox"]


@contextmanager
def up(tmp_path: Path, **settings: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`voicebox up` on the embedded profile, answering; yields it and its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env.update(VOICEBOX_DATA_DIR=str(tmp_path), **settings)
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


def test_up_serves_limits_logins_across_its_processes_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    with up(tmp_path) as (process, base):
        # Every API process counts against one limit: 10 logins a minute from one address.
        statuses = [
            requests.post(
                f"{base}/auth/login",
                json={"phone": "+8613800000000", "password": "not the password"},
                timeout=10,
            ).status_code
            for _ in range(25)
        ]
        assert (statuses.count(401), statuses.count(429)) == (10, 15), statuses
        children = psutil.Process(process.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in children]
        assert any("gunicorn" in c for c in commands) and any(" push " in c for c in commands)
        assert any("worker" in c for c in commands) and any("beat" in c for c in commands)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        time.sleep(0.5)
        assert not [
            child for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE
        ]


async def _hold_streams(base: str, tokens: list[str], count: int) -> list[int]:
    """Open ``count`` inbox streams, shared among ``tokens``, and while they are all open ask
    for /health five times; the health statuses (each within 1 s, or the request fails)."""
    connector = aiohttp.TCPConnector(limit=0)  # no cap on connections held at once
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=120)
    ) as session:
        streams = []
        for n in range(count):
            headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            response = await session.get(f"{base}/inbox/events", headers=headers)
            assert response.status == 200, await response.text()
            assert await response.content.readline() == b"retry: 3000\n"
            streams.append(response)
        statuses = []
        for _ in range(5):
            async with session.get(f"{base}/health", timeout=aiohttp.ClientTimeout(total=1)) as health:
                statuses.append(health.status)
        for response in streams:
            response.close()
        return statuses


def test_up_answers_while_200_streams_are_open(tmp_path: Path) -> None:
    with up(tmp_path, VOICEBOX_PUSH_STREAMS_PER_TOKEN="100") as (_, base):
        phone = "+8613800000001"
        parent = requests.post(
            f"{base}/auth/register",
            json={"phone": phone, "password": "correct horse", "display_name": "Mama", "role": "parent"},
            timeout=10,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {parent}"}
        child = requests.post(
            f"{base}/children",
            json={"display_name": "Xiaoming", "birth_year": 2018, "guardian_consent": True},
            headers=headers,
            timeout=10,
        ).json()
        code = requests.post(
            f"{base}/children/{child['id']}/pairing-code", headers=headers, timeout=10
        ).json()
        device = requests.post(
            f"{base}/devices/pair", json={"code": code["code"], "device_name": "phone"}, timeout=10
        ).json()["token"]
        assert asyncio.run(_hold_streams(base, [parent, device], 200)) == [200] * 5

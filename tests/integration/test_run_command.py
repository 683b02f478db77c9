"""`voicebox up` (what `make run` starts): API, push server, worker and beat together, stopped
by Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import psutil
import requests

from tests.integration.voicebox_up import up


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

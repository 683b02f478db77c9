"""Thousands of phones holding their live inbox open, in a process of their own (so the
benchmark's own timing threads do not share its interpreter).

``python -m benchmarks._stream_client URLS TOKENS``: URLS is a comma-separated list of stream
URLs (devices are spread over them in turn), TOKENS a file of one token a line. Prints
``connected OK FAILED`` once every stream has opened or failed; then on each line of input
``collect SECONDS`` waits until every stream has heard a message (or SECONDS pass) and prints
``arrivals`` and a JSON list of [device number, UNIX time the first message arrived]; ``quit``
closes everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time

import aiohttp

OPENING_AT_ONCE = 200


async def hold(session: aiohttp.ClientSession, url: str, token: str, number: int, state: dict) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    try:
        async with state["opening"]:
            response = await session.get(url, headers=headers)
        if response.status != 200:
            state["failed"] += 1
            response.release()
            return
        state["ok"] += 1
    except aiohttp.ClientError:
        state["failed"] += 1
        return
    finally:
        state["opened"] += 1
        if state["opened"] == state["total"]:
            state["all_open"].set()
    async with response:
        async for line in response.content:
            if line.startswith(b"event: message") and number not in state["arrivals"]:
                state["arrivals"][number] = time.time()
                if len(state["arrivals"]) == state["ok"]:
                    state["all_heard"].set()


async def main(urls: list[str], tokens: list[str]) -> None:
    state: dict = {
        "ok": 0,
        "failed": 0,
        "opened": 0,
        "total": len(tokens),
        "arrivals": {},
        "opening": asyncio.Semaphore(OPENING_AT_ONCE),
        "all_open": asyncio.Event(),
        "all_heard": asyncio.Event(),
    }
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = [
            asyncio.create_task(hold(session, urls[n % len(urls)], token, n, state))
            for n, token in enumerate(tokens)
        ]
        await state["all_open"].wait()
        print(f"connected {state['ok']} {state['failed']}", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            command = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not command or command[0] == "quit":
                break
            if command[0] == "collect":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(state["all_heard"].wait(), timeout=float(command[1]))
                print("arrivals " + json.dumps(sorted(state["arrivals"].items())), flush=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(sys.argv[2]) as listed:
        asyncio.run(main(sys.argv[1].split(","), listed.read().split()))

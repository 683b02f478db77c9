"""A real HTTP client for Server-Sent Events, reading a stream on its own thread."""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

import requests


class Listener:
    """Opens ``url`` with the token (and Last-Event-ID) and queues each event it reads."""

    def __init__(self, url: str, token: str, last_event_id: str | None = None) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.opened = threading.Event()
        self.status: int | None = None
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id:
            self.headers["Last-Event-ID"] = last_event_id
        self.url = url
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.opened.wait(10), "the stream did not open"

    def _read(self) -> None:
        with requests.get(self.url, headers=self.headers, stream=True, timeout=60) as response:
            self.status = response.status_code
            self.opened.set()
            if response.status_code != 200:
                return
            event: dict[str, Any] = {}
            for line in response.iter_lines(decode_unicode=True):
                if line.startswith("id: "):
                    event["id"] = line[4:]
                elif line.startswith("event: "):
                    event["event"] = line[7:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif line == "" and "data" in event:
                    self.events.put(event)
                    event = {}

    def next(self, timeout: float = 10) -> dict[str, Any]:
        return self.events.get(timeout=timeout)

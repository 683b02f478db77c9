"""Wake-ups for the push server's live streams: Redis pub/sub across processes; when embedded,
a datagram to its socket in the data folder (no server to install). The push server listens
(``voicebox.push.wakeups``); everything else only publishes.

An event here is only a hint that a topic changed; readers go back to the database for what
changed, so a lost or merged wake-up delays a stream by one poll and loses nothing.
"""

from __future__ import annotations

import contextlib
import socket
from abc import ABC, abstractmethod
from pathlib import Path

import redis

from config.settings import Settings


class EventBus(ABC):
    @abstractmethod
    def publish(self, topic: str) -> None: ...

    def publish_many(self, topics: list[str]) -> None:
        for topic in topics:
            self.publish(topic)


class LocalEventBus(EventBus):
    """Reaches the push server's socket, if one listens there."""

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path

    def publish(self, topic: str) -> None:
        if self.socket_path.exists():
            # No push server listening, or it is behind: its streams poll. A full receiver
            # drops the wake-up at once, so publishing never waits.
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
                sender.setblocking(False)
                sender.sendto(topic.encode(), str(self.socket_path))


class RedisEventBus(EventBus):
    PREFIX = "voicebox:events:"

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_connect_timeout=3, health_check_interval=30)

    def publish(self, topic: str) -> None:
        self.client.publish(self.PREFIX + topic, b"1")

    def publish_many(self, topics: list[str]) -> None:
        with self.client.pipeline(transaction=False) as pipeline:
            for topic in topics:
                pipeline.publish(self.PREFIX + topic, b"1")
            pipeline.execute()


def push_socket_path(settings: Settings) -> Path:
    """Where the embedded push server listens for wake-ups."""
    return Path(settings.data_dir) / "push.sock"


def build_event_bus(settings: Settings) -> EventBus:
    if settings.redis_url:
        return RedisEventBus(settings.redis_url)
    return LocalEventBus(push_socket_path(settings))

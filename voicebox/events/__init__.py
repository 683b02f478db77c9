"""Wake-ups for live streams: Redis pub/sub across processes; when embedded, in process and,
for the push server, a datagram to its socket in the data folder (no server to install).

An event here is only a hint that a topic changed; readers go back to the database for what
changed, so a lost or merged wake-up delays a stream by one poll and loses nothing.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from abc import ABC, abstractmethod
from collections import defaultdict
from pathlib import Path

import redis

from config.settings import Settings


class Subscription(ABC):
    @abstractmethod
    def wait(self, timeout: float) -> bool:
        """Block until the topic is published to or ``timeout`` passes; True if it was."""

    @abstractmethod
    def close(self) -> None: ...


class EventBus(ABC):
    # How often a reader looks at the database even without a wake-up.
    poll_seconds = 15.0

    @abstractmethod
    def publish(self, topic: str) -> None: ...

    def publish_many(self, topics: list[str]) -> None:
        for topic in topics:
            self.publish(topic)

    @abstractmethod
    def subscribe(self, topic: str) -> Subscription: ...


class _LocalSubscription(Subscription):
    def __init__(self, bus: LocalEventBus, topic: str) -> None:
        self.bus = bus
        self.topic = topic
        self.seen = bus.counts[topic]

    def wait(self, timeout: float) -> bool:
        with self.bus.changed:
            self.bus.changed.wait_for(lambda: self.bus.counts[self.topic] != self.seen, timeout)
            woke = self.bus.counts[self.topic] != self.seen
            self.seen = self.bus.counts[self.topic]
            return woke

    def close(self) -> None:
        return None


class LocalEventBus(EventBus):
    """Reaches the process it lives in, and the push server's socket if one listens there;
    the API's own streams poll the database for the rest."""

    # Embedded workers deliver in another process, whose wake-ups never reach this one.
    poll_seconds = 2.0

    def __init__(self, socket_path: Path | None = None) -> None:
        self.changed = threading.Condition()
        self.counts: defaultdict[str, int] = defaultdict(int)
        self.socket_path = socket_path

    def publish(self, topic: str) -> None:
        with self.changed:
            self.counts[topic] += 1
            self.changed.notify_all()
        if self.socket_path is not None and self.socket_path.exists():
            # No push server listening, or it is behind: its streams poll. A full receiver
            # drops the wake-up at once, so publishing never waits.
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
                sender.setblocking(False)
                sender.sendto(topic.encode(), str(self.socket_path))

    def subscribe(self, topic: str) -> Subscription:
        return _LocalSubscription(self, topic)


class _RedisSubscription(Subscription):
    def __init__(self, client: redis.Redis, channel: str) -> None:
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(channel)

    def wait(self, timeout: float) -> bool:
        woke = self.pubsub.get_message(timeout=timeout) is not None
        # Drain what else arrived meanwhile: one read of the database answers all of it.
        while self.pubsub.get_message(timeout=0) is not None:
            pass
        return woke

    def close(self) -> None:
        self.pubsub.close()


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

    def subscribe(self, topic: str) -> Subscription:
        return _RedisSubscription(self.client, self.PREFIX + topic)


def push_socket_path(settings: Settings) -> Path:
    """Where the embedded push server listens for wake-ups."""
    return Path(settings.data_dir) / "push.sock"


def build_event_bus(settings: Settings) -> EventBus:
    if settings.redis_url:
        return RedisEventBus(settings.redis_url)
    return LocalEventBus(push_socket_path(settings))

"""A push process's open streams: who is listening to what, the limits on them, and the wake-ups
that reach them."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from voicebox.services.accounts.tokens import REVOKED_TOPIC


@dataclass(eq=False)
class Listener:
    """One open stream, as the hub sees it: its topic, its token, and a bell."""

    topic: str
    token_id: str
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False

    def end(self) -> None:
        self.ended = True
        self.woken.set()


class Full(Exception):
    """This process holds as many streams as it may."""


class TooMany(Exception):
    """This token holds as many streams as it may."""


class Hub:
    def __init__(self, max_streams: int, per_token: int) -> None:
        self.max_streams = max_streams
        self.per_token = per_token
        self._by_topic: defaultdict[str, set[Listener]] = defaultdict(set)
        self._by_token: Counter[str] = Counter()
        self._count = 0
        # Set when a revocation is published: the token sweep runs at once.
        self.revoked = asyncio.Event()

    def __len__(self) -> int:
        return self._count

    def check_room(self) -> None:
        if self._count >= self.max_streams:
            raise Full

    def join(self, topic: str, token_id: str) -> Listener:
        self.check_room()
        if self._by_token[token_id] >= self.per_token:
            raise TooMany
        listener = Listener(topic, token_id)
        self._by_topic[topic].add(listener)
        self._by_token[token_id] += 1
        self._count += 1
        return listener

    def leave(self, listener: Listener) -> None:
        listeners = self._by_topic.get(listener.topic)
        if listeners is None or listener not in listeners:
            return
        listeners.discard(listener)
        if not listeners:
            del self._by_topic[listener.topic]
        self._by_token[listener.token_id] -= 1
        if not self._by_token[listener.token_id]:
            del self._by_token[listener.token_id]
        self._count -= 1

    def wake(self, topic: str) -> None:
        if topic == REVOKED_TOPIC:
            self.revoked.set()
            return
        for listener in self._by_topic.get(topic, ()):
            listener.woken.set()

    def wake_all(self) -> None:
        """After wake-ups may have been lost (the bus reconnected): every stream looks once."""
        for listeners in self._by_topic.values():
            for listener in listeners:
                listener.woken.set()

    def end_all(self) -> None:
        """The server is stopping: every stream ends now (its client reconnects elsewhere)."""
        for listeners in self._by_topic.values():
            for listener in listeners:
                listener.end()

    def token_ids(self) -> set[str]:
        return set(self._by_token)

    def end_tokens(self, token_ids: set[str]) -> None:
        """End every stream of these tokens (revoked, logged out, unpaired, suspended)."""
        for listeners in self._by_topic.values():
            for listener in listeners:
                if listener.token_id in token_ids:
                    listener.end()

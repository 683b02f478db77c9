"""Wake-ups reaching a push process: Redis pub/sub (one subscription for the whole process), or
datagrams on a socket in the embedded data folder."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path

import redis.asyncio as aioredis

from voicebox.events import RedisEventBus
from voicebox.push.hub import Hub

log = logging.getLogger(__name__)
RECONNECT_SECONDS = 1.0


async def from_redis(url: str, hub: Hub, ready: asyncio.Event) -> None:
    """Listen to every topic at once; after the connection drops and comes back, every stream
    looks once, since what was published meanwhile is lost."""
    prefix = RedisEventBus.PREFIX
    while True:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=3)
        try:
            async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                await pubsub.psubscribe(prefix + "*")
                if ready.is_set():
                    hub.wake_all()
                ready.set()
                async for message in pubsub.listen():
                    channel = message["channel"].decode()
                    hub.wake(channel[len(prefix) :])
        except (aioredis.ConnectionError, aioredis.TimeoutError, OSError) as exc:
            log.warning("event bus lost (%s); reconnecting", exc)
        finally:
            await client.aclose()
        await asyncio.sleep(RECONNECT_SECONDS)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.hub.wake(data.decode(errors="replace"))


async def from_socket(path: Path, hub: Hub) -> asyncio.DatagramTransport:
    """Bind the embedded wake-up socket (readable by its owner only) and deliver what comes."""
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    os.chmod(path, 0o600)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Datagrams(hub), sock=sock
    )
    return transport

"""A TCP relay of the tests' own, between our processes and a backing service on loopback, that
cuts the line three ways, as a network does:

- refused: nothing listens; a new connection is refused at once, and open ones are reset;
- black-holed: connections are accepted and open ones stay up, but nothing crosses either way
  until the line heals (what is sent meanwhile is held, as TCP retransmits it, and crosses then);
- severed: every open connection is reset; new ones go through.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

CHUNK = 65536


class Relay:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._held = threading.Event()
        self._held.set()  # set: data flows; clear: black-holed
        self._lock = threading.Lock()
        self._stopping = False
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _listen(port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(512)
        listener.setblocking(False)
        return listener

    def _wake(self) -> None:
        self._wake_w.send(b"x")

    def _run(self) -> None:
        while not self._stopping:
            for key, _ in self._selector.select(timeout=0.5):
                sock = key.fileobj
                if sock is self._wake_r:
                    self._wake_r.recv(CHUNK)
                elif sock is self._listener:
                    self._accept()
                elif self._held.is_set():
                    self._pump(sock)  # type: ignore[arg-type]
            if not self._held.is_set():
                # Black-holed: read nothing (the kernel keeps what arrives) until the line heals.
                self._held.wait(0.2)

    def _accept(self) -> None:
        with self._lock:
            if self._listener is None:
                return
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, OSError):
                return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        for sock in (client, upstream):
            sock.setblocking(False)
        with self._lock:
            self._pairs[client] = upstream
            self._pairs[upstream] = client
        self._selector.register(client, selectors.EVENT_READ)
        self._selector.register(upstream, selectors.EVENT_READ)

    def _pump(self, sock: socket.socket) -> None:
        with self._lock:
            other = self._pairs.get(sock)
        if other is None:
            return
        try:
            data = sock.recv(CHUNK)
            if data:
                other.setblocking(True)
                other.sendall(data)
                other.setblocking(False)
                return
        except OSError:
            pass
        self._close(sock, reset=False)

    def _close(self, sock: socket.socket, reset: bool) -> None:
        with self._lock:
            other = self._pairs.pop(sock, None)
            if other is not None:
                self._pairs.pop(other, None)
        for each in (sock, other):
            if each is None:
                continue
            with suppress(KeyError, ValueError):
                self._selector.unregister(each)
            if reset:
                _reset(each)
            else:
                each.close()

    def sever(self) -> None:
        """Reset every open connection; new ones go through."""
        with self._lock:
            clients = list(self._pairs)
        for sock in clients:
            self._close(sock, reset=True)

    def refuse(self) -> None:
        """Stop listening (new connections are refused) and reset the open ones."""
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            self._selector.unregister(listener)
            listener.close()
        self.sever()

    def black_hole(self) -> None:
        """Accept and hold, forwarding nothing either way, until ``heal``."""
        self._held.clear()
        self._wake()

    def heal(self) -> None:
        with self._lock:
            if self._listener is None:
                self._listener = self._listen(self.port)
                self._selector.register(self._listener, selectors.EVENT_READ)
        self._held.set()
        self._wake()

    def close(self) -> None:
        self._stopping = True
        self.heal()
        self._thread.join(timeout=5)
        self.sever()
        with self._lock:
            if self._listener is not None:
                self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        self._selector.close()


def _reset(sock: socket.socket) -> None:
    """Close with RST, not FIN: what a peer sees when the line is cut."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@contextmanager
def relay(target_port: int) -> Iterator[Relay]:
    line = Relay(target_port)
    try:
        yield line
    finally:
        line.close()

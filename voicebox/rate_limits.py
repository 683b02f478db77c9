"""Rate-limit counts in a SQLite file, shared by every process of the embedded profile.

The limits library otherwise counts in each process's memory, so with two API processes a
client got twice its allowance. This storage keeps the moving window (what voicebox uses) and
the fixed window in the data folder, beside the database; each change is one short
transaction that takes SQLite's write lock first, so processes never count past a limit.
Importing this module registers the ``voicebox+sqlite://`` scheme with the limits library.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from limits.storage import MovingWindowSupport, Storage

SCHEME = "voicebox+sqlite"
# Every this many entries, forget those older than the longest window seen.
PURGE_EVERY = 1000


class SQLiteStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        self._path = uri.removeprefix(f"{SCHEME}://")
        self._local = threading.local()
        self._longest = 0
        self._entries = 0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        with self._transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, at REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS ix_hits_key_at ON hits (key, at)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS counters"
                " (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)"
            )

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One per thread, and a new one after a fork: a SQLite connection crosses neither.
        held = getattr(self._local, "held", None)
        if held is None or held[0] != os.getpid():
            connection = sqlite3.connect(self._path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            held = self._local.held = (os.getpid(), connection)
        return held[1]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        self._longest = max(self._longest, expiry)
        with self._transaction() as db:
            db.execute("DELETE FROM hits WHERE key = ? AND at <= ?", (key, now - expiry))
            (count,) = db.execute("SELECT count(*) FROM hits WHERE key = ?", (key,)).fetchone()
            if count + amount > limit:
                return False
            db.executemany("INSERT INTO hits (key, at) VALUES (?, ?)", [(key, now)] * amount)
            self._entries += amount
            if self._entries >= PURGE_EVERY:
                self._entries = 0
                db.execute("DELETE FROM hits WHERE at <= ?", (now - self._longest,))
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        oldest, count = (
            self._connection()
            .execute("SELECT min(at), count(*) FROM hits WHERE key = ? AND at > ?", (key, now - expiry))
            .fetchone()
        )
        return (oldest if oldest is not None else now), count

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._transaction() as db:
            db.execute("DELETE FROM counters WHERE key = ? AND expires_at <= ?", (key, now))
            db.execute(
                "INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
                (key, amount, now + expiry),
            )
            (value,) = db.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
            return value

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute("SELECT expires_at FROM counters WHERE key = ?", (key,)).fetchone()
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        with self._transaction() as db:
            removed = db.execute("DELETE FROM hits").rowcount + db.execute("DELETE FROM counters").rowcount
        return removed

    def clear(self, key: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM hits WHERE key = ?", (key,))
            db.execute("DELETE FROM counters WHERE key = ?", (key,))

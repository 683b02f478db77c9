"""Reads of committed rows outside the request's transaction: one round trip a statement.

The request's session wraps its first statement in BEGIN and ends a request that wrote
nothing with ROLLBACK: two more round trips. And psycopg forgets every prepared statement of a
connection on ROLLBACK, so a query the session runs is planned afresh on every request (for
the inbox's five-table join, planning cost more than running). A statement read here runs in
autocommit on a pooled connection of its own: one round trip, prepared by psycopg after its
fifth use on that connection. One statement reads one snapshot, so what it returns is
consistent; it does not see what the request's own transaction has not committed yet, so it
is only for reads that come before any write, and for a statement that is a whole unit of
work by itself and commits whatever the request does next (a code's attempt counted; a
help-desk claim, whose one statement claims, audits and records the event).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from voicebox.extensions import db


@contextmanager
def committed() -> Iterator[Connection]:
    """A connection of its own that runs each statement alone, in autocommit. Rows read through
    it are plain rows; a ``Session`` over it loads ORM objects."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection

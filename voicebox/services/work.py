"""One unit of work: a use case and every use case it calls commit together, or not at all.

The outermost ``use_case`` commits when it returns and rolls back when it raises; a use case
called inside another joins the caller's transaction, so ``stories.take`` giving a story
through ``delivery.give`` never commits half of the caller's work. What must wait for the
commit (tasks, wake-ups, blob deletions) goes through ``jobs``.

A step that must be committed before the work goes on (a lease taken before minutes of
transcoding, one batch of a sweep) is a ``unit(alone=True)``: it refuses to run inside
another unit, whose commit would otherwise come too late.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy import CursorResult, Delete, Update
from sqlalchemy.exc import IntegrityError

from voicebox.errors import Conflict
from voicebox.extensions import db

P = ParamSpec("P")
R = TypeVar("R")
_DEPTH = "voicebox.work.depth"


@contextmanager
def unit(*, alone: bool = False) -> Iterator[None]:
    """The current unit of work, or a new one that commits when the block ends."""
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    if alone and depth:
        raise RuntimeError("this step commits on its own and cannot join another unit of work")
    session.info[_DEPTH] = depth + 1
    try:
        yield
    except BaseException:
        session.info[_DEPTH] = depth
        if depth == 0:
            session.rollback()
        raise
    session.info[_DEPTH] = depth
    if depth == 0:
        session.commit()


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` in a unit of work: its own, or its caller's."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit():
            return function(*args, **kwargs)

    return run


def end_read() -> None:
    """End a read before waiting (a stream between looks, a body arriving over a slow
    network): the snapshot and the connection go back, so SQLite keeps no old snapshot and the
    pool no idle connection. Nothing to lose: it refuses inside a unit of work."""
    session = db.session()
    if session.info.get(_DEPTH, 0):
        raise RuntimeError("a unit of work is open; its changes would be lost")
    session.rollback()


def changed(statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE in the unit of work's transaction; how many rows it changed
    (a conditional update's way of saying whether it won)."""
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def add_unique(row: object, conflict: str) -> None:
    """Add ``row`` now, in a savepoint; a unique constraint it breaks (a race the use case's own
    check lost) answers 409 with ``conflict`` instead of failing the whole transaction."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise Conflict(conflict) from None
